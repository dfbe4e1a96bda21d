package ai.infer4j.engine.error;

/** The request's deadline passed before the model could run it; it was dropped unscored. */
public final class DeadlineExceededException extends InferenceException {
    public DeadlineExceededException(String message) {
        super(503, message, null);
    }
}
