package ai.infer4j.cli;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.monitor.Monitor;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.CaptureConfig;
import ai.infer4j.monitor.capture.Labels;
import ai.infer4j.monitor.drift.CheckResult;
import ai.infer4j.monitor.drift.SignalResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code infer4j monitor baseline|check|label}: drift and quality monitoring of captured traffic. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Baselines from labelled data, drift and quality checks of captured traffic, ground-truth labels.",
        subcommands = {MonitorCommand.Baseline.class, MonitorCommand.Check.class, MonitorCommand.Label.class})
final class MonitorCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The capture settings of {@code serve} after its {@code --capture-dir} and {@code --capture-percent} flags. */
    static CaptureConfig captureFlags(CaptureConfig c, Path dir, List<String> percents) {
        if (dir != null) c = c.withDir(dir);
        if (percents != null) {
            double global = c.percent();
            Map<String, Double> models = new LinkedHashMap<>(c.perModel());
            for (String p : percents) {
                int eq = p.indexOf('=');
                try {
                    if (eq < 0) global = Double.parseDouble(p.trim());
                    else models.put(p.substring(0, eq).trim(), Double.parseDouble(p.substring(eq + 1).trim()));
                } catch (NumberFormatException e) {
                    throw new CommandLine.ParameterException(new CommandLine(new ServeCommand()),
                            "--capture-percent takes P or MODEL=P with P in 0..100, got '" + p + "'");
                }
            }
            c = c.withPercent(global, models);
        }
        return c;
    }

    @Command(name = "baseline", mixinStandardHelpOptions = true,
            description = "Compute statistics.json and constraints.json from labelled data. Given the head's own training data "
                    + "(recognised by the SHA-256 in its training metadata) it predicts it out-of-fold (5 folds, same recipe), so the "
                    + "training set is a valid baseline; other data is used as is, and the output says what it is (see docs/monitoring.md).")
    static final class Baseline implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, description = "model name or path (default: intent)")
        String model = Engine.DEFAULT_MODEL;

        @Option(names = "--data", required = true, description = "JSON lines {\"text\", \"label\"}")
        Path data;

        @Option(names = "--out", required = true, description = "baseline directory to write")
        Path out;

        @Option(names = "--sketch-dim", defaultValue = "16", description = "embedding sketch dimensions, must match the server's capture_sketch_dim (default: ${DEFAULT-VALUE})")
        int sketchDim;

        @Mixin
        EngineFlags engineFlags;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Engine engine = Engine.create(engineFlags.options())) {
                Model m = engine.load(model);
                var rows = DataFiles.readLabeled(data);
                BaselineStatistics s = Monitor.baseline(m, data, rows, sketchDim, Runtime.getRuntime().availableProcessors(),
                        new ProgressBar(System.err));
                Monitor.writeBaseline(s, Constraints.defaults(), out);
                PrintWriter o = spec.commandLine().getOut();
                o.printf("baseline of %s on %s (n=%d)%n", m, data, s.n());
                o.printf("  data: %s: %s%n", s.provenance(), s.provenanceNote());
                if (s.accuracy() != null) o.printf("  accuracy %.4f  macro-F1 %.4f%n", s.accuracy(), s.macroF1());
                o.printf("  unknown-token rate %.4f  truncation rate %.4f  sketch %d-d%n", s.unknownRate(), s.truncationRate(), s.sketchDim());
                o.printf("wrote %s and %s%n", out.resolve(Monitor.STATISTICS), out.resolve(Monitor.CONSTRAINTS));
                o.flush();
            }
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Compare captured events with a baseline; write violations.json and report.html.")
    static final class Check implements Callable<Integer> {
        @Option(names = "--baseline", required = true, description = "directory written by 'monitor baseline'")
        Path baseline;

        @Option(names = "--capture", required = true, description = "capture directory (any level: capture/, capture/intent/1/2025/06/...)")
        Path capture;

        @Option(names = "--from", description = "first event time, ISO instant (2025-06-01T12:00:00Z) or date (UTC)")
        String from;

        @Option(names = "--to", description = "end (exclusive), ISO instant or date (UTC)")
        String to;

        @Option(names = "--out", defaultValue = "monitor-report", description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Option(names = "--fail-on-alarm", description = "exit with code 3 when a signal is violated")
        boolean failOnAlarm;

        @Option(names = "--min-samples", description = "events a window needs before distributions are tested")
        Integer minSamples;

        @Option(names = "--family-alpha", description = "family-wise error rate of the drift tests (Holm over all drift signals)")
        Double familyAlpha;

        @Option(names = "--class-min-js", description = "minimum Jensen-Shannon divergence (bits) to flag the class distribution")
        Double classMinJs;

        @Option(names = "--ks-min-d", description = "minimum KS distance to flag confidence or length")
        Double ksMinD;

        @Option(names = "--rate-min-delta", description = "minimum absolute rate change to flag")
        Double rateMinDelta;

        @Option(names = "--novelty-quantile", description = "baseline quantile of the novelty score above which an event counts as novel (novelty_rate)")
        Double noveltyQuantile;

        @Option(names = "--unfamiliar-tail", description = "share of the baseline's most unfamiliar events that score in the unfamiliarity test")
        Double unfamiliarTail;

        @Option(names = "--unfamiliar-min-delta", description = "minimum increase of the mean unfamiliarity score to flag")
        Double unfamiliarMinDelta;

        @Option(names = "--permutations", description = "most permutations of the class, embedding and unfamiliarity tests")
        Integer permutations;

        @Option(names = "--quality-alpha", description = "error rate of the accuracy and macro-F1 intervals together")
        Double qualityAlpha;

        @Option(names = "--max-accuracy-drop", description = "accepted accuracy drop below the baseline (with joined labels)")
        Double maxAccuracyDrop;

        @Option(names = "--max-macro-f1-drop", description = "accepted macro-F1 drop below the baseline (with joined labels)")
        Double maxMacroF1Drop;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Constraints b = Monitor.readConstraints(baseline);
            Constraints c = new Constraints(or(minSamples, b.minSamples()), or(familyAlpha, b.familyAlpha()), or(classMinJs, b.classMinJs()),
                    b.psiReport(), or(ksMinD, b.ksMinD()), or(rateMinDelta, b.rateMinDelta()), or(permutations, b.permutations()),
                    b.mmdMaxSamples(), b.minLabels(), or(qualityAlpha, b.qualityAlpha()), or(maxAccuracyDrop, b.maxAccuracyDrop()),
                    or(maxMacroF1Drop, b.maxMacroF1Drop()), b.bootstrap(), b.seed(), or(noveltyQuantile, b.noveltyQuantile()),
                    or(unfamiliarTail, b.unfamiliarTail()), or(unfamiliarMinDelta, b.unfamiliarMinDelta()));
            CheckResult r = Monitor.check(baseline, capture, time(from, "--from"), time(to, "--to"), c, out);
            PrintWriter o = spec.commandLine().getOut();
            o.printf("%d events (%d labelled) from %s%n", r.n(), r.labelled(), capture);
            var base = Monitor.readStatistics(baseline);
            o.printf("baseline: %s, %s%n", base.source(), base.provenance());
            for (SignalResult s : r.signals())
                o.printf(Locale.ROOT, "  %-20s %-17s %s=%s  p=%s  holm=%s  %s%n", s.signal(), s.status().name().toLowerCase(Locale.ROOT),
                        s.statistic(), fmt(s.value()), fmt(s.p()), fmt(s.pAdjusted()), s.decision());
            o.printf(Locale.ROOT, "drift family (%s, alpha %s): %s; quality family: %s%n", r.drift().method(), fmt(r.drift().alpha()),
                    family(r.drift()), family(r.quality()));
            o.printf("%s; wrote %s and %s%n", r.alarm() ? "ALARM: " + r.violations().size() + " signal(s) violated"
                            : r.tooSmall() ? "too small to judge (no signal had enough events)" : "no alarm",
                    out.resolve(Monitor.VIOLATIONS), out.resolve(Monitor.REPORT));
            o.flush();
            return r.alarm() && failOnAlarm ? 3 : 0;
        }

        private static String family(CheckResult.Family f) {
            return (f.alarm() ? "alarm" : f.tested() == 0 ? "not judged" : "no alarm") + " (" + f.tested() + " judged, " + f.skipped() + " skipped)";
        }

        private static <T> T or(T v, T d) {
            return v != null ? v : d;
        }

        private static String fmt(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4g", v);
        }

        private Instant time(String s, String flag) {
            if (s == null) return null;
            try {
                return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), flag + " must be an ISO instant or a date, got '" + s + "'");
            }
        }
    }

    @Command(name = "label", mixinStandardHelpOptions = true,
            description = "Add ground-truth labels ({\"event_id\", \"label\"} lines; the id is the X-Infer4j-Event-Id response header) "
                    + "to a capture directory; 'monitor check' joins them by event id.")
    static final class Label implements Callable<Integer> {
        @Option(names = "--events", required = true, description = "JSON lines {\"event_id\": ..., \"label\": ...}")
        Path events;

        @Option(names = "--capture", defaultValue = "capture", description = "capture directory (default: ${DEFAULT-VALUE})")
        Path capture;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Labels.Joined j = Labels.add(capture, events, Clock.systemUTC());
            PrintWriter o = spec.commandLine().getOut();
            o.printf("%d labels stored in %s; %d match captured events%n", j.labels(), j.file(), j.matched());
            o.flush();
            return 0;
        }
    }
}
