package ai.infer4j.bench.load;

import ai.infer4j.bench.record.IntervalRecorder;
import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import org.HdrHistogram.HistogramLogWriter;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Sends load to a {@link Target} and records it.
 *
 * <p>Open loop: request {@code i} is due at {@code start + i / rate}; its latency is counted from that intended
 * time, not from when it actually left, so a target that stalls (or a client that fell behind) shows its full
 * queueing delay in the percentiles: no coordinated omission. Closed loop: {@code concurrency} clients each send
 * the next request when the last is answered, latency from the actual send (the classic benchmark, which hides
 * stalls: a stalled client simply stops sending).
 *
 * <p>Open-loop requests are sent from the thread that calls {@link #run}; closed-loop ones from one named thread
 * ({@code infer4j-bench-sender}), so inputs are drawn by one thread at a time. {@link #run} blocks until the run
 * is over and every outstanding request has ended or timed out.
 *
 * <p>The measured time ends with the last measured answer (or when the wait for outstanding answers gave up), not
 * when the calling thread noticed it: on a busy machine that thread and the interval timer can wake tens of
 * milliseconds late, which a short run (a tuner probe) would count as time the target took.
 */
public final class LoadGenerator {
    private static final long SPIN_NANOS = 60_000;

    private final Target target;
    private final Inputs inputs;
    private final LoadSpec spec;
    private final Consumer<IntervalRow> onInterval;
    private final HistogramLogWriter log;

    /**
     * @param onInterval called on the interval thread after each row (e.g. a live progress line); must be quick
     * @param log        HdrHistogram interval log, or null
     */
    public LoadGenerator(Target target, Inputs inputs, LoadSpec spec, Consumer<IntervalRow> onInterval, HistogramLogWriter log) {
        this.target = target;
        this.inputs = inputs;
        this.spec = spec;
        this.onInterval = onInterval;
        this.log = log;
    }

    public RunResult run() throws InterruptedException {
        long t0 = System.nanoTime();
        long measureStart = t0 + spec.warmup().toNanos();
        long end = measureStart + spec.duration().toNanos();
        IntervalRecorder rec = new IntervalRecorder(measureStart, System.currentTimeMillis() + spec.warmup().toMillis(), log);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "infer4j-bench-interval"));
        long intervalNanos = spec.interval().toNanos();
        ticker.scheduleAtFixedRate(() -> onInterval.accept(rec.tick(System.nanoTime())),
                measureStart + intervalNanos - System.nanoTime(), intervalNanos, TimeUnit.NANOSECONDS);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicLong lastAnswer = new AtomicLong(measureStart);
        long stop;
        try {
            long lastSend = spec.mode() == LoadSpec.Mode.OPEN ? openLoop(rec, inFlight, lastAnswer, t0, measureStart, end)
                    : closedLoop(rec, inFlight, lastAnswer, measureStart, end);
            stop = drain(inFlight) ? Math.max(lastSend, lastAnswer.get()) : System.nanoTime();
        } finally {
            ticker.shutdownNow();
            ticker.awaitTermination(5, TimeUnit.SECONDS);
        }
        IntervalRow last = rec.tick(stop);
        onInterval.accept(last);
        var rows = rec.rows();
        var total = rec.total();
        String mode = spec.mode() == LoadSpec.Mode.OPEN ? "open" : "closed";
        RunSummary s = RunSummary.of(target.describe(), mode, spec.mode() == LoadSpec.Mode.OPEN ? spec.ratePerSecond() : 0,
                spec.mode() == LoadSpec.Mode.CLOSED ? spec.concurrency() : 0, rows, total);
        return new RunResult(spec, rows, total, s);
    }

    /** @return when it stopped sending */
    private long openLoop(IntervalRecorder rec, AtomicInteger inFlight, AtomicLong lastAnswer, long t0, long measureStart, long end)
            throws InterruptedException {
        double period = 1e9 / spec.ratePerSecond();
        long measuredSent = 0;
        for (long i = 0; ; i++) {
            long intended = t0 + (long) (i * period);
            if (intended >= end) break;
            boolean measured = intended >= measureStart;
            if (measured && spec.maxRequests() > 0 && measuredSent >= spec.maxRequests()) break;
            waitUntil(intended);
            if (inFlight.get() >= spec.maxInFlight()) {
                if (measured) rec.record(Outcome.DROPPED, 0);
                continue;
            }
            inFlight.incrementAndGet();
            if (measured) {
                rec.sent();
                measuredSent++;
            }
            target.send(inputs.next(), intended).whenComplete((o, e) -> {
                long done = System.nanoTime();
                if (measured) {
                    rec.record(o != null ? o : Outcome.SERVER_ERROR, done - intended);
                    lastAnswer.accumulateAndGet(done, Math::max);
                }
                inFlight.decrementAndGet();
            });
        }
        return System.nanoTime();
    }

    private static void waitUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        while (left > 0) {
            if (Thread.interrupted()) throw new InterruptedException();
            // park overshoots by ~50 us on Linux; spin the last stretch so sends leave on time
            if (left > SPIN_NANOS) LockSupport.parkNanos(left - SPIN_NANOS);
            else Thread.onSpinWait();
            left = deadline - System.nanoTime();
        }
    }

    /** @return {@code measureStart}: clients send until their last answer, which {@code lastAnswer} holds */
    private long closedLoop(IntervalRecorder rec, AtomicInteger inFlight, AtomicLong lastAnswer, long measureStart, long end)
            throws InterruptedException {
        int c = spec.concurrency();
        CountDownLatch done = new CountDownLatch(c);
        ThreadPoolExecutor sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(c + 16),
                r -> daemon(r, "infer4j-bench-sender"));
        long[] measuredSent = {0};
        try {
            Runnable[] client = new Runnable[1];
            client[0] = () -> {
                long start = System.nanoTime();
                boolean measured = start >= measureStart;
                boolean countFull = spec.maxRequests() > 0 && measuredSent[0] >= spec.maxRequests();
                if (start >= end || (measured && countFull)) {
                    done.countDown();
                    return;
                }
                if (measured) {
                    rec.sent();
                    measuredSent[0]++;
                }
                inFlight.incrementAndGet();
                target.send(inputs.next(), start).whenComplete((o, e) -> {
                    long t = System.nanoTime();
                    if (measured) {
                        rec.record(o != null ? o : Outcome.SERVER_ERROR, t - start);
                        lastAnswer.accumulateAndGet(t, Math::max);
                    }
                    inFlight.decrementAndGet();
                    try {
                        sender.execute(client[0]);
                    } catch (RejectedExecutionException late) {
                        done.countDown(); // answered after the run gave up waiting; nothing left to send
                    }
                });
            };
            for (int i = 0; i < c; i++) sender.execute(client[0]);
            long waitNanos = end - System.nanoTime() + spec.timeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
            done.await(waitNanos, TimeUnit.NANOSECONDS);
        } finally {
            sender.shutdown();
            sender.awaitTermination(spec.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        }
        return measureStart;
    }

    /**
     * Waits for outstanding requests: each ends by itself within the request timeout.
     *
     * @return whether every one ended
     */
    private boolean drain(AtomicInteger inFlight) throws InterruptedException {
        long until = System.nanoTime() + spec.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        while (inFlight.get() > 0 && System.nanoTime() < until) {
            if (Thread.interrupted()) throw new InterruptedException();
            LockSupport.parkNanos(1_000_000);
        }
        return inFlight.get() == 0;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
