package ai.infer4j.engine.error;

/** No model (or no such version of it) is known by that name. */
public final class ModelNotFoundException extends InferenceException {
    public ModelNotFoundException(String message) {
        super(404, message, null);
    }
}
