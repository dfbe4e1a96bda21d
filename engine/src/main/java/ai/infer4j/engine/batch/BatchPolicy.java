package ai.infer4j.engine.batch;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a backbone's queue is batched.
 *
 * @param maxBatchSize   sequences per forward pass, at most
 * @param maxBatchTokens padded tokens (rows x longest) per forward pass, at most
 * @param maxDelay       how long a worker thread ({@code Drain.THREADS}) waits for more work after the first request of a
 *                       batch arrived, when more is already queued; 0 (the default): it takes what is queued and never
 *                       waits. Event loops ({@code Drain.CALLERS}) never wait, whatever this says
 * @param queueCapacity  requests waiting, at most; beyond this new requests are refused at once
 */
public record BatchPolicy(int maxBatchSize, int maxBatchTokens, Duration maxDelay, int queueCapacity) {
    /** TorchServe's names for the four settings ({@code max_batch_delay} in milliseconds), as read by {@link #withKeys}. */
    public static final List<String> KEYS = List.of("batch_size", "max_batch_tokens", "max_batch_delay", "job_queue_size");

    public BatchPolicy {
        if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
        if (maxBatchTokens < 1) throw new IllegalArgumentException("maxBatchTokens must be >= 1, got " + maxBatchTokens);
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.isNegative()) throw new IllegalArgumentException("maxDelay must be >= 0, got " + maxDelay);
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
    }

    /**
     * This policy with the {@link #KEYS} that {@code values} gives (null for a key not given) applied. The one place
     * those keys are read: {@code config.properties}, management registration and command-line flags all come here.
     *
     * @throws IllegalArgumentException naming the key, when a value is not an integer or is out of range
     */
    public BatchPolicy withKeys(Function<String, String> values) {
        int size = intOf(values, "batch_size", maxBatchSize, 1);
        int tokens = intOf(values, "max_batch_tokens", maxBatchTokens, 1);
        Duration delay = values.apply("max_batch_delay") == null ? maxDelay
                : Duration.ofMillis(intOf(values, "max_batch_delay", 0, 0));
        int queue = intOf(values, "job_queue_size", queueCapacity, 1);
        return new BatchPolicy(size, tokens, delay, queue);
    }

    private static int intOf(Function<String, String> values, String key, int dflt, int min) {
        String v = values.apply(key);
        if (v == null) return dflt;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
        if (n < min) throw new IllegalArgumentException(key + " must be >= " + min + ", got " + n);
        return n;
    }

    /** The policy in TorchServe's key names, for messages. */
    public String describe() {
        return "batch_size " + maxBatchSize + ", max_batch_tokens " + maxBatchTokens + ", max_batch_delay " + maxDelay.toMillis()
                + " ms, job_queue_size " + queueCapacity;
    }

    /**
     * Batches of up to 32 sequences and 8192 padded tokens, no wait for a fuller batch, 1024 queued. No wait since
     * session 9: the 2 ms it was cost throughput wherever a few clients kept a worker busy and never won (docs/perf.md).
     */
    public static BatchPolicy defaults() {
        return new BatchPolicy(32, 8192, Duration.ZERO, 1024);
    }
}
