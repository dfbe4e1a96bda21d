package ai.infer4j.engine.error;

/** The work queue is full or the model is not ready; retry later (503 + Retry-After). */
public final class OverloadedException extends InferenceException {
    public OverloadedException(String message) {
        super(503, message, null);
    }
}
