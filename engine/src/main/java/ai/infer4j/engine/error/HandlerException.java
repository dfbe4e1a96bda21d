package ai.infer4j.engine.error;

/**
 * A custom handler failed on one request (it threw, or broke its contract). Only that request fails, with a 500 whose
 * message names the handler, the phase and an incident id; the handler's exception is the cause, for the server log,
 * and never reaches the client.
 */
public final class HandlerException extends InferenceException {
    private final String incident;

    public HandlerException(String message, String incident, Throwable cause) {
        super(500, message, cause);
        this.incident = incident;
    }

    @Override
    public String type() {
        return "HandlerFailed";
    }

    /** Random id that ties the client's error to the server log line with the stack trace. */
    public String incident() {
        return incident;
    }
}
