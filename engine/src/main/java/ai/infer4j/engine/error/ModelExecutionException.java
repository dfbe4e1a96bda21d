package ai.infer4j.engine.error;

/** The runtime failed while running a model that loaded fine: a bug or a broken model (500). */
public final class ModelExecutionException extends InferenceException {
    public ModelExecutionException(String message, Throwable cause) {
        super(500, message, cause);
    }
}
