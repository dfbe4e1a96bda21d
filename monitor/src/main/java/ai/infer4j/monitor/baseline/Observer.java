package ai.infer4j.monitor.baseline;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Runs a model over texts offline and derives the same observations the server captures. */
public final class Observer {
    private static final int BATCH = 64;

    private Observer() {
    }

    /** Texts after the backbone: their tokens and pooled vectors, in order. */
    public record Embedded(List<Tokens> tokens, float[][] vectors) {
        public Embedded {
            if (tokens.size() != vectors.length) throw new IllegalArgumentException(tokens.size() + " token lists but " + vectors.length + " vectors");
        }
    }

    /** Tokenizes and embeds {@code texts} with the model's backbone. */
    public static Embedded embed(Model model, List<String> texts, Progress progress) {
        List<Tokens> tokens = model.tokenize(texts.stream().map(TextInput::of).toList());
        float[][] v = model.backbone().forwardAll(tokens, BATCH, done -> progress.update("observe", done, texts.size()));
        return new Embedded(tokens, v);
    }

    /**
     * One observation per text, in order, with the model's own predictions; {@code truth} (same size, or null)
     * becomes the true labels. {@code sketchDim} 0 leaves the embedding sketch out.
     */
    public static List<Observation> observe(Model model, List<String> texts, List<String> truth, int sketchDim, Progress progress) {
        Embedded e = embed(model, texts, progress);
        return observations(e, model.task() instanceof Classifier ? i -> model.predict(e.vectors()[i], texts.get(i)) : i -> null, truth, sketchDim);
    }

    /** Observations of embedded texts with predictions from {@code predict} (by row; null: no prediction). */
    public static List<Observation> observations(Embedded e, IntFunction<Prediction> predict, List<String> truth, int sketchDim) {
        float[][] v = e.vectors();
        if (truth != null && truth.size() != v.length) throw new IllegalArgumentException(v.length + " texts but " + truth.size() + " labels");
        EmbeddingSketch sketch = sketchDim > 0 && v.length > 0 ? new EmbeddingSketch(sketchDim, v[0].length) : null;
        List<Observation> out = new ArrayList<>(v.length);
        for (int i = 0; i < v.length; i++) {
            Prediction p = predict.apply(i);
            Tokens t = e.tokens().get(i);
            out.add(new Observation(null, 0, p == null ? null : p.label(), p == null ? Double.NaN : p.score(), t.length(), t.truncated(),
                    t.unknownCount(), sketch == null ? null : sketch.apply(v[i]), truth == null ? null : truth.get(i),
                    p == null ? Double.NaN : p.novelty()));
        }
        return out;
    }
}
