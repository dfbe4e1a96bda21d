package ai.infer4j.bench.load;

import ai.infer4j.bench.record.IntervalRecorder;
import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import org.HdrHistogram.Histogram;
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
 * <p>Open-loop requests are paced on the target's own I/O loop when it offers one ({@link Target#pacer()}: an HTTP
 * client on epoll, whose timers are sub-millisecond), so a send costs that loop one wake-up and no hand-off;
 * otherwise on the thread that calls {@link #run}, which parks until a send is due and spins its last 60 us. Either
 * way a request that could not leave on time (a stalled loop, a descheduled thread) leaves as soon as the pacer runs
 * again and still counts from its intended time; how late each measured send left is recorded
 * ({@link RunResult#sendLateMicros()}). Closed-loop requests are sent from one named thread
 * ({@code infer4j-bench-sender}), so inputs are drawn by one thread at a time. {@link #run} blocks until the run
 * is over and every outstanding request has ended or timed out.
 *
 * <p>The measured time ends with the last measured answer (or when the wait for outstanding answers gave up), not
 * when the calling thread noticed it: on a busy machine that thread and the interval timer can wake tens of
 * milliseconds late, which a short run (a tuner probe) would count as time the target took.
 */
public final class LoadGenerator {
    private static final long SPIN_NANOS = 60_000;
    private static final long OVER = Long.MIN_VALUE;
    private static final long MAX_LATE_MICROS = 3_600_000_000L;

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
        Histogram lateMicros = new Histogram(MAX_LATE_MICROS, 3);
        long stop;
        try {
            long lastSend;
            if (spec.mode() == LoadSpec.Mode.OPEN) {
                Schedule schedule = new Schedule(rec, inFlight, lastAnswer, lateMicros, t0, measureStart, end);
                ScheduledExecutorService pacer = target.pacer();
                lastSend = pacer != null ? openLoopOn(pacer, schedule) : openLoop(schedule);
            } else {
                lastSend = closedLoop(rec, inFlight, lastAnswer, measureStart, end);
            }
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
        return new RunResult(spec, rows, total, s, lateMicros);
    }

    /**
     * The open loop's schedule: request {@code i} is due at {@code t0 + i / rate}. Used by one thread at a time
     * (the pacing thread, or the target's loop when it paces), so its counters are plain fields.
     */
    private final class Schedule {
        private final IntervalRecorder rec;
        private final AtomicInteger inFlight;
        private final AtomicLong lastAnswer;
        private final Histogram lateMicros;
        private final long t0;
        private final long measureStart;
        private final long end;
        private final double period = 1e9 / spec.ratePerSecond();
        private long i;
        private long measuredSent;

        Schedule(IntervalRecorder rec, AtomicInteger inFlight, AtomicLong lastAnswer, Histogram lateMicros, long t0, long measureStart, long end) {
            this.rec = rec;
            this.inFlight = inFlight;
            this.lastAnswer = lastAnswer;
            this.lateMicros = lateMicros;
            this.t0 = t0;
            this.measureStart = measureStart;
            this.end = end;
        }

        /** When the next request is due, or {@link #OVER} when the run sends no more. */
        long next() {
            long intended = t0 + (long) (i * period);
            if (intended >= end) return OVER;
            if (intended >= measureStart && spec.maxRequests() > 0 && measuredSent >= spec.maxRequests()) return OVER;
            return intended;
        }

        /** Sends the request due at {@code intended} (from {@link #next}) now, or drops it at the in-flight cap. */
        void fire(long intended) {
            i++;
            boolean measured = intended >= measureStart;
            if (inFlight.get() >= spec.maxInFlight()) {
                if (measured) rec.record(Outcome.DROPPED, 0);
                return;
            }
            inFlight.incrementAndGet();
            if (measured) {
                rec.sent();
                measuredSent++;
                lateMicros.recordValue(Math.max(0, Math.min(MAX_LATE_MICROS, (System.nanoTime() - intended) / 1_000)));
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
    }

    /** Paces on the calling thread: parks until a send is due, spins its last stretch. @return when it stopped sending */
    private static long openLoop(Schedule s) throws InterruptedException {
        for (long intended; (intended = s.next()) != OVER; ) {
            waitUntil(intended);
            s.fire(intended);
        }
        return System.nanoTime();
    }

    /**
     * Paces on the target's executor: one self-rescheduling task sends everything due, then schedules itself for the
     * next due time. The calling thread only waits. @return when it stopped sending
     */
    private static long openLoopOn(ScheduledExecutorService pacer, Schedule s) throws InterruptedException {
        Tick tick = new Tick(pacer, s);
        try {
            pacer.execute(tick);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the target is closed: its I/O loop takes no more sends", e);
        }
        try {
            tick.over.await();
        } catch (InterruptedException e) {
            tick.cancelled = true;
            throw e;
        }
        if (tick.failure != null) throw new IllegalStateException("the open loop's pacing failed: " + tick.failure, tick.failure);
        return tick.stoppedAt;
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

    /** The pacing task of {@link #openLoopOn}. */
    private static final class Tick implements Runnable {
        private final ScheduledExecutorService pacer;
        private final Schedule s;
        final CountDownLatch over = new CountDownLatch(1);
        volatile boolean cancelled;
        volatile long stoppedAt;
        volatile Throwable failure;

        Tick(ScheduledExecutorService pacer, Schedule s) {
            this.pacer = pacer;
            this.s = s;
        }

        @Override
        public void run() {
            try {
                long now = System.nanoTime();
                for (long intended; !cancelled && (intended = s.next()) != OVER; ) {
                    if (intended > now && intended > (now = System.nanoTime())) {
                        pacer.schedule(this, intended - now, TimeUnit.NANOSECONDS);
                        return;
                    }
                    s.fire(intended);
                }
                stoppedAt = System.nanoTime();
            } catch (Throwable t) {  // a closed executor or a broken target: the waiting thread reports it
                failure = t;
            }
            over.countDown();
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
