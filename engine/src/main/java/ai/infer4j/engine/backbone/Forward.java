package ai.infer4j.engine.backbone;

/**
 * The result of one forward pass over a batch.
 *
 * @param vectors      one row per input, in input order: pooled embeddings or logits
 * @param paddedLength tokens per row after padding (the longest input in the batch)
 * @param realTokens   tokens that were not padding, summed over the batch
 */
public record Forward(float[][] vectors, int paddedLength, long realTokens) {
    /** Fraction of the padded tensor that is padding, 0..1. */
    public double paddingRatio() {
        long total = (long) paddedLength * vectors.length;
        return total == 0 ? 0 : 1.0 - (double) realTokens / total;
    }
}
