package ai.infer4j.bench.load;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The open loop paced on a target's own executor ({@link Target#pacer()}), as on an HTTP client's epoll loop. */
class PacedOpenLoopTest {
    private final ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "fake-io-loop"));

    @AfterEach
    void stop() throws InterruptedException {
        loop.shutdownNow();
        loop.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Answers every request at once, on the thread that sent it, and remembers when each left and on which thread. */
    private final class LoopTarget implements Target {
        record Sent(long intended, long at, String thread) { }

        final List<Sent> sent = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Outcome> send(String input) {
            throw new AssertionError("the open loop passes the intended time");
        }

        @Override
        public CompletableFuture<Outcome> send(String input, long intendedNanos) {
            sent.add(new Sent(intendedNanos, System.nanoTime(), Thread.currentThread().getName()));
            return CompletableFuture.completedFuture(Outcome.OK);
        }

        @Override
        public ScheduledExecutorService pacer() {
            return loop;
        }

        @Override
        public String describe() {
            return "fake loop";
        }

        @Override
        public void close() {
        }
    }

    private static LoadSpec open(double rate, Duration duration) {
        return LoadSpec.open(rate, Duration.ZERO, duration).withInterval(Duration.ofMillis(100));
    }

    @Test
    void sendsLeaveOnTheTargetsLoopInScheduleOrderAndNeverEarly() throws Exception {
        LoopTarget t = new LoopTarget();
        RunResult r = Bench.run(t, Inputs.cycled(List.of("a", "b")), open(500, Duration.ofMillis(400)), null, row -> { });

        // due at t0 + i * 2 ms for every i with t0 + i * 2 ms < t0 + 400 ms: exactly 200, all measured, all answered
        assertThat(t.sent).hasSize(200);
        assertThat(r.summary().sent()).isEqualTo(200);
        assertThat(r.summary().ok()).isEqualTo(200);
        assertThat(r.sendLateMicros().getTotalCount()).isEqualTo(200);
        long first = t.sent.get(0).intended();
        for (int i = 0; i < t.sent.size(); i++) {
            LoopTarget.Sent s = t.sent.get(i);
            assertThat(s.thread()).isEqualTo("fake-io-loop");
            assertThat(s.intended() - first).isEqualTo(i * 2_000_000L);
            assertThat(s.at()).as("request %d left before its time", i).isGreaterThanOrEqualTo(s.intended());
        }
        // paced, not sent in one burst: the last one left at least ~390 ms after the first was due
        assertThat(t.sent.get(199).at() - first).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(398));
    }

    @Test
    void aStalledLoopSendsTheDueRequestsLateAndCountsThemFromTheirIntendedTime() throws Exception {
        LoopTarget t = new LoopTarget();
        // 300 ms into the run the loop is busy for 300 ms (a long read, a GC, a descheduled thread)
        loop.schedule(() -> sleep(300), 300, TimeUnit.MILLISECONDS);
        RunResult r = Bench.run(t, Inputs.cycled(List.of("x")), open(500, Duration.ofSeconds(1)), null, row -> { });
        RunSummary s = r.summary();

        // nothing dropped, nothing lost: the ~150 requests due during the stall left when it ended
        assertThat(s.sent()).isEqualTo(500);
        assertThat(s.ok()).isEqualTo(500);
        assertThat(s.errorCount()).isZero();
        long late = t.sent.stream().filter(x -> x.at() - x.intended() > TimeUnit.MILLISECONDS.toNanos(50)).count();
        assertThat(late).isBetween(90L, 200L);
        for (int i = 1; i < t.sent.size(); i++) assertThat(t.sent.get(i).intended()).isGreaterThan(t.sent.get(i - 1).intended());
        // their latency counts from when they were due: the first one due in the stall waited ~300 ms
        assertThat(s.maxMs()).isGreaterThan(250);
        assertThat(s.p90Ms()).isGreaterThan(100);
        assertThat(r.sendLateMicros().getMaxValue()).isGreaterThan(250_000);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
