package ai.infer4j.engine.batch;

/** Observes a scheduler for metrics. Called on worker threads; implementations must be cheap and lock-free. */
public interface BatchListener {
    BatchListener NONE = new BatchListener() { };

    /** A forward pass ran: {@code size} sequences padded to {@code paddedLength}, taking {@code modelNanos}. */
    default void batch(int size, int paddedLength, double paddingRatio, long modelNanos) { }

    /** A job waited {@code nanos} in the queue before its batch started. */
    default void queueWait(long nanos) { }

    /** A job's deadline passed before it reached the model; it was dropped. */
    default void expired() { }
}
