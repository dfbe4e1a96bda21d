package ai.infer4j.bench.load;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CoordinatedOmissionTest {
    private static final long STALL_MS = 1000;

    @Test
    void openLoopPercentilesIncludeAStallThatClosedLoopHides() throws Exception {
        try (StallingServer server = new StallingServer(STALL_MS);
             HttpTarget target = new HttpTarget(server.uri(), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 256)) {
            Inputs inputs = Inputs.cycled(List.of("hello", "world"));
            Bench.run(target, inputs, LoadSpec.closed(1, Duration.ZERO, Duration.ofMillis(300)), null, r -> { });

            server.stallAfter(1000);
            LoadSpec open = LoadSpec.open(200, Duration.ZERO, Duration.ofSeconds(3)).withInterval(Duration.ofMillis(500));
            RunSummary o = Bench.run(target, inputs, open, null, r -> { }).summary();

            server.stallAfter(1000);
            LoadSpec closed = LoadSpec.closed(2, Duration.ZERO, Duration.ofSeconds(3)).withInterval(Duration.ofMillis(500));
            RunSummary c = Bench.run(target, inputs, closed, null, r -> { }).summary();

            // open loop: ~200 requests were due during the 1 s stall; they wait from their intended send time,
            // so about a fifth of all requests see 0..1000 ms
            assertThat(o.errorCount()).isZero();
            assertThat(o.ok()).isBetween(500L, 620L);
            assertThat(o.maxMs()).isGreaterThan(STALL_MS * 0.9);
            assertThat(o.p99Ms()).isGreaterThan(STALL_MS * 0.7);
            assertThat(o.p90Ms()).isGreaterThan(STALL_MS * 0.3);
            // closed loop: the two clients simply stop sending during the stall, so only two requests see it
            assertThat(c.errorCount()).isZero();
            assertThat(c.maxMs()).isGreaterThan(STALL_MS * 0.9);
            assertThat(c.p99Ms()).isLessThan(STALL_MS * 0.1);
            assertThat(c.ok()).isGreaterThan(o.ok());
        }
    }

    @Test
    void countBoundRunStopsByItself() throws Exception {
        try (StallingServer server = new StallingServer(0);
             HttpTarget target = new HttpTarget(server.uri(), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 16)) {
            LoadSpec spec = LoadSpec.open(400, Duration.ZERO, Duration.ofSeconds(30)).withMaxRequests(100).withInterval(Duration.ofMillis(100));
            RunSummary s = Bench.run(target, Inputs.sampled(List.of("a", "b", "c"), 7), spec, null, r -> { }).summary();
            assertThat(s.sent()).isEqualTo(100);
            assertThat(s.ok()).isEqualTo(100);
            assertThat(s.durationS()).isLessThan(5);
        }
    }

    @Test
    void maxInFlightDropsInsteadOfQueueingInTheClient() throws Exception {
        try (StallingServer server = new StallingServer(800);
             HttpTarget target = new HttpTarget(server.uri(), HttpTarget.Api.TORCHSERVE, Duration.ofSeconds(10), 16)) {
            server.stallAfter(0);
            LoadSpec spec = LoadSpec.open(200, Duration.ZERO, Duration.ofSeconds(1)).withMaxInFlight(10).withInterval(Duration.ofMillis(250));
            RunSummary s = Bench.run(target, Inputs.cycled(List.of("x")), spec, null, r -> { }).summary();
            assertThat(s.errors().get(Outcome.DROPPED.column())).isGreaterThan(100L);
            assertThat(s.sent() + s.errors().get(Outcome.DROPPED.column())).isBetween(190L, 210L);
        }
    }
}
