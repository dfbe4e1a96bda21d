package ai.infer4j.bench.load;

import ai.infer4j.bench.record.Outcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Something the load generator sends requests to: an HTTP endpoint, the engine in-process, or a synthetic
 * target in tests. {@link #send} must return at once and never throw; failures complete the future with an
 * {@link Outcome} other than {@code OK}. Implementations are safe for concurrent callers.
 */
public interface Target extends AutoCloseable {

    /** Sends one input; the future completes when the answer (or failure) is in. */
    CompletableFuture<Outcome> send(String input);

    /**
     * Sends one input that the load's schedule meant to send at {@code intendedNanos} ({@code System.nanoTime()}
     * scale; earlier than now when the client fell behind). A target that models a server in time (a test's fake)
     * decides on this time, so a client stall does not change its answer; the others ignore it.
     */
    default CompletableFuture<Outcome> send(String input, long intendedNanos) {
        return send(input);
    }

    /**
     * Where the open loop should pace its sends, or null for the load generator's own pacing thread. A target that
     * returns an executor promises that its timers are precise to well under a millisecond and that {@link #send}
     * called on it costs no hand-off to another thread (an HTTP client's own I/O loop on a native transport): the
     * load generator then schedules each due send on it, so a request costs one thread wake-up instead of two.
     * Requests are still sent in schedule order, late ones as soon as the executor runs again, and their latency
     * counted from the intended time.
     */
    default ScheduledExecutorService pacer() {
        return null;
    }

    /** A short human description for reports, e.g. {@code http://127.0.0.1:8080/predictions/intent}. */
    String describe();

    @Override
    void close();
}
