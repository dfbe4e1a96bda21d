package ai.infer4j.engine.error;

/** The input cannot be scored as given: missing, empty, wrong type (400) or too long (422). */
public final class BadInputException extends InferenceException {
    public BadInputException(String message) {
        super(400, message, null);
    }

    private BadInputException(int status, String message) {
        super(status, message, null);
    }

    /** The same failure with {@code prefix} (e.g. which input of a batch) before the message. */
    public BadInputException withPrefix(String prefix) {
        return new BadInputException(status(), prefix + getMessage());
    }

    /** Input is well-formed but longer than the model accepts and truncation is off. */
    public static BadInputException tooLong(String message) {
        return new BadInputException(422, message);
    }
}
