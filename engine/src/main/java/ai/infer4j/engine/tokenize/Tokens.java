package ai.infer4j.engine.tokenize;

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
}
