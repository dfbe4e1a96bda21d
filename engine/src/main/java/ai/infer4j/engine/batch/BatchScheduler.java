package ai.infer4j.engine.batch;

import ai.infer4j.engine.error.DeadlineExceededException;
import ai.infer4j.engine.error.InferenceException;
import ai.infer4j.engine.error.ModelExecutionException;
import ai.infer4j.engine.error.OverloadedException;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.Forward;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.tokenize.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Dynamic batching for one backbone: a bounded queue shared by every model (head) on that backbone, and
 * {@code workers} that each take up to {@code maxBatchSize} sequences (and {@code maxBatchTokens} padded tokens),
 * sort them by length and run one forward pass (or a few, when that pads much less: {@link PaddingSplit}). Workers
 * are either the scheduler's own threads ({@link Drain#THREADS}: they wait up to {@code maxDelay} for more, only when
 * more is already queued), or the
 * submitting callers' executors ({@link Drain#CALLERS}: e.g. the server's I/O event loops run the forward passes
 * themselves, at most {@code workers} at a time, like a single-threaded Node.js server per core: no thread
 * hand-off and no wake-up per request; they never wait for more work, and a loop with a backlog wakes idle loops to
 * share it). In CALLERS mode a pass estimated longer than {@link #LONG_PASS_NANOS} goes to a runner thread instead
 * while requests overlap ({@link #HAND_OFF_OVERLAP}), so the loop goes on reading: a request is then never stuck
 * unread behind a long pass while a core is free.
 * A full queue refuses at once; work whose deadline passed is dropped before the model.
 * {@link #submit} is safe for concurrent callers and never blocks.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchScheduler.class);

    /** Estimated work per forward pass on a caller's event loop (CALLERS mode), see {@link #takeQueued}. */
    static final long LOOP_BATCH_NANOS = 20_000_000;

    /**
     * CALLERS mode: a pass estimated to take longer than this runs on a runner thread, not on the event loop that formed
     * it, so the loop goes on reading its connections (see {@link #drainOnce}). Measured on 2 cores (docs/perf.md, session
     * 7): with fp32 passes (~5 ms at batch 1) the hand-off lowered open-loop p50 at every rate; at 2 ms int8 batches of
     * two (~2.6 ms) were handed off too and closed-loop c=4 lost up to a fifth, so passes that short stay on the loop.
     */
    public static final long LONG_PASS_NANOS = 4_000_000;

    /**
     * CALLERS mode: a long pass leaves its loop only while requests overlap, i.e. while more than this share of recent
     * arrivals found another request queued or in a pass ({@link #overlap}). A lone client sending one request after
     * another never has a request arrive during a pass, so there the hand-off (two thread wake-ups) is pure cost:
     * fp32 closed loop c=1, 3 alternated rounds, p99 10.3-11.6 ms with it vs 8.8-9.5 ms without (docs/perf.md, session 8).
     */
    static final double HAND_OFF_OVERLAP = 0.05;

    /** Weight of one arrival in {@link #overlap}: about the last 32 arrivals count. */
    private static final double OVERLAP_WEIGHT = 1.0 / 32;

    /** Run CALLERS-mode forward passes on the submitting thread, before {@code submit} returns. */
    public static final Executor DIRECT = Runnable::run;

    /** Who runs the forward passes. */
    public enum Drain {
        /** The scheduler's own worker threads. */
        THREADS,
        /** The executors that callers pass to {@link #submit(BatchedModel, Plan, Duration, Executor)}, at most {@code workers} at once. */
        CALLERS
    }

    /** The answer of one job: the backbone vector and how long the job waited. */
    public record Result(float[] vector, long queueNanos, long modelNanos, int batchSize) { }

    private record Job(BatchedModel model, Tokens tokens, long enqueuedNanos, long deadlineNanos, CompletableFuture<Result> future) { }

    private final Backbone backbone;
    private final String name;
    private final BatchPolicy policy;
    private final BatchListener listener;
    private final LongSupplier clock;
    private final BlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicInteger workerSeq = new AtomicInteger();
    private final Drain drain;
    /** Per caller executor (CALLERS mode): whether a drain task is queued there, and whether it is running a batch. */
    private record Loop(AtomicBoolean queued, AtomicBoolean running) {
        Loop() {
            this(new AtomicBoolean(), new AtomicBoolean());
        }
    }

    private final Map<Executor, Loop> loops = new ConcurrentHashMap<>();
    /** CALLERS mode: passes longer than this go to a runner thread ({@link #LONG_PASS_NANOS}; tests pin it). */
    private final long longPassNanos;
    /** Runner threads for long passes (CALLERS mode), made on first use; at most {@code workers} passes run at once anyway. */
    private final ExecutorService runners;
    private final AtomicInteger runnerSeq = new AtomicInteger();
    /** Forward passes running now (CALLERS mode). */
    private final AtomicInteger busy = new AtomicInteger();
    /** Forward passes in the model now, in either mode (their answers are not yet given). */
    private final AtomicInteger running = new AtomicInteger();
    private volatile int targetWorkers;
    private volatile boolean accepting = true;
    /** Smoothed forward-pass time per sequence, for admission control; 0 until the first batch. */
    private volatile double nanosPerSequence;
    /**
     * CALLERS mode: smoothed share of arrivals that found another request queued or in a pass (0..1). Updated without
     * a lock: a lost update among racing arrivals moves a smoothed share by one arrival's weight at most.
     */
    private volatile double overlap;

    /**
     * @param name   used in thread names and messages, e.g. the backbone's short name
     * @param clock  nanosecond clock ({@code System::nanoTime} outside tests)
     */
    public BatchScheduler(Backbone backbone, String name, BatchPolicy policy, int workers, BatchListener listener, LongSupplier clock) {
        this(backbone, name, policy, workers, listener, clock, Drain.THREADS);
    }

    /** @param drain who runs the forward passes: own threads, or the callers' executors */
    public BatchScheduler(Backbone backbone, String name, BatchPolicy policy, int workers, BatchListener listener, LongSupplier clock,
                          Drain drain) {
        this(backbone, name, policy, workers, listener, clock, drain, LONG_PASS_NANOS);
    }

    /**
     * @param longPassNanos CALLERS mode: a pass estimated longer than this runs on a runner thread instead of the loop,
     *                      while requests overlap ({@link #HAND_OFF_OVERLAP}); {@code 0}: every pass, overlap or not;
     *                      {@link Long#MAX_VALUE}: none
     */
    public BatchScheduler(Backbone backbone, String name, BatchPolicy policy, int workers, BatchListener listener, LongSupplier clock,
                          Drain drain, long longPassNanos) {
        if (longPassNanos < 0) throw new IllegalArgumentException("longPassNanos must be >= 0, got " + longPassNanos);
        this.longPassNanos = longPassNanos;
        this.runners = drain == Drain.CALLERS ? Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "infer4j-" + name + "-runner-" + runnerSeq.getAndIncrement());
            t.setDaemon(true);
            return t;
        }) : null;
        this.drain = drain;
        this.backbone = backbone;
        this.name = name;
        this.policy = policy;
        this.listener = listener;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(policy.queueCapacity());
        scale(workers);
    }

    public Backbone backbone() {
        return backbone;
    }

    public BatchPolicy policy() {
        return policy;
    }

    public Drain drain() {
        return drain;
    }

    /**
     * How long a request queued now would wait before its forward pass, from the queue depth and the
     * smoothed time per sequence. Work that could not start before its deadline is refused at once
     * instead of waiting in the queue to expire (load shedding that keeps admitted latency bounded).
     */
    public long predictedWaitNanos() {
        return (long) (queue.size() * nanosPerSequence / Math.max(1, targetWorkers));
    }

    /** Requests waiting for a worker. */
    public int queueDepth() {
        return queue.size();
    }

    public synchronized int workers() {
        return targetWorkers;
    }

    /** Sets the number of worker threads (>= 1); extra workers finish their batch and stop. */
    public synchronized void scale(int n) {
        if (n < 1) throw new IllegalArgumentException("workers must be >= 1, got " + n);
        targetWorkers = n;
        if (drain == Drain.CALLERS) return;
        workers.removeIf(t -> !t.isAlive());
        while (workers.size() < n) {
            Thread t = new Thread(this::workLoop, "infer4j-" + name + "-worker-" + workerSeq.getAndIncrement());
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    /**
     * Queues one tokenized input for {@code model} (which must use this scheduler's backbone).
     * Returns at once: the future completes with the backbone vector, or with
     * {@link OverloadedException} (queue full or shutting down) or {@link DeadlineExceededException}.
     *
     * @param timeout how long the caller will wait; the job is dropped unrun after that
     */
    public CompletableFuture<Result> submit(BatchedModel model, Tokens tokens, Duration timeout) {
        noteArrival();
        CompletableFuture<Result> f = enqueue(model, tokens, timeout);
        if (drain == Drain.CALLERS) drainHere();
        return f;
    }

    /** CALLERS mode: counts one request's arrival in {@link #overlap} (once per request, whatever its sequences). */
    private void noteArrival() {
        if (drain != Drain.CALLERS) return;
        double seen = queue.isEmpty() && busy.get() == 0 ? 0 : 1;
        overlap += (seen - overlap) * OVERLAP_WEIGHT;
    }

    private CompletableFuture<Result> enqueue(BatchedModel model, Tokens tokens, Duration timeout) {
        CompletableFuture<Result> f = new CompletableFuture<>();
        if (model.backbone() != backbone)
            throw new IllegalArgumentException("model " + model.name() + " does not use backbone " + backbone.id());
        if (!accepting) {
            f.completeExceptionally(new OverloadedException("model '" + model.name() + "' is shutting down; retry on another instance"));
            return f;
        }
        long now = clock.getAsLong();
        // the queue ahead plus its own forward pass: work that starts just before its deadline still answers after it
        long predicted = predictedWaitNanos() + (long) (policy.maxBatchSize() * nanosPerSequence / Math.max(1, targetWorkers));
        // with nothing queued or running the job runs now, and only running work can correct an estimate left high by
        // a slow stretch (a pause, a loaded machine): refusing then would refuse every request from then on
        boolean idle = queue.isEmpty() && running.get() == 0;
        if (predicted > timeout.toNanos() && !idle) {
            f.completeExceptionally(new OverloadedException("model '" + model.name() + "' is overloaded: it would answer in about "
                    + predicted / 1_000_000 + " ms, later than the request's " + timeout.toMillis() + " ms deadline; retry later"));
            return f;
        }
        Job job = new Job(model, tokens, now, now + timeout.toNanos(), f);
        if (!queue.offer(job))
            f.completeExceptionally(new OverloadedException("queue for '" + model.name() + "' is full (" + policy.queueCapacity() + "); retry later"));
        return f;
    }

    /**
     * Queues every sequence of a planned request and completes with the model's answers, in request order, once all
     * are run; fails with the first failure, or with {@link DeadlineExceededException} when the timeout passes first
     * (a batch already running is not stopped; its late answer is discarded). Never blocks.
     */
    public CompletableFuture<List<Answer>> submit(BatchedModel model, Plan plan, Duration timeout) {
        return submit(model, plan, timeout, DIRECT);
    }

    /**
     * {@link #submit(BatchedModel, Plan, Duration)}; in {@link Drain#CALLERS} mode the forward passes run on {@code here}
     * (e.g. the caller's event loop) once the current task is done, unless all workers are busy (then a running
     * worker takes the work after its batch). {@link #DIRECT} runs them on the calling thread, now.
     */
    public CompletableFuture<List<Answer>> submit(BatchedModel model, Plan plan, Duration timeout, Executor here) {
        noteArrival();
        List<Tokens> seqs = plan.sequences();
        @SuppressWarnings("unchecked")
        CompletableFuture<Result>[] parts = new CompletableFuture[seqs.size()];
        for (int i = 0; i < parts.length; i++) parts[i] = enqueue(model, seqs.get(i), timeout);
        if (drain == Drain.CALLERS) {
            if (here == DIRECT) drainHere();
            else wake(here, false);
        }
        CompletableFuture<Void> all = parts.length == 1 ? parts[0].thenApply(r -> null) : CompletableFuture.allOf(parts);
        return all.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrap(e) instanceof TimeoutException
                        ? new DeadlineExceededException("no answer within the request deadline of " + timeout.toMillis()
                                + " ms; the server is overloaded, retry later")
                        : unwrap(e)))
                .thenApply(ignored -> {
                    float[][] vectors = new float[parts.length][];
                    for (int i = 0; i < parts.length; i++) vectors[i] = parts[i].join().vector();
                    return model.answers(plan, vectors);
                });
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return t;
    }

    /**
     * CALLERS mode: queues one drain task on {@code here} unless one is already queued there (it will take this work
     * too). A first drain runs right after the current task (so requests read together share a batch); a drain
     * coming back with work left ({@code afterIo}) is scheduled, on a {@link ScheduledExecutorService} such as a
     * Netty event loop, to run after the loop's next I/O pass. Without that, Netty 4.2 runs queued tasks for up to
     * a second per pass, so under overload a loop ran batch after batch without reading: requests waited unread in
     * the socket, where admission control cannot refuse them (served p99 of seconds against a 500 ms deadline).
     */
    private void wake(Executor here, boolean afterIo) {
        Loop loop = loops.computeIfAbsent(here, e -> new Loop());
        if (!loop.queued().compareAndSet(false, true)) return;
        Runnable task = () -> {
            loop.queued().set(false);
            drainOn(here, loop);
        };
        if (afterIo && here instanceof ScheduledExecutorService scheduled) scheduled.schedule(task, 0, TimeUnit.NANOSECONDS);
        else here.execute(task);
    }

    /**
     * CALLERS mode, as a task on {@code here}: if a worker slot is free, runs one batch of what is queued, then, if
     * work is left, asks {@code here} to come back after its I/O (so an event loop reads and answers between batches,
     * and the next batch takes what arrived meanwhile). When every slot is busy it returns at once: a running worker
     * re-checks the queue after its batch, so queued work is never stranded.
     */
    private void drainOn(Executor here, Loop loop) {
        loop.running().set(true);
        boolean more;
        try {
            more = drainOnce(here);
        } finally {
            loop.running().set(false);
        }
        if (more) wake(here, true);
    }

    /** Runs batches on this thread while a worker slot is free and work is queued. */
    private void drainHere() {
        while (drainOnce(null)) {
            Thread.onSpinWait();
        }
    }

    /**
     * One batch if a worker slot is free; true when work is left afterwards (and this thread should come back).
     * On a loop ({@code here} not null), when other loops are idle and slots are free, it takes only its share of
     * what is queued and wakes them for the rest: a backlog (after a stall, or requests that arrived together on
     * one connection's loop) then runs on every core at once instead of as one long batch on one loop, while
     * the other cores wait. A long pass formed on a loop runs on a runner thread ({@link #handOff}).
     */
    private boolean drainOnce(Executor here) {
        int n = acquireSlot();
        if (n < 0) return false;
        boolean handedOff = false;
        try {
            List<Job> batch = new ArrayList<>(Math.min(policy.maxBatchSize(), queue.size() + 1));
            Job first = queue.poll();
            if (first != null) {
                batch.add(first);
                List<Executor> idle = here == null ? List.of() : idleLoops(here, targetWorkers - n - 1);
                int share = idle.isEmpty() ? Integer.MAX_VALUE : -Math.floorDiv(-(queue.size() + 1), idle.size() + 1);
                takeQueued(batch, first, share);
                if (!queue.isEmpty()) for (Executor other : idle) wakeIfRunning(other);
                if (here != null && leavesLoop(batch.size())) handedOff = handOff(batch, first);
                if (!handedOff) runGuarded(batch, first);
            }
        } finally {
            if (!handedOff) busy.decrementAndGet();
        }
        return !queue.isEmpty();
    }

    /**
     * Whether a pass of {@code size} sequences formed on a loop goes to a runner: it is estimated long
     * ({@link #LONG_PASS_NANOS}) and requests overlap ({@link #HAND_OFF_OVERLAP}). The first pass runs where it formed
     * (nothing is known about the model's speed yet).
     */
    private boolean leavesLoop(int size) {
        boolean longPass = size * nanosPerSequence > longPassNanos;
        return longPass && (longPassNanos == 0 || overlap > HAND_OFF_OVERLAP);
    }

    /** Takes a worker slot; the number of slots taken before, or -1 when every slot is busy. */
    private int acquireSlot() {
        int n;
        do {
            n = busy.get();
            if (n >= targetWorkers) return -1;
        } while (!busy.compareAndSet(n, n + 1));
        return n;
    }

    /**
     * A long pass leaves the event loop (which would read nothing while it runs: a request arriving on its connections
     * would wait unread for the whole pass even with another core idle, docs/perf.md session 7) for a runner thread,
     * which keeps the slot and then goes on with what is queued until the queue is empty. False when the runners are
     * shut down (the loop runs the pass itself).
     */
    private boolean handOff(List<Job> batch, Job first) {
        try {
            runners.execute(() -> runOnRunner(batch, first));
            return true;
        } catch (RejectedExecutionException stopped) {
            return false;
        }
    }

    /** On a runner, holding a slot: runs {@code batch}, then batches of what is queued; gives the slot back when none is. */
    private void runOnRunner(List<Job> batch, Job first) {
        boolean holding = true;
        try {
            while (true) {
                runGuarded(batch, first);
                first = nextOrRelease();
                if (first == null) {
                    holding = false;
                    return;
                }
                batch = new ArrayList<>(Math.min(policy.maxBatchSize(), queue.size() + 1));
                batch.add(first);
                takeQueued(batch, first, Integer.MAX_VALUE);
            }
        } finally {
            if (holding) busy.decrementAndGet(); // only on something unexpected: a lost slot would lower capacity for good
        }
    }

    /**
     * Holding a slot: the next queued job, or null after giving the slot back. Work queued while this slot was held may
     * have found no free slot (its loop then returned), so after giving it back the queue is checked again, as every
     * slot holder does: nothing queued is stranded.
     */
    private Job nextOrRelease() {
        while (true) {
            Job next = queue.poll();
            if (next != null) return next;
            busy.decrementAndGet();
            if (queue.isEmpty() || acquireSlot() < 0) return null;
        }
    }

    /**
     * Wakes another loop to share a backlog; a loop that has stopped is forgotten (this loop comes back for the rest,
     * and later backlogs are not split for it).
     */
    private void wakeIfRunning(Executor other) {
        try {
            wake(other, false);
        } catch (RejectedExecutionException stopped) {
            loops.remove(other);
        }
    }

    /** Up to {@code max} loops other than {@code here} that neither run a batch nor have a drain queued. */
    private List<Executor> idleLoops(Executor here, int max) {
        if (max <= 0 || queue.isEmpty()) return List.of();
        List<Executor> idle = new ArrayList<>(max);
        for (Map.Entry<Executor, Loop> e : loops.entrySet()) {
            if (idle.size() == max) break;
            Loop l = e.getValue();
            if (e.getKey() != here && !l.running().get() && !l.queued().get()) idle.add(e.getKey());
        }
        return idle;
    }

    /**
     * Adds what is already queued, up to the batch limits and {@code share} jobs in all, without waiting. On an event
     * loop a batch is also kept under {@link #LOOP_BATCH_NANOS} of estimated work: the loop reads nothing while it
     * runs, so a request arriving meanwhile waits unread (and uncounted by its deadline) for the whole batch. Batches
     * beyond ~8 sequences buy little throughput on a CPU (docs/perf.md), so the bound costs nothing at saturation and
     * caps that wait. The bound allows two sequences at least (if the policy does): a sequence estimated over half of
     * it (an overloaded machine, or an estimate taken in a stall) would otherwise stop batching when it is worth most.
     */
    private void takeQueued(List<Job> batch, Job first, int share) {
        int longest = first.tokens().length();
        int cap = nanosPerSequence == 0 ? policy.maxBatchSize()
                : (int) Math.min(policy.maxBatchSize(), Math.max(2, LOOP_BATCH_NANOS / nanosPerSequence));
        cap = Math.min(cap, share);
        while (batch.size() < cap) {
            Job next = queue.peek();
            if (next == null) return;
            int len = Math.max(longest, next.tokens().length());
            if ((long) len * (batch.size() + 1) > policy.maxBatchTokens()) return;
            next = queue.poll();
            if (next == null) return;
            longest = len;
            batch.add(next);
        }
    }

    /** Runs a batch; a failure fails that batch's callers (typed failures carry their status) and nothing else. */
    private void runGuarded(List<Job> batch, Job first) {
        try {
            run(batch);
        } catch (InferenceException e) {
            fail(batch, e);
        } catch (RuntimeException | Error e) {
            log.error("{} failed a batch of {}", Thread.currentThread().getName(), batch.size(), e);
            fail(batch, new ModelExecutionException("model failed: " + e.getMessage(), e));
        }
    }

    /** Runs a worker; a worker that dies of something unexpected is logged and replaced. */
    private void workLoop() {
        try {
            loop();
        } catch (Throwable t) {
            log.error("worker {} died; replacing it", Thread.currentThread().getName(), t);
            synchronized (this) {
                workers.remove(Thread.currentThread());
                if (accepting) scale(targetWorkers);
            }
        }
    }

    private void loop() {
        List<Job> batch = new ArrayList<>(policy.maxBatchSize());
        while (true) {
            if (exitIfSurplus()) return;
            Job first;
            try {
                first = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (!accepting) return;
                continue;
            }
            batch.clear();
            batch.add(first);
            try {
                gather(batch, first);
            } catch (InterruptedException e) {
                fail(batch, new OverloadedException("model '" + first.model().name() + "' is shutting down"));
                Thread.currentThread().interrupt();
                return;
            }
            runGuarded(batch, first); // typed failures are carried to each caller, who logs them with the request's context
        }
    }

    private synchronized boolean exitIfSurplus() {
        long alive = workers.stream().filter(Thread::isAlive).count();
        if (alive > targetWorkers) {
            workers.remove(Thread.currentThread());
            return true;
        }
        return false;
    }

    /**
     * Adds queued jobs until the batch is full or {@code maxDelay} after the first job's arrival (0 by default: what
     * is queued now). Adaptive: when nothing else is queued the first job runs at once, so a lone request never pays
     * the delay; under load, work piles up during each forward pass and batches fill by themselves.
     */
    private void gather(List<Job> batch, Job first) throws InterruptedException {
        if (queue.isEmpty()) return;
        long until = first.enqueuedNanos() + policy.maxDelay().toNanos();
        int longest = first.tokens().length();
        while (batch.size() < policy.maxBatchSize()) {
            Job next = queue.peek();
            if (next == null) {
                long wait = until - clock.getAsLong();
                if (wait <= 0) break;
                next = queue.poll(wait, TimeUnit.NANOSECONDS);
                if (next == null) break;
            } else {
                int len = Math.max(longest, next.tokens().length());
                if ((long) len * (batch.size() + 1) > policy.maxBatchTokens()) break;
                next = queue.poll();
                if (next == null) continue;
            }
            longest = Math.max(longest, next.tokens().length());
            batch.add(next);
        }
    }

    private void run(List<Job> batch) {
        long start = clock.getAsLong();
        List<Job> live = new ArrayList<>(batch.size());
        Job probe = null;
        for (Job j : batch) {
            // a job that cannot be answered before its deadline is not run (estimated from the smoothed time per sequence)
            if (start + (long) (batch.size() * nanosPerSequence) > j.deadlineNanos()) {
                // when every job is late only by the estimate, the one with the most time left runs anyway: the estimate
                // may be stale (measured in a slow stretch), and a pass is the only thing that corrects it
                if (start < j.deadlineNanos() && (probe == null || j.deadlineNanos() > probe.deadlineNanos())) {
                    if (probe != null) expire(probe);
                    probe = j;
                } else {
                    expire(j);
                }
            } else {
                live.add(j);
            }
        }
        if (probe != null) {
            if (live.isEmpty()) live.add(probe);
            else expire(probe);
        }
        if (live.isEmpty()) return;
        live.sort(Comparator.comparingInt(j -> j.tokens().length()));
        int[] lengths = new int[live.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = live.get(i).tokens().length();
        int from = 0;
        for (int to : PaddingSplit.cuts(lengths, PaddingSplit.CALL_COST_SLOTS)) { // one pass, or a few that pad less
            forward(live.subList(from, to), start);
            from = to;
            start = clock.getAsLong();
        }
    }

    /** One forward pass over {@code pass}; answers its jobs. */
    private void forward(List<Job> pass, long start) {
        List<Tokens> tokens = new ArrayList<>(pass.size());
        for (Job j : pass) tokens.add(j.tokens());
        Forward f;
        running.incrementAndGet();
        try {
            f = backbone.forward(tokens);
        } finally {
            running.decrementAndGet();
        }
        long modelNanos = clock.getAsLong() - start;
        double perSeq = (double) modelNanos / pass.size();
        nanosPerSequence = nanosPerSequence == 0 ? perSeq : 0.8 * nanosPerSequence + 0.2 * perSeq;
        listener.batch(pass.size(), f.paddedLength(), f.paddingRatio(), modelNanos);
        for (int i = 0; i < pass.size(); i++) {
            Job j = pass.get(i);
            long waited = start - j.enqueuedNanos();
            listener.queueWait(waited);
            j.future().complete(new Result(f.vectors()[i], waited, modelNanos, pass.size()));
        }
    }

    private void expire(Job j) {
        listener.expired();
        j.future().completeExceptionally(new DeadlineExceededException(
                "request for '" + j.model().name() + "' could not be answered before its deadline; retry later"));
    }

    private static void fail(List<Job> batch, Throwable e) {
        for (Job j : batch) j.future().completeExceptionally(e);
    }

    /**
     * Stops intake, lets workers finish what is queued (up to {@code drain}), then fails whatever is left
     * with 503 and stops the workers. Idempotent.
     */
    public void shutdown(Duration drainTime) {
        accepting = false;
        long until = System.nanoTime() + drainTime.toNanos();
        while (drain == Drain.CALLERS && (!queue.isEmpty() || busy.get() > 0) && System.nanoTime() < until) {
            if (!queue.isEmpty()) drainHere(); // what the callers' executors have not run yet
            else LockSupport.parkNanos(1_000_000);
        }
        List<Thread> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(workers);
        }
        for (Thread t : snapshot) {
            long left = until - System.nanoTime();
            try {
                if (left > 0) t.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Job> left = new ArrayList<>();
        queue.drainTo(left);
        fail(left, new OverloadedException("server is shutting down"));
        for (Thread t : snapshot) t.interrupt();
        if (runners != null) runners.shutdown(); // idle runners end; a pass still running finishes and answers its own jobs
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
