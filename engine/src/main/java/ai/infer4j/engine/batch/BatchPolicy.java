package ai.infer4j.engine.batch;

import java.time.Duration;
import java.util.Objects;

/**
 * How a backbone's queue is batched.
 *
 * @param maxBatchSize   sequences per forward pass, at most
 * @param maxBatchTokens padded tokens (rows x longest) per forward pass, at most
 * @param maxDelay       how long a worker waits for more work after the first request of a batch arrives
 * @param queueCapacity  requests waiting, at most; beyond this new requests are refused at once
 */
public record BatchPolicy(int maxBatchSize, int maxBatchTokens, Duration maxDelay, int queueCapacity) {
    public BatchPolicy {
        if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
        if (maxBatchTokens < 1) throw new IllegalArgumentException("maxBatchTokens must be >= 1, got " + maxBatchTokens);
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.isNegative()) throw new IllegalArgumentException("maxDelay must be >= 0, got " + maxDelay);
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
    }

    /** The policy in TorchServe's key names, for messages. */
    public String describe() {
        return "batch_size " + maxBatchSize + ", max_batch_tokens " + maxBatchTokens + ", max_batch_delay " + maxDelay.toMillis()
                + " ms, job_queue_size " + queueCapacity;
    }

    public static BatchPolicy defaults() {
        return new BatchPolicy(32, 8192, Duration.ofMillis(2), 1024);
    }
}
