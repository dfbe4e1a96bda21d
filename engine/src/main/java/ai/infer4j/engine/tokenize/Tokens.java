package ai.infer4j.engine.tokenize;

import java.util.Arrays;

/**
 * One tokenized input, unpadded.
 *
 * @param ids          token ids, special tokens included
 * @param typeIds      segment ids (0 for the first text, 1 for a pair's second)
 * @param truncated    true when the input was cut at the model's max length
 * @param unknownCount tokens the vocabulary did not know ({@code [UNK]})
 */
public record Tokens(long[] ids, long[] typeIds, boolean truncated, int unknownCount) {
    public Tokens {
        if (ids.length != typeIds.length)
            throw new IllegalArgumentException("ids and typeIds differ in length: " + ids.length + " vs " + typeIds.length);
    }

    public int length() {
        return ids.length;
    }

    /**
     * This sequence cut to at most {@code maxLength} tokens, keeping its final special token
     * ({@code [SEP]}); itself when it is short enough.
     */
    public Tokens truncateTo(int maxLength) {
        if (ids.length <= maxLength) return this;
        if (maxLength < 2) throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
        long[] i2 = Arrays.copyOf(ids, maxLength);
        long[] t2 = Arrays.copyOf(typeIds, maxLength);
        i2[maxLength - 1] = ids[ids.length - 1];
        t2[maxLength - 1] = typeIds[typeIds.length - 1];
        return new Tokens(i2, t2, true, unknownCount);
    }
}
