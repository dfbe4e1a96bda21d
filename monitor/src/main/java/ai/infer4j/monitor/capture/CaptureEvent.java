package ai.infer4j.monitor.capture;

import ai.infer4j.engine.task.Prediction;

/**
 * One answered input as the server hands it to the capture writer. Cheap to build on a request thread:
 * it only holds references; the writer thread derives the top-k, the sketch and the JSON line.
 *
 * @param eventId       id returned to the client (header {@code X-Infer4j-Event-Id}) to join ground truth later
 * @param timeMillis    when the answer was ready, epoch milliseconds
 * @param prediction    the classification (with the head's novelty score, if it has one), or null for an embedding model
 * @param vector        the pooled backbone output (for the sketch), or null
 * @param latencyMicros request read to answer ready, microseconds
 * @param tokenCount    tokens after truncation, special tokens included
 * @param unknownCount  {@code [UNK]} tokens
 */
public record CaptureEvent(String eventId, long timeMillis, String model, String version, String text, String textPair,
                           Prediction prediction, float[] vector, long latencyMicros, int tokenCount, boolean truncated,
                           int unknownCount) {
}
