package ai.infer4j.engine.error;

/**
 * Base of every failure infer4j reports to a caller. Each carries the HTTP status a server
 * should answer with, so the mapping lives with the error, not in an {@code instanceof} chain.
 */
public sealed class InferenceException extends RuntimeException
        permits BadInputException, ModelNotFoundException, ModelLoadException, ModelConflictException, OverloadedException,
                DeadlineExceededException, ModelExecutionException, HandlerException {
    private final int status;

    protected InferenceException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** HTTP status code that describes this failure (4xx: the caller can fix it; 5xx: we can). */
    public int status() {
        return status;
    }

    /** Short machine-readable type, e.g. {@code BadInput}. */
    public String type() {
        String n = getClass().getSimpleName();
        return n.endsWith("Exception") ? n.substring(0, n.length() - "Exception".length()) : n;
    }
}
