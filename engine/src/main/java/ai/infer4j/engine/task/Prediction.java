package ai.infer4j.engine.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A classification answer.
 *
 * @param label         the predicted label
 * @param score         confidence in {@code label}, 0..1
 * @param labels        every label the model knows, in its order
 * @param probabilities probability per label (same order; sums to 1)
 */
public record Prediction(String label, double score, List<String> labels, float[] probabilities) {

    /** The {@code k} most probable labels and their probabilities, most probable first. */
    public Map<String, Double> top(int k) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) idx.add(i);
        idx.sort((a, b) -> Float.compare(probabilities[b], probabilities[a]));
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(k, idx.size()); i++) out.put(labels.get(idx.get(i)), (double) probabilities[idx.get(i)]);
        return out;
    }
}
