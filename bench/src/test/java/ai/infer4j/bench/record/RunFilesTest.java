package ai.infer4j.bench.record;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.load.RunResult;
import ai.infer4j.bench.load.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RunFilesTest {

    /** Answers at once; every tenth request is refused. */
    private static final class Instant implements Target {
        private final AtomicLong n = new AtomicLong();

        @Override
        public CompletableFuture<Outcome> send(String input) {
            return CompletableFuture.completedFuture(n.incrementAndGet() % 10 == 0 ? Outcome.REFUSED : Outcome.OK);
        }

        @Override
        public String describe() {
            return "instant";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void writesParseableCsvHistogramLogSummaryAndHtml(@TempDir Path dir) throws Exception {
        LoadSpec spec = LoadSpec.open(500, Duration.ofMillis(200), Duration.ofSeconds(2)).withInterval(Duration.ofMillis(250));
        RunResult r = Bench.run(new Instant(), Inputs.cycled(Inputs.DEFAULT), spec, dir, row -> { });

        List<IntervalRow> rows = RunFiles.readCsv(dir.resolve(RunFiles.CSV));
        assertThat(rows).hasSizeBetween(8, 10);
        assertThat(Files.readAllLines(dir.resolve(RunFiles.CSV)).get(0))
                .isEqualTo("time_s,interval_s,sent,ok,refused,timeout,client_error,server_error,io_error,dropped,throughput_rps,p50_ms,p90_ms,p99_ms,max_ms");
        long ok = rows.stream().mapToLong(IntervalRow::ok).sum();
        long refused = rows.stream().mapToLong(x -> x.errors(Outcome.REFUSED)).sum();
        assertThat(ok).isEqualTo(r.summary().ok());
        assertThat(ok + refused).isEqualTo(r.summary().sent());
        assertThat((double) refused / (ok + refused)).isCloseTo(0.1, within(0.02));
        assertThat(r.summary().sent()).isBetween(980L, 1010L);

        assertThat(RunFiles.readLog(dir.resolve(RunFiles.HLOG)).getTotalCount()).isEqualTo(ok);
        RunSummary s = RunFiles.readSummary(dir.resolve(RunFiles.SUMMARY));
        assertThat(s).isEqualTo(r.summary());
        assertThat(Files.readString(dir.resolve(RunFiles.HGRM))).contains("Percentile");

        String html = Files.readString(dir.resolve(RunFiles.HTML));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("</html>").contains("Latency over time").contains("Errors over time")
                .doesNotContain("src=\"http");
        assertThat(html.split("<img ", -1).length - 1 + html.split("could not be drawn", -1).length - 1).isEqualTo(4);
    }

    @Test
    void compareReadsTwoRunsSideBySide(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Bench.run(new Instant(), Inputs.cycled(Inputs.DEFAULT), LoadSpec.open(200, Duration.ZERO, Duration.ofMillis(600))
                .withInterval(Duration.ofMillis(200)), a, row -> { });
        Bench.run(new Instant(), Inputs.cycled(Inputs.DEFAULT), LoadSpec.open(400, Duration.ZERO, Duration.ofMillis(600))
                .withInterval(Duration.ofMillis(200)), b, row -> { });
        Comparison c = Bench.compare(a, b, dir.resolve("compare.html"));
        assertThat(c.rows()).anySatisfy(row -> assertThat(row.get(0)).isEqualTo("throughput/s"));
        List<String> sent = c.rows().stream().filter(row -> row.get(0).equals("sent")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(sent.get(2))).isGreaterThan(Double.parseDouble(sent.get(1)) * 1.5);
        assertThat(c.text()).contains("p99 ms");
        assertThat(Files.readString(dir.resolve("compare.html"))).contains("b vs a").contains("</html>");
    }

    @Test
    void steadyStateNeedsThreeConsecutiveWindowsWithinTenPercent() {
        List<IntervalRow> rows = new ArrayList<>();
        double[] rps = {100, 300, 700, 1000, 1040, 980, 1010};
        for (int i = 0; i < rps.length; i++) rows.add(row(i + 1, rps[i], 2.0));
        SteadyState s = SteadyState.detect(rows);
        assertThat(s.reached()).isTrue();
        assertThat(s.atS()).isEqualTo(6.0);
    }

    @Test
    void neverSteadyWhenLatencyKeepsClimbing() {
        List<IntervalRow> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) rows.add(row(i + 1, 1000, 2.0 * Math.pow(1.2, i)));
        assertThat(SteadyState.detect(rows).reached()).isFalse();
    }

    private static IntervalRow row(double t, double rps, double p50) {
        return new IntervalRow(t, 1, (long) rps, (long) rps, Map.of(), rps, p50, p50 * 2, p50 * 3, p50 * 4);
    }
}
