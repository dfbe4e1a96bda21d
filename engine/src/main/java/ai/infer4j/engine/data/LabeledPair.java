package ai.infer4j.engine.data;

import ai.infer4j.engine.input.PairInput;

/** One line of a pair data file: two records and whether they are duplicates (1) or not (0). */
public record LabeledPair(PairInput pair, int label) {
    public LabeledPair {
        if (label != 0 && label != 1) throw new IllegalArgumentException("pair label must be 0 or 1, got " + label);
    }
}
