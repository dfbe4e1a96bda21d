package ai.infer4j.cli;

import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.tune.ColdStart;
import ai.infer4j.bench.tune.LoadCurve;
import ai.infer4j.bench.tune.RateSearch;
import ai.infer4j.bench.tune.TargetFactory;
import ai.infer4j.bench.tune.Targets;
import ai.infer4j.bench.tune.ThrottleSweep;
import ai.infer4j.bench.tune.TuneConfig;
import ai.infer4j.bench.tune.TuneReport;
import ai.infer4j.bench.tune.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** Sweeps serving configurations and recommends the cheapest one that meets a p99 SLO. */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Sweep workers x intra-op threads x max batch size x max batch delay (x model variants), find each",
                "configuration's highest rate meeting --slo-p99, recommend the cheapest; optionally cost, latency-vs-load",
                "curves (in-process and server), a throttle sweep and cold start. Writes CSV + index.html to --out."})
final class TuneCommand implements Callable<Integer> {
    @Option(names = "--server", description = "tune a server started in this process (HTTP on loopback) instead of the engine in-process")
    boolean server;

    @Option(names = "--variants", split = ",", defaultValue = "intent", description = "model variants to compare (default ${DEFAULT-VALUE})")
    List<String> variants;

    @Option(names = "--workers", split = ",", defaultValue = "1,2", description = "default ${DEFAULT-VALUE}")
    List<Integer> workers;

    @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "intra-op threads, default ${DEFAULT-VALUE}")
    List<Integer> threads;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "8,32", description = "default ${DEFAULT-VALUE}")
    List<Integer> batchSizes;

    @Option(names = "--delays-ms", split = ",", defaultValue = "0,2", description = "max batch delays, default ${DEFAULT-VALUE}")
    List<Integer> delaysMs;

    @Option(names = "--queue-size", defaultValue = "1024", description = "job_queue_size during the sweep (default ${DEFAULT-VALUE})")
    int queueSize;

    @Option(names = "--slo-p99", defaultValue = "10ms", description = "p99 latency objective (default ${DEFAULT-VALUE})")
    String sloP99;

    @Option(names = "--price-per-hour", defaultValue = "0", description = "instance price per hour, for cost per 1M inferences")
    double pricePerHour;

    @Option(names = "--peak-rps", defaultValue = "0", description = "peak load to size for, e.g. 16000")
    double peakRps;

    @Option(names = "--start-rate", defaultValue = "100", description = "first rate probed (default ${DEFAULT-VALUE})")
    double startRate;

    @Option(names = "--max-rate", defaultValue = "20000", description = "highest rate probed (default ${DEFAULT-VALUE})")
    double maxRate;

    @Option(names = "--probe", defaultValue = "3s", description = "measured time per rate probe (default ${DEFAULT-VALUE})")
    String probe;

    @Option(names = "--probe-warmup", defaultValue = "1s", description = "warm-up per probe (default ${DEFAULT-VALUE})")
    String probeWarmup;

    @Option(names = "--precision", defaultValue = "0.1", description = "stop the rate search within this fraction (default ${DEFAULT-VALUE})")
    double precision;

    @Option(names = "--data", description = "inputs: text lines or JSON lines with \"text\"")
    Path data;

    @Option(names = "--curves", description = "also measure latency against load for the recommended config, in-process and server")
    boolean curves;

    @Option(names = "--throttle-limits", split = ",", description = "throttle sweep: job_queue_size values, e.g. 4,16 (x client multipliers 1, 1.5, 1.75, 2)")
    List<Integer> throttleLimits;

    @Option(names = "--cold-start", defaultValue = "0", description = "cold start runs (process start to first good answer)")
    int coldStartRuns;

    @Option(names = "--cold-start-command", description = "server command for cold start, split on spaces (default: this build's 'serve')")
    String coldStartCommand;

    @Option(names = "--out", defaultValue = "out/tune", description = "report directory (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        Duration timeout = Duration.ofSeconds(10);
        List<String> texts = data != null ? Inputs.read(data) : Inputs.DEFAULT;
        double slo = Durations.millis(sloP99);
        RateSearch search = new RateSearch(slo, startRate, maxRate, Durations.parse(probeWarmup), Durations.parse(probe),
                Duration.ofMillis(500), precision, 0.001, texts);
        TargetFactory inProcess = Targets.inProcess(timeout);
        TargetFactory viaServer = Targets.server(timeout, 4096, null);
        List<TuneConfig> grid = Tuner.grid(variants, workers, threads, batchSizes, delaysMs.stream().map(Duration::ofMillis).toList(), queueSize);
        System.err.printf("infer4j tune: %d configurations %s, p99 SLO %.1f ms%n", grid.size(), server ? "(server over HTTP)" : "(in-process)", slo);
        List<Tuner.Result> results = new Tuner(server ? viaServer : inProcess, search).sweep(grid, s -> System.err.println("  " + s));

        TuneReport partial = new TuneReport(slo, pricePerHour, peakRps, results, List.of(), List.of(), List.of());
        TuneConfig best = partial.recommendation().map(Tuner.Result::config).orElse(grid.get(0));
        List<LoadCurve> lc = new ArrayList<>();
        if (curves) {
            for (TargetFactory f : List.of(inProcess, viaServer)) {
                try (Target t = f.open(best)) {
                    System.err.println("curve: " + t.describe());
                    lc.add(LoadCurve.measure(t, texts, Math.max(16, best.maxBatchSize() * best.workers() * 2),
                            List.of(0.25, 0.5, 0.75, 0.9, 1.0, 1.1), Durations.parse(probeWarmup), Durations.parse(probe),
                            Duration.ofMillis(500), slo, s -> System.err.println("  " + s)));
                }
            }
        }
        List<ThrottleSweep.Row> throttle = throttleLimits == null ? List.of()
                : ThrottleSweep.run(viaServer, best, throttleLimits, ThrottleSweep.MULTIPLIERS, texts, Durations.parse(probeWarmup),
                Durations.parse(probe), s -> System.err.println("  throttle " + s));
        List<ColdStart.Result> cold = new ArrayList<>();
        if (coldStartRuns > 0) {
            List<String> cmd = coldStartCommand != null ? Arrays.asList(coldStartCommand.trim().split("\\s+"))
                    : ColdStart.sameBuild(Main.class.getName());
            Files.createDirectories(out);
            for (int i = 0; i < coldStartRuns; i++) {
                ColdStart.Result r = ColdStart.measure(cmd, "intent", Duration.ofSeconds(60), out.resolve("cold-start.log"));
                System.err.println(r.ok() ? String.format("  cold start %d: %.0f ms to first answer", i + 1, r.millis())
                        : "  cold start " + (i + 1) + " failed: " + r.error());
                cold.add(r);
            }
        }
        TuneReport report = new TuneReport(slo, pricePerHour, peakRps, results, lc, throttle, cold);
        report.write(out);
        System.out.println(report.recommendationText());
        for (LoadCurve c : lc)
            System.out.printf("curve %s: saturation %.0f req/s, knee %.0f req/s%n", c.target(), c.saturationRps(), c.kneeRps());
        System.out.println("report: " + out.resolve("index.html"));
        return report.recommendation().isPresent() ? 0 : 3;
    }
}
