package ai.infer4j.engine.error;

/** A model, head or archive is missing parts or does not fit together; the message names what is wrong. */
public final class ModelLoadException extends InferenceException {
    public ModelLoadException(String message) {
        super(400, message, null);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(400, message, cause);
    }
}
