package ai.infer4j.bench;

import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadGenerator;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.load.RunResult;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.record.Comparison;
import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.RunFiles;
import ai.infer4j.bench.record.RunReport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Entry point of the bench module: run a load against a target and write its report, or compare two runs.
 *
 * <pre>
 * try (Target t = new HttpTarget(URI.create("http://127.0.0.1:8080/predictions/intent"), Api.TORCHSERVE, Duration.ofSeconds(10), 64)) {
 *     RunResult r = Bench.run(t, Inputs.cycled(Inputs.DEFAULT), LoadSpec.open(500, Duration.ofSeconds(2), Duration.ofSeconds(10)),
 *             Path.of("out/run1"), row -> { });
 *     double p99Ms = r.summary().p99Ms();
 * }
 * </pre>
 *
 * The tuner ({@code ai.infer4j.bench.tune.Tuner}) builds on {@link #run}.
 */
public final class Bench {
    private Bench() {
    }

    /**
     * Runs one load and, when {@code reportDir} is not null, writes intervals.csv, latency.hlog, latency.hgrm,
     * summary.json and index.html there.
     *
     * @param onInterval called after each interval (on the interval thread), e.g. for a live progress line
     */
    public static RunResult run(Target target, Inputs inputs, LoadSpec spec, Path reportDir, Consumer<IntervalRow> onInterval)
            throws InterruptedException {
        if (reportDir == null) return new LoadGenerator(target, inputs, spec, onInterval, null).run();
        RunResult r;
        try (PrintStream log = RunFiles.openLog(reportDir)) {
            r = new LoadGenerator(target, inputs, spec, onInterval, RunFiles.logWriter(log)).run();
        }
        RunReport.write(reportDir, spec.describe(), r.summary(), r.rows(), r.latencyMicros());
        return r;
    }

    /** Compares two run directories; writes {@code out} (HTML) when it is not null. */
    public static Comparison compare(Path a, Path b, Path out) {
        Comparison c = Comparison.of(a, b);
        if (out != null) c.writeHtml(a, b, out);
        return c;
    }
}
