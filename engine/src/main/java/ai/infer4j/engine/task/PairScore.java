package ai.infer4j.engine.task;

import java.util.List;

/**
 * A pair answer.
 *
 * @param score     probability that both records describe the same thing, 0..1
 * @param duplicate {@code score >= threshold}
 * @param threshold the model's decision threshold (chosen on the valid split when trained)
 */
public record PairScore(double score, boolean duplicate, double threshold) {
    /** Label names of a pair model, in probability order. */
    public static final List<String> LABELS = List.of("different", "duplicate");

    public static PairScore of(double score, double threshold) {
        return new PairScore(score, score >= threshold, threshold);
    }

    /** 1 for a duplicate, 0 otherwise (the data files' label). */
    public int label() {
        return duplicate ? 1 : 0;
    }

    /** The same answer as a classification: label {@code duplicate} or {@code different} and both probabilities. */
    public Prediction prediction() {
        float[] p = {(float) (1 - score), (float) score};
        return new Prediction(LABELS.get(label()), duplicate ? score : 1 - score, LABELS, p);
    }
}
