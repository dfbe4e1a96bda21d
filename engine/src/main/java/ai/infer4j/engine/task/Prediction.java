package ai.infer4j.engine.task;

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
 * @param novelty       how unfamiliar the input looks to the head, higher = more: the head's out-of-scope score
 *                      ({@link OutOfScopeScore}, in standard deviations of in-scope data), computed with the answer;
 *                      NaN when the head has no such score. For monitoring (a drift signal), not part of the answer.
 */
public record Prediction(String label, double score, List<String> labels, float[] probabilities, double novelty) {

    /** A prediction without a novelty score. */
    public Prediction(String label, double score, List<String> labels, float[] probabilities) {
        this(label, score, labels, probabilities, Double.NaN);
    }

    /** The {@code k} most probable labels and their probabilities, most probable first. */
    public Map<String, Double> top(int k) {
        int n = Math.min(k, probabilities.length);
        int[] best = new int[n];
        int filled = 0;
        for (int i = 0; i < probabilities.length; i++) { // insertion into a short sorted list: no boxing, no full sort
            float p = probabilities[i];
            if (filled == n && p <= probabilities[best[n - 1]]) continue;
            int j = filled < n ? filled++ : n - 1;
            while (j > 0 && probabilities[best[j - 1]] < p) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < filled; i++) out.put(labels.get(best[i]), (double) probabilities[best[i]]);
        return out;
    }
}
