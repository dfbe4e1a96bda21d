package ai.infer4j.monitor.baseline;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TextInput;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;

import java.util.ArrayList;
import java.util.List;

/** Runs a model over texts offline and derives the same observations the server captures. */
public final class Observer {
    private static final int BATCH = 64;

    private Observer() {
    }

    /**
     * One observation per text, in order; {@code truth} (same size, or null) becomes the true labels.
     * {@code sketchDim} 0 leaves the embedding sketch out.
     */
    public static List<Observation> observe(Model model, List<String> texts, List<String> truth, int sketchDim, Progress progress) {
        if (truth != null && truth.size() != texts.size())
            throw new IllegalArgumentException(texts.size() + " texts but " + truth.size() + " labels");
        List<Tokens> tokens = model.tokenize(texts.stream().map(TextInput::of).toList());
        float[][] v = model.backbone().forwardAll(tokens, BATCH, done -> progress.update("observe", done, texts.size()));
        EmbeddingSketch sketch = sketchDim > 0 && v.length > 0 ? new EmbeddingSketch(sketchDim, v[0].length) : null;
        List<Observation> out = new ArrayList<>(v.length);
        for (int i = 0; i < v.length; i++) {
            Prediction p = model.task() == Model.Task.CLASSIFY ? model.predict(v[i]) : null;
            Tokens t = tokens.get(i);
            out.add(new Observation(null, 0, p == null ? null : p.label(), p == null ? Double.NaN : p.score(), t.length(), t.truncated(),
                    t.unknownCount(), sketch == null ? null : sketch.apply(v[i]), truth == null ? null : truth.get(i)));
        }
        return out;
    }
}
