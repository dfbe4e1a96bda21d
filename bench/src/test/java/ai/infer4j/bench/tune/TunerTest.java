package ai.infer4j.bench.tune;

import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.record.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TunerTest {
    /**
     * Known curves: capacity (req/s) and fixed latency (ms) per batch size; batch 64 is fast but never meets the SLO.
     * The SLO is loose (300 ms) so that a busy test machine's stalls cannot decide the outcome, only capacity does (on
     * a 2-core machine at load 10 a probe's p99 reached 262 ms once, the first probe after the JVM started: hence the
     * warm-up probe). The target refuses on the load's intended send times, so a stalled client does not fail a probe;
     * the short fixed latencies keep a probe's drain, which counts as measured time, well inside the 5% throughput margin.
     */
    private static final Map<Integer, double[]> CURVES = Map.of(
            1, new double[]{300, 2},
            8, new double[]{1200, 3},
            16, new double[]{1250, 4},
            64, new double[]{4000, 400});

    private static final TargetFactory SYNTHETIC = c -> {
        double[] curve = CURVES.get(c.maxBatchSize());
        return new SyntheticTarget(c.label(), curve[0] / c.threads(), curve[1]);
    };

    private static RateSearch search() {
        return new RateSearch(300, 150, 8000, Duration.ofMillis(150), Duration.ofMillis(600), Duration.ofMillis(200), 0.15, 0.001,
                List.of("a", "b"));
    }

    @Test
    void picksTheCheapestConfigMeetingTheSloOnKnownCurves(@TempDir Path dir) throws Exception {
        List<TuneConfig> grid = Tuner.grid(List.of("m"), List.of(1), List.of(1), List.of(1, 8, 16, 64), List.of(Duration.ofMillis(2)), 100);
        try (SyntheticTarget warm = new SyntheticTarget("warm-up", 1000, 1)) {
            search().probe(warm, 300); // class loading and JIT at the JVM's start are not the first probe's to pay for
        }
        List<String> log = new ArrayList<>();
        List<Tuner.Result> results = new Tuner(SYNTHETIC, search()).sweep(grid, log::add);

        Map<Integer, Double> best = new HashMap<>();
        for (Tuner.Result r : results) best.put(r.config().maxBatchSize(), r.maxRps());
        assertThat(best.get(1)).as("probes: %s", log).isBetween(300 * 0.6, 300 * 1.05);
        assertThat(best.get(8)).as("probes: %s", log).isBetween(1200 * 0.6, 1200 * 1.05);
        assertThat(best.get(64)).as("probes: %s", log).isZero();
        // 16 is within 5% of 8 at best: the tie-break may not hide a config that is clearly faster
        Tuner.Result rec = Tuner.recommend(results).orElseThrow();
        assertThat(rec.config().maxBatchSize()).isIn(8, 16);
        assertThat(rec.maxRps()).isGreaterThan(best.get(1) * 2);
        assertThat(log).isNotEmpty();

        TuneReport report = new TuneReport(300, 0.40, 16000, results, List.of(), List.of(), List.of());
        Tuner.Cost cost = report.cost(rec);
        assertThat(cost.costPerMillion()).isCloseTo(0.40 / (rec.maxRps() * 3600) * 1e6, within(1e-9));
        assertThat(cost.instances()).isEqualTo((long) Math.ceil(16000 / rec.maxRps()));

        report.write(dir);
        List<String> csv = Files.readAllLines(dir.resolve("tune.csv"));
        assertThat(csv).hasSize(5);
        assertThat(csv.get(0)).startsWith("variant,workers,intra_op_threads,max_batch_size,max_batch_delay_ms,max_rps_at_slo");
        assertThat(csv.stream().filter(l -> l.contains(",true,"))).hasSize(1);
        assertThat(Files.readString(dir.resolve("index.html"))).contains("recommended: m w1 t" + rec.config().intraOpThreads());
    }

    @Test
    void aProbeMeetsTheSloOnlyWithinLatencyErrorsAndOfferedRate() {
        RateSearch s = search();
        assertThat(s.meets(summary(1000, 0, 290), 1000)).isTrue();
        assertThat(s.meets(summary(1000, 0, 310), 1000)).as("p99 over the SLO").isFalse();
        assertThat(s.meets(summary(1000, 2, 10), 1000)).as("error rate over 0.001").isFalse();
        assertThat(s.meets(summary(949, 0, 10), 1000)).as("served under 95% of the offered rate").isFalse();
        assertThat(s.meets(summary(951, 0, 10), 1000)).isTrue();
        assertThat(s.meets(summary(0, 0, 0), 1000)).as("nothing served").isFalse();
    }

    /** One second, {@code ok} answers, {@code refused} refusals, the given p99. */
    private static RunSummary summary(long ok, long refused, double p99Ms) {
        return new RunSummary("t", "open", 1000, 0, 1.0, ok + refused, ok, Map.of(Outcome.REFUSED.column(), refused), ok,
                p99Ms / 2, p99Ms / 2, p99Ms / 2, p99Ms, p99Ms, p99Ms, true, 1.0);
    }

    @Test
    void prefersFewerThreadsWhenTheRateIsTheSame() {
        TuneConfig one = new TuneConfig("m", 1, 1, 8, Duration.ofMillis(2), 100);
        TuneConfig two = new TuneConfig("m", 1, 2, 8, Duration.ofMillis(2), 100);
        RateSearch.Outcome same = new RateSearch.Outcome(1000, null, List.of());
        RateSearch.Outcome better = new RateSearch.Outcome(1030, null, List.of());
        assertThat(Tuner.recommend(List.of(new Tuner.Result(two, better, null), new Tuner.Result(one, same, null)))
                .orElseThrow().config()).isEqualTo(one);
        RateSearch.Outcome muchBetter = new RateSearch.Outcome(1500, null, List.of());
        assertThat(Tuner.recommend(List.of(new Tuner.Result(two, muchBetter, null), new Tuner.Result(one, same, null)))
                .orElseThrow().config()).isEqualTo(two);
    }
}
