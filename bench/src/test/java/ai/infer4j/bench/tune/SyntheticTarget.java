package ai.infer4j.bench.tune;

import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.load.Target;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A target with a known latency curve and no model: one FIFO server with a fixed service time
 * ({@code 1 / capacityRps}) plus a fixed extra latency, and a queue bounded to {@code MAX_QUEUE_NANOS} of work.
 * Below capacity the latency is flat; above it the queue fills and the excess is refused (503), as a real server
 * does. Refusals are counted, not timed, so the curve's edge does not move with the test machine's timer jitter.
 * The queue runs on the load's intended send times, not on the clock: a client stalled by a busy machine that
 * then sends a burst to catch up is not refused, so whether a rate fits depends only on the rate.
 */
final class SyntheticTarget implements Target {
    private final long serviceNanos;
    private final long extraNanos;
    private final String name;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "synthetic-target");
        t.setDaemon(true);
        return t;
    });
    private static final long MAX_QUEUE_NANOS = 20_000_000;
    private long busyUntil = System.nanoTime(); // nanoTime may be negative: never start from 0

    SyntheticTarget(String name, double capacityRps, double extraMillis) {
        this.name = name;
        this.serviceNanos = (long) (1e9 / capacityRps);
        this.extraNanos = (long) (extraMillis * 1e6);
    }

    @Override
    public CompletableFuture<Outcome> send(String input) {
        return send(input, System.nanoTime());
    }

    @Override
    public CompletableFuture<Outcome> send(String input, long intendedNanos) {
        long done;
        synchronized (this) {
            if (busyUntil - intendedNanos > MAX_QUEUE_NANOS) return CompletableFuture.completedFuture(Outcome.REFUSED);
            busyUntil = Math.max(intendedNanos, busyUntil) + serviceNanos;
            done = busyUntil + extraNanos;
        }
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        timer.schedule(() -> f.complete(Outcome.OK), done - System.nanoTime(), TimeUnit.NANOSECONDS);
        return f;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
