package ai.infer4j.monitor.capture;

/**
 * What the monitor compares for one input, from a captured line or from a baseline data row.
 *
 * @param eventId    capture event id (null for baseline rows)
 * @param timeMillis epoch milliseconds (0 for baseline rows)
 * @param label      predicted label, or null (embedding model)
 * @param score      confidence of {@code label}, 0..1, or NaN
 * @param tokens     token count after truncation
 * @param truncated  input was cut at the model's max length
 * @param unknown    {@code [UNK]} tokens in the input
 * @param sketch     embedding sketch, or null
 * @param trueLabel  ground truth when known (joined by event id), else null
 * @param novelty    the head's out-of-scope score of the input (higher = less familiar), or NaN when the head has none
 *                   or the line was captured before the score was
 */
public record Observation(String eventId, long timeMillis, String label, double score, int tokens, boolean truncated, int unknown,
                          float[] sketch, String trueLabel, double novelty) {

    /** An observation without a novelty score. */
    public Observation(String eventId, long timeMillis, String label, double score, int tokens, boolean truncated, int unknown,
                       float[] sketch, String trueLabel) {
        this(eventId, timeMillis, label, score, tokens, truncated, unknown, sketch, trueLabel, Double.NaN);
    }

    public Observation withTrueLabel(String t) {
        return new Observation(eventId, timeMillis, label, score, tokens, truncated, unknown, sketch, t, novelty);
    }
}
