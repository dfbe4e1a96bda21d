package ai.infer4j.engine.error;

/** The request conflicts with the models' current state, e.g. registering a version that exists (409). */
public final class ModelConflictException extends InferenceException {
    public ModelConflictException(String message) {
        super(409, message, null);
    }
}
