package ai.infer4j.engine.batch;

import ai.infer4j.engine.error.DeadlineExceededException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelExecutionException;
import ai.infer4j.engine.error.OverloadedException;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.tokenize.Tokens;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchSchedulerTest {
    private final Model model = TestEngine.get().load("intent");
    private final Tokens tokens = model.tokenize(List.of(TextInput.of("what is my balance"))).get(0);
    /** A clock that moves 1 ms every time it is read: every step of the scheduler "takes" time. */
    private final AtomicLong now = new AtomicLong();
    private final LongSupplier ticking = () -> now.addAndGet(1_000_000);
    /** Loop tests: every pass runs on the loop that formed it, however long this machine takes for it. */
    private static final long ON_LOOPS = Long.MAX_VALUE;

    /** A listener that holds the worker after its first batch until released: the queue then fills deterministically. */
    private static final class Gate implements BatchListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void fullQueueRefusesAtOnce() throws Exception {
        Gate gate = new Gate();
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(1, 8192, Duration.ZERO, 2), 1, gate, System::nanoTime)) {
            var first = s.submit(model, tokens, Duration.ofSeconds(30));
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
            var queued = List.of(s.submit(model, tokens, Duration.ofSeconds(30)), s.submit(model, tokens, Duration.ofSeconds(30)));
            var refused = s.submit(model, tokens, Duration.ofSeconds(30));
            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::get).hasCauseInstanceOf(OverloadedException.class).hasMessageContaining("full (2)");
            gate.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).vector()).hasSize(384);
            for (var q : queued) assertThat(q.get(30, TimeUnit.SECONDS).vector()).hasSize(384);
        }
    }

    @Test
    void workThatCannotStartBeforeItsDeadlineIsRefusedAtAdmission() throws Exception {
        Gate gate = new Gate();
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(1, 8192, Duration.ZERO, 100), 1, gate, ticking)) {
            s.submit(model, tokens, Duration.ofHours(1));
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue(); // one batch measured: about 1 ms per sequence
            List<CompletableFuture<BatchScheduler.Result>> queued = new ArrayList<>();
            for (int i = 0; i < 10; i++) queued.add(s.submit(model, tokens, Duration.ofHours(1)));
            assertThat(s.predictedWaitNanos()).isGreaterThanOrEqualTo(5_000_000);
            var shed = s.submit(model, tokens, Duration.ofMillis(3));
            assertThatThrownBy(shed::get).hasCauseInstanceOf(OverloadedException.class).hasMessageContaining("deadline");
            assertThat(s.submit(model, tokens, Duration.ofHours(1))).isNotCompletedExceptionally();
            gate.release.countDown();
            for (var q : queued) assertThat(q.get(30, TimeUnit.SECONDS).vector()).hasSize(384);
        }
    }

    @Test
    void anEstimateLeftHighByASlowStretchDoesNotRefuseEveryRequestFromThenOn() throws Exception {
        AtomicLong step = new AtomicLong(10_000_000_000L); // each clock read moves 10 s: the first pass "takes" 10 s
        LongSupplier slowThenFast = () -> now.addAndGet(step.get());
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(32, 8192, Duration.ZERO, 100), 1,
                BatchListener.NONE, slowThenFast)) {
            assertThat(s.submit(model, tokens, Duration.ofHours(1)).get(30, TimeUnit.SECONDS).vector()).hasSize(384);
            step.set(1_000); // fast again; the estimate (10 s per sequence, 32 per batch) says a 500 ms deadline cannot be met
            for (int i = 0; i < 3; i++) { // nothing queued or running: admitted, and run although the stale estimate says late
                assertThat(s.submit(model, tokens, Duration.ofMillis(500)).get(30, TimeUnit.SECONDS).vector()).hasSize(384);
            }
        }
    }

    @Test
    void aSequenceEstimatedOverHalfTheLoopBoundStillBatchesTwoAtATime() throws Exception {
        var loop = loop("test-loop");
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        BatchListener seen = onBatch(sizes::add);
        AtomicLong step = new AtomicLong(15_000_000); // each clock read moves 15 ms: the first pass "takes" 15 ms a sequence
        LongSupplier slowThenFast = () -> now.addAndGet(step.get());
        Plan plan = model.plan(Request.of("what is my balance"));
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, seen, slowThenFast,
                BatchScheduler.Drain.CALLERS, Long.MAX_VALUE)) {
            assertThat(loop.submit(() -> s.submit(model, plan, Duration.ofHours(1), loop)).get().get(30, TimeUnit.SECONDS)).hasSize(1);
            step.set(1_000);
            List<CompletableFuture<List<Answer>>> four = loop.submit(() -> { // read together: all four queued before a drain
                List<CompletableFuture<List<Answer>>> fs = new ArrayList<>();
                for (int i = 0; i < 4; i++) fs.add(s.submit(model, plan, Duration.ofHours(1), loop));
                return fs;
            }).get();
            for (var f : four) assertThat(f.get(30, TimeUnit.SECONDS)).hasSize(1);
            // 20 ms of estimated work holds one 15 ms sequence; two at least, so the four run as two passes, not four
            assertThat(sizes).containsExactly(1, 2, 2);
        } finally {
            loop.shutdownNow();
        }
    }

    @Test
    void expiredWorkNeverReachesTheModel() throws Exception {
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(4, 8192, Duration.ZERO, 10), 1, BatchListener.NONE, ticking)) {
            long before = model.backbone().forwardPasses();
            var late = s.submit(model, tokens, Duration.ofNanos(500_000)); // the clock moves 1 ms per read: always too late
            assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(DeadlineExceededException.class);
            assertThat(model.backbone().forwardPasses()).isEqualTo(before);
        }
    }

    @Test
    void aWorkerHitByAnUnexpectedErrorFailsThatBatchAndKeepsServing() throws Exception {
        AtomicBoolean blowUp = new AtomicBoolean(true);
        BatchListener faulty = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                if (blowUp.getAndSet(false)) throw new OutOfMemoryError("injected");
            }
        };
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(1, 8192, Duration.ZERO, 10), 1, faulty, System::nanoTime)) {
            var failed = s.submit(model, tokens, Duration.ofSeconds(30));
            assertThatThrownBy(() -> failed.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(ModelExecutionException.class);
            assertThat(s.submit(model, tokens, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS).vector()).hasSize(384);
            assertThat(s.workers()).isEqualTo(1);
        }
    }

    @Test
    void shutdownRefusesNewWork() {
        BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, BatchListener.NONE, System::nanoTime);
        s.shutdown(Duration.ofSeconds(5));
        assertThat(s.submit(model, tokens, Duration.ofSeconds(1))).isCompletedExceptionally();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A listener that hands each batch's size to {@code seen}, on the thread that ran the batch. */
    private static BatchListener onBatch(IntConsumer seen) {
        return new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                seen.accept(size);
            }
        };
    }

    private static ExecutorService loop(String name) {
        return Executors.newSingleThreadExecutor(r -> new Thread(r, name));
    }

    @Test
    void callersRunTheForwardPassOnTheirOwnExecutorBatchingWhatIsQueuedMeanwhile() throws Exception {
        var loop = loop("test-loop");
        List<String> ranOn = new CopyOnWriteArrayList<>();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        BatchListener seen = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                ranOn.add(Thread.currentThread().getName());
                sizes.add(size);
            }
        };
        Plan plan = model.plan(Request.of("what is my balance"));
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 2, seen, System::nanoTime,
                BatchScheduler.Drain.CALLERS, ON_LOOPS)) {
            // three requests arrive while the loop is busy with one task: one forward pass answers all three after it
            var answers = loop.submit(() -> List.of(s.submit(model, plan, Duration.ofSeconds(30), loop),
                    s.submit(model, plan, Duration.ofSeconds(30), loop), s.submit(model, plan, Duration.ofSeconds(30), loop))).get();
            for (var a : answers) assertThat(a.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(sizes).containsExactly(3);
            assertThat(ranOn).containsExactly("test-loop");
        } finally {
            loop.shutdownNow();
        }
    }

    @Test
    void aBatchOfShortQueriesAndOneLongTextRunsAsTwoPassesThatPadLittle() throws Exception {
        var loop = loop("test-loop");
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        List<Integer> padded = new CopyOnWriteArrayList<>();
        BatchListener seen = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                sizes.add(size);
                padded.add(paddedLength);
            }
        };
        Plan shortOne = model.plan(Request.of("what is my balance"));
        Plan longOne = model.plan(Request.of("I moved to a new flat last month and I would like to know how I can change the "
                + "address on my account, my card and every statement you send me, and whether that costs anything at all"));
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, seen, System::nanoTime,
                BatchScheduler.Drain.CALLERS, ON_LOOPS)) {
            var answers = loop.submit(() -> List.of(s.submit(model, shortOne, Duration.ofSeconds(30), loop),
                    s.submit(model, longOne, Duration.ofSeconds(30), loop), s.submit(model, shortOne, Duration.ofSeconds(30), loop),
                    s.submit(model, shortOne, Duration.ofSeconds(30), loop))).get();
            for (var a : answers) assertThat(a.get(30, TimeUnit.SECONDS)).hasSize(1);
            // one pass padded to the long text would be 4 x ~45 slots; the short ones run together, the long one alone
            assertThat(sizes).containsExactly(3, 1);
            assertThat(padded.get(0)).isLessThan(padded.get(1));
            float[] alone = ((Answer.Classified) s.submit(model, shortOne, Duration.ofSeconds(30), loop).get(30, TimeUnit.SECONDS).get(0)).vector();
            for (int i : new int[] {0, 2, 3}) {
                assertThat(((Answer.Classified) answers.get(i).get().get(0)).vector()).containsExactly(alone, Offset.offset(1e-4f));
            }
        } finally {
            loop.shutdownNow();
        }
    }

    @Test
    void workQueuedWhileEveryWorkerIsBusyIsTakenByTheRunningWorker() throws Exception {
        var a = loop("loop-a");
        var b = loop("loop-b");
        Gate gate = new Gate();
        Plan plan = model.plan(Request.of("what is my balance"));
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, gate, System::nanoTime,
                BatchScheduler.Drain.CALLERS, ON_LOOPS)) {
            var first = a.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), a)).get();
            assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue(); // loop-a holds the only worker slot
            var second = b.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), b)).get();
            b.submit(() -> { }).get(); // loop-b tried to drain and found no free slot
            assertThat(second).isNotDone();
            gate.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(second.get(30, TimeUnit.SECONDS)).hasSize(1); // loop-a came back for it after its batch
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    @Test
    void aBacklogOnOneLoopIsSharedWithAnIdleLoop() throws Exception {
        // four requests read together on loop-a: it runs two and wakes idle loop-b for the other two
        assertThat(batchesOfFourReadTogetherOnLoopA(false)).containsExactlyInAnyOrder("loop-a:2", "loop-b:2");
    }

    @Test
    void aBacklogIsNotLostWhenTheIdleLoopItWouldShareWithHasStopped() throws Exception {
        // loop-b is forgotten when it cannot be woken; loop-a comes back for the rest
        assertThat(batchesOfFourReadTogetherOnLoopA(true)).containsExactly("loop-a:2", "loop-a:2");
    }

    /**
     * Two loops and two worker slots; loop-b drains one request first (so the scheduler knows it; then it is idle, or
     * stopped when {@code stopB}), then four requests are read together on loop-a. Every request must be answered;
     * returns the batches that ran them as "thread:size".
     */
    private List<String> batchesOfFourReadTogetherOnLoopA(boolean stopB) throws Exception {
        var a = loop("loop-a");
        var b = loop("loop-b");
        List<String> batches = new CopyOnWriteArrayList<>();
        CountDownLatch bRan = new CountDownLatch(1);
        AtomicBoolean holdA = new AtomicBoolean();
        BatchListener seen = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                String thread = Thread.currentThread().getName();
                batches.add(thread + ":" + size);
                // counted only once the four are submitted: loop-b's first request (below) must not open the latch
                if (thread.equals("loop-b")) {
                    if (holdA.get()) bRan.countDown();
                }
                // loop-a's pass ends only once loop-b has run its share: on a loaded machine loop-b may wake later than
                // loop-a's pass takes, and loop-a, coming back for what is left, would take the share itself
                else if (holdA.get()) await(bRan);
            }
        };
        Plan plan = model.plan(Request.of("what is my balance"));
        // a clock that stands still: forward passes "take" no time, so the loop-batch cap (~20 ms of estimated work)
        // never cuts these batches, however slow this machine runs the model
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 2, seen, () -> 0L,
                BatchScheduler.Drain.CALLERS, ON_LOOPS)) {
            assertThat(b.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), b)).get().get(30, TimeUnit.SECONDS)).hasSize(1);
            b.submit(() -> { }).get(); // the answer comes from inside loop-b's drain task: wait until that task has ended (b idle)
            if (stopB) b.shutdown();
            holdA.set(!stopB);
            batches.clear();
            var answers = a.submit(() -> List.of(s.submit(model, plan, Duration.ofSeconds(30), a),
                    s.submit(model, plan, Duration.ofSeconds(30), a), s.submit(model, plan, Duration.ofSeconds(30), a),
                    s.submit(model, plan, Duration.ofSeconds(30), a))).get();
            for (var x : answers) assertThat(x.get(30, TimeUnit.SECONDS)).hasSize(1);
            return List.copyOf(batches);
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    @Test
    void shutdownOfCallerDrainedSchedulerRunsWhatIsStillQueued() throws Exception {
        Plan plan = model.plan(Request.of("what is my balance"));
        BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, BatchListener.NONE, System::nanoTime,
                BatchScheduler.Drain.CALLERS, ON_LOOPS);
        var parked = s.submit(model, plan, Duration.ofSeconds(30), r -> { }); // an executor that never runs the drain
        assertThat(parked).isNotDone();
        s.shutdown(Duration.ofSeconds(30));
        assertThat(parked.get(30, TimeUnit.SECONDS)).hasSize(1);
        assertThat(s.submit(model, plan, Duration.ofSeconds(1), BatchScheduler.DIRECT)).isCompletedExceptionally();
    }

    @Test
    void aLoopRunsOneBatchPerPassAndComesBackAfterItsIoWithOneQueuedDrainAtATime() throws Exception {
        AtomicInteger executed = new AtomicInteger(), scheduled = new AtomicInteger();
        // stands in for a Netty event loop: a scheduled task runs after what is queued now (Netty: after the next I/O pass)
        ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "test-loop")) {
            @Override
            public void execute(Runnable r) {
                executed.incrementAndGet();
                super.schedule(r, 0, TimeUnit.NANOSECONDS); // what super.execute does, without counting it as scheduled
            }

            @Override
            public ScheduledFuture<?> schedule(Runnable r, long delay, TimeUnit unit) {
                scheduled.incrementAndGet();
                return super.schedule(r, delay, unit);
            }
        };
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        BatchListener seen = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                sizes.add(size);
            }
        };
        Plan plan = model.plan(Request.of("what is my balance"));
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", new BatchPolicy(1, 8192, Duration.ZERO, 10), 1, seen,
                System::nanoTime, BatchScheduler.Drain.CALLERS, ON_LOOPS)) {
            var answers = loop.submit(() -> List.of(s.submit(model, plan, Duration.ofSeconds(30), loop),
                    s.submit(model, plan, Duration.ofSeconds(30), loop), s.submit(model, plan, Duration.ofSeconds(30), loop))).get();
            for (var a : answers) assertThat(a.get(30, TimeUnit.SECONDS)).hasSize(1); // nothing stranded
            assertThat(sizes).containsExactly(1, 1, 1);
            assertThat(executed.get()).isEqualTo(1); // ONE drain queued for three requests, not one each
            assertThat(scheduled.get()).isEqualTo(2); // each batch with work left comes back as a scheduled task
        } finally {
            loop.shutdownNow();
        }
    }

    @Test
    void aLongPassRunsOnARunnerWhileItsLoopGoesOnAndTheRunnerTakesWhatWasQueuedMeanwhile() throws Exception {
        var loop = loop("test-loop");
        List<String> ranOn = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        BatchListener seen = new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double paddingRatio, long modelNanos) {
                ranOn.add(Thread.currentThread().getName());
                if (ranOn.size() == 2) { // hold the second pass (the first handed off) until the loop has shown it is free
                    entered.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        Plan plan = model.plan(Request.of("what is my balance"));
        // threshold 0: every pass longer than nothing leaves the loop, once the scheduler has timed one (the first runs
        // on the loop: nothing is known about the model's speed yet); one slot
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, seen, System::nanoTime,
                BatchScheduler.Drain.CALLERS, 0)) {
            assertThat(loop.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), loop)).get().get(30, TimeUnit.SECONDS)).hasSize(1);
            var second = loop.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), loop)).get();
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.submit(() -> "free").get(30, TimeUnit.SECONDS)).isEqualTo("free"); // the loop runs tasks during the pass
            var third = loop.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), loop)).get(); // the only slot is busy
            loop.submit(() -> { }).get();
            assertThat(third).isNotDone();
            release.countDown();
            assertThat(second.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(third.get(30, TimeUnit.SECONDS)).hasSize(1); // the runner went on with it
            assertThat(ranOn).hasSize(3);
            assertThat(ranOn.get(0)).isEqualTo("test-loop");
            assertThat(ranOn.subList(1, 3)).allMatch(t -> t.startsWith("infer4j-t-runner-"));
        } finally {
            loop.shutdownNow();
        }
    }

    @Test
    void aLongPassStaysOnTheLoopForALoneClientAndLeavesItOnceRequestsOverlap() throws Exception {
        var loop = loop("test-loop");
        List<String> ranOn = new CopyOnWriteArrayList<>();
        BatchListener seen = onBatch(size -> ranOn.add(Thread.currentThread().getName()));
        Plan plan = model.plan(Request.of("what is my balance"));
        // threshold 1 ns: every timed pass is long; one slot
        try (BatchScheduler s = new BatchScheduler(model.backbone(), "t", BatchPolicy.defaults(), 1, seen, System::nanoTime,
                BatchScheduler.Drain.CALLERS, 1)) {
            for (int i = 0; i < 5; i++) // one request after another: none arrives while another is queued or in a pass
                assertThat(loop.submit(() -> s.submit(model, plan, Duration.ofSeconds(30), loop)).get().get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(ranOn).hasSize(5).allMatch("test-loop"::equals);
            // four requests read together: the last three find others queued, and the pass they form leaves the loop
            List<CompletableFuture<List<Answer>>> burst = loop.submit(() -> {
                List<CompletableFuture<List<Answer>>> fs = new ArrayList<>();
                for (int i = 0; i < 4; i++) fs.add(s.submit(model, plan, Duration.ofSeconds(30), loop));
                return fs;
            }).get();
            for (var f : burst) assertThat(f.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(ranOn.subList(5, ranOn.size())).isNotEmpty().allMatch(t -> t.startsWith("infer4j-t-runner-"));
        } finally {
            loop.shutdownNow();
        }
    }
}
