package ai.infer4j.engine.handler;

/** Receives how long each handler phase took (e.g. for {@code infer4j_handler_seconds}). Must be fast and thread-safe. */
@FunctionalInterface
public interface HandlerListener {
    HandlerListener NONE = (handler, phase, nanos) -> { };

    /**
     * @param handler the handler's name
     * @param phase   {@code before} or {@code after}
     * @param nanos   wall time of the call, whether it returned or threw
     */
    void timed(String handler, String phase, long nanos);
}
