package ai.infer4j.engine.batch;

import ai.infer4j.engine.DeadlineExceededException;
import ai.infer4j.engine.InferenceException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.ModelExecutionException;
import ai.infer4j.engine.OverloadedException;
import ai.infer4j.engine.model.Backbone;
import ai.infer4j.engine.model.Forward;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.tokenize.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Dynamic batching for one backbone: a bounded queue shared by every model (head) on that backbone,
 * and worker threads that each take up to {@code maxBatchSize} sequences (and {@code maxBatchTokens}
 * padded tokens), waiting at most {@code maxDelay} for more (only when more is already queued), sort them by
 * length and run one forward pass.
 * A full queue refuses at once; work whose deadline passed is dropped before the model.
 * {@link #submit} is safe for concurrent callers and never blocks.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchScheduler.class);

    /** The answer of one job: the backbone vector and how long the job waited. */
    public record Result(float[] vector, long queueNanos, long modelNanos, int batchSize) { }

    private record Job(Model model, Tokens tokens, long enqueuedNanos, long deadlineNanos, CompletableFuture<Result> future) { }

    private final Backbone backbone;
    private final String name;
    private final BatchPolicy policy;
    private final BatchListener listener;
    private final LongSupplier clock;
    private final BlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicInteger workerSeq = new AtomicInteger();
    private volatile int targetWorkers;
    private volatile boolean accepting = true;
    /** Smoothed forward-pass time per sequence, for admission control; 0 until the first batch. */
    private volatile double nanosPerSequence;

    /**
     * @param name   used in thread names and messages, e.g. the backbone's short name
     * @param clock  nanosecond clock ({@code System::nanoTime} outside tests)
     */
    public BatchScheduler(Backbone backbone, String name, BatchPolicy policy, int workers, BatchListener listener, LongSupplier clock) {
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
    public CompletableFuture<Result> submit(Model model, Tokens tokens, Duration timeout) {
        CompletableFuture<Result> f = new CompletableFuture<>();
        if (model.backbone() != backbone)
            throw new IllegalArgumentException("model " + model.name() + " does not use backbone " + backbone.id());
        if (!accepting) {
            f.completeExceptionally(new OverloadedException("model '" + model.name() + "' is shutting down; retry on another instance"));
            return f;
        }
        long now = clock.getAsLong();
        long predictedWait = predictedWaitNanos();
        if (predictedWait > timeout.toNanos()) {
            f.completeExceptionally(new OverloadedException("model '" + model.name() + "' is overloaded: the queue holds about "
                    + predictedWait / 1_000_000 + " ms of work, more than the request's " + timeout.toMillis() + " ms deadline; retry later"));
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
    public CompletableFuture<List<Answer>> submit(Model model, Plan plan, Duration timeout) {
        List<Tokens> seqs = plan.sequences();
        @SuppressWarnings("unchecked")
        CompletableFuture<Result>[] parts = new CompletableFuture[seqs.size()];
        for (int i = 0; i < parts.length; i++) parts[i] = submit(model, seqs.get(i), timeout);
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
                run(batch);
            } catch (InterruptedException e) {
                fail(batch, new OverloadedException("model '" + first.model().name() + "' is shutting down"));
                Thread.currentThread().interrupt();
                return;
            } catch (InferenceException e) {
                fail(batch, e); // typed and carried to each caller, who logs it with its request's context
            } catch (RuntimeException | Error e) {
                log.error("worker {} failed a batch of {}", Thread.currentThread().getName(), batch.size(), e);
                fail(batch, new ModelExecutionException("model failed: " + e.getMessage(), e));
            }
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
     * Adds queued jobs until the batch is full or {@code maxDelay} after the first job's arrival.
     * Adaptive: when nothing else is queued the first job runs at once, so a lone request never pays
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
        for (Job j : batch) {
            if (start > j.deadlineNanos()) {
                listener.expired();
                j.future().completeExceptionally(new DeadlineExceededException(
                        "request for '" + j.model().name() + "' waited past its deadline in the queue; retry later"));
            } else {
                live.add(j);
            }
        }
        if (live.isEmpty()) return;
        live.sort(Comparator.comparingInt(j -> j.tokens().length()));
        List<Tokens> tokens = new ArrayList<>(live.size());
        for (Job j : live) tokens.add(j.tokens());
        Forward f = backbone.forward(tokens);
        long modelNanos = clock.getAsLong() - start;
        double perSeq = (double) modelNanos / live.size();
        nanosPerSequence = nanosPerSequence == 0 ? perSeq : 0.8 * nanosPerSequence + 0.2 * perSeq;
        listener.batch(live.size(), f.paddedLength(), f.paddingRatio(), modelNanos);
        for (int i = 0; i < live.size(); i++) {
            Job j = live.get(i);
            long waited = start - j.enqueuedNanos();
            listener.queueWait(waited);
            j.future().complete(new Result(f.vectors()[i], waited, modelNanos, live.size()));
        }
    }

    private static void fail(List<Job> batch, Throwable e) {
        for (Job j : batch) j.future().completeExceptionally(e);
    }

    /**
     * Stops intake, lets workers finish what is queued (up to {@code drain}), then fails whatever is left
     * with 503 and stops the workers. Idempotent.
     */
    public void shutdown(Duration drain) {
        accepting = false;
        long until = System.nanoTime() + drain.toNanos();
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
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }
}
