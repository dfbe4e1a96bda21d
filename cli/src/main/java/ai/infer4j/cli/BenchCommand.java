package ai.infer4j.cli;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.HttpTarget;
import ai.infer4j.bench.load.InProcessTarget;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.load.RunResult;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.record.Comparison;
import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.RunSummary;
import ai.infer4j.bench.record.SteadyState;
import ai.infer4j.engine.batch.BatchPolicy;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/** Load-tests a server ({@code --url}) or the engine in-process, open loop by default. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.Compare.class,
        resourceBundle = "ai.infer4j.cli.BenchCommand", defaultValueProvider = BatchFlags.BenchDefaults.class,
        description = {"Benchmark an inference endpoint (--url) or the engine in-process (--in-process).",
                "Open loop by default (--rate, latency from each request's intended send time); closed loop with --concurrency.",
                "Writes intervals.csv, latency.hlog, summary.json and index.html to --report DIR."})
final class BenchCommand implements Callable<Integer> {
    static final class TargetChoice {
        @Option(names = "--url", required = true, description = "endpoint, e.g. http://127.0.0.1:8080/predictions/intent or .../v2/models/intent/infer")
        URI url;

        @Option(names = "--in-process", required = true, description = "run the engine in this process, no HTTP")
        boolean inProcess;
    }

    private static final String EPOLL_WAIT_THRESHOLD = "io.netty.channel.epoll.epollWaitThreshold";

    @ArgGroup(exclusive = true, multiplicity = "0..1")  // optional so that 'bench compare' parses; checked in call()
    TargetChoice target;

    @Option(names = "--api", description = "torchserve or kserve (default: kserve for /v2/ paths)")
    String api;

    @Option(names = "--model", defaultValue = "intent", description = "in-process model (default ${DEFAULT-VALUE})")
    String model;

    @Mixin
    BatchFlags batching;

    @Option(names = "--data", description = "inputs: text lines or JSON lines with \"text\" (default: a few built-in queries)")
    Path data;

    @Option(names = "--seed", description = "sample inputs at random with this seed (default: cycle in file order)")
    Long seed;

    @Option(names = "--rate", split = ",", description = "open loop: requests per second (default 100); a list (200,300,400) runs a "
            + "ladder in this one process, each rate after its own warm-up, reports in --report DIR/rate-R")
    List<Double> rates;

    @Option(names = "--concurrency", description = "closed loop: clients, each waiting for its answer before the next request")
    Integer concurrency;

    @Option(names = "--warmup", defaultValue = "5s", description = "unmeasured time first (default ${DEFAULT-VALUE})")
    String warmup;

    @Option(names = "--duration", defaultValue = "30s", description = "measured time (default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--requests", defaultValue = "0", description = "stop after this many measured requests (0: no limit)")
    long requests;

    @Option(names = "--max-in-flight", defaultValue = "10000", description = "open loop: outstanding requests at most; more are dropped and counted")
    int maxInFlight;

    @Option(names = "--interval", defaultValue = "1s", description = "CSV row length (default ${DEFAULT-VALUE})")
    String interval;

    @Option(names = "--timeout", defaultValue = "10s", description = "per request (default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--client-io", defaultValue = "auto", description = "--url client's I/O: epoll (sends paced on its own I/O loop), "
            + "nio (a pacing thread hands each send to the loop) or auto: epoll where it loads (default ${DEFAULT-VALUE})")
    String clientIo;

    @Option(names = "--report", description = "directory for intervals.csv, latency.hlog, summary.json, index.html")
    Path report;

    @Override
    public Integer call() throws Exception {
        if (target == null) throw new picocli.CommandLine.ParameterException(
                new picocli.CommandLine(this), "give a target: --url URL or --in-process [--model M]");
        if (rates != null && concurrency != null) throw new picocli.CommandLine.ParameterException(
                new picocli.CommandLine(this), "give --rate (open loop) or --concurrency (closed loop), not both");
        Duration to = Durations.parse(timeout);
        List<LoadSpec> specs = new ArrayList<>();
        if (concurrency != null) specs.add(LoadSpec.closed(concurrency, Durations.parse(warmup), Durations.parse(duration)));
        else for (double r : rates != null ? rates : List.of(100.0))
            specs.add(LoadSpec.open(r, Durations.parse(warmup), Durations.parse(duration)).withMaxInFlight(maxInFlight));
        List<String> texts = data != null ? Inputs.read(data) : Inputs.DEFAULT;
        Inputs inputs = seed != null ? Inputs.sampled(texts, seed) : Inputs.cycled(texts);
        try (Target t = open(to, texts)) {
            for (LoadSpec each : specs) {
                LoadSpec spec = each.withInterval(Durations.parse(interval)).withTimeout(to).withMaxRequests(requests);
                // one JVM for the whole ladder: the client's JIT and connections are warm from the second rate on
                Path dir = report == null || specs.size() == 1 ? report
                        : report.resolve("rate-" + new BigDecimal(spec.ratePerSecond()).stripTrailingZeros().toPlainString());
                System.err.printf("infer4j bench: %s against %s, warm-up %s, measuring %s%n", spec.describe(), t.describe(), warmup, duration);
                AtomicLong sent = new AtomicLong();
                RunResult r = Bench.run(t, inputs, spec, dir, row -> progress(row, sent));
                System.err.println();
                print(r.summary());
                if (spec.mode() == LoadSpec.Mode.OPEN) printLateness(r.sendLateMicros(), t);
                if (dir != null) System.out.println("report: " + dir.resolve("index.html"));
            }
        }
        return 0;
    }

    private Target open(Duration to, List<String> texts) {
        if (target.url != null) {
            // this process is a client: its epoll loop waits on a timerfd armed to the microsecond (Netty's default
            // below 10 ms is epoll_pwait2, whose timeout gets the thread's 50 us timer slack: sends left ~90 us late
            // at the median instead of ~35, docs/perf.md session 10); before the first epoll class loads
            if (System.getProperty(EPOLL_WAIT_THRESHOLD) == null) System.setProperty(EPOLL_WAIT_THRESHOLD, "0");
            HttpTarget.Api a = api != null ? HttpTarget.Api.parse(api) : HttpTarget.Api.guess(target.url);
            return new HttpTarget(target.url, a, to, Math.min(maxInFlight, 4096), HttpTarget.Transport.parse(clientIo));
        }
        int n = batching.threads != null ? batching.threads : Runtime.getRuntime().availableProcessors();
        InProcessTarget t = new InProcessTarget(model, batching.workers, n, batching.policy(BatchPolicy.defaults()), to);
        t.warmUp(texts, 20);
        return t;
    }

    private static void progress(IntervalRow row, AtomicLong sent) {
        long total = sent.addAndGet(row.sent());
        System.err.printf(Locale.ROOT, "\r%7.1fs  sent %9d  ok/s %8.0f  errors %5d  p50 %7.2f  p99 %7.2f  max %8.2f ms   ",
                row.timeS(), total, row.throughputRps(), row.errorCount(), row.p50Ms(), row.p99Ms(), row.maxMs());
        System.err.flush();
    }

    static void print(RunSummary s) {
        System.out.printf(Locale.ROOT, "%-14s %s%n%-14s %s%n", "target", s.target(), "mode",
                s.mode().equals("open") ? String.format(Locale.ROOT, "open loop, %.0f req/s offered", s.offeredRps())
                        : "closed loop, " + s.concurrency() + " clients");
        System.out.printf(Locale.ROOT, "%-14s %.1f s%n%-14s %d%n%-14s %d%n", "measured", s.durationS(), "sent", s.sent(), "ok", s.ok());
        for (Outcome o : Outcome.ERRORS) {
            long n = s.errors().getOrDefault(o.column(), 0L);
            if (n > 0) System.out.printf(Locale.ROOT, "%-14s %d%n", o.column(), n);
        }
        System.out.printf(Locale.ROOT, "%-14s %.1f req/s%n", "throughput", s.throughputRps());
        System.out.printf(Locale.ROOT, "%-14s mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms%n", "latency",
                s.meanMs(), s.p50Ms(), s.p90Ms(), s.p99Ms(), s.p999Ms(), s.maxMs());
        if (s.steady()) System.out.printf(Locale.ROOT, "%-14s reached after %.1f s%n", "steady state", s.steadyAtS());
        else System.out.printf("warning: never reached steady state (%d consecutive intervals within %d%%); run longer or lower the load%n",
                SteadyState.WINDOWS, (int) (SteadyState.TOLERANCE * 100));
    }

    /** How late the measured sends left against the schedule: the client's own error, already inside the latencies. */
    private static void printLateness(Histogram late, Target t) {
        if (late.getTotalCount() == 0) return;
        String pacer = t.pacer() != null ? "paced on the client's I/O loop" : "paced by a client thread";
        System.out.printf(Locale.ROOT, "%-14s p50 %d  p99 %d  p99.9 %d  max %d us after the intended time (%s)%n", "send lateness",
                late.getValueAtPercentile(50), late.getValueAtPercentile(99), late.getValueAtPercentile(99.9), late.getMaxValue(), pacer);
    }

    /** {@code bench compare a/ b/}: two runs side by side. */
    @Command(name = "compare", mixinStandardHelpOptions = true, description = "Compare two --report directories side by side.")
    static final class Compare implements Callable<Integer> {
        @Parameters(index = "0", description = "first run directory (a)")
        Path a;

        @Parameters(index = "1", description = "second run directory (b)")
        Path b;

        @Option(names = "--out", description = "HTML file to write (default: compare.html beside b)")
        Path out;

        @Override
        public Integer call() {
            Path html = out != null ? out : b.toAbsolutePath().getParent().resolve("compare.html");
            Comparison c = Bench.compare(a, b, html);
            System.out.print(c.text());
            System.out.println("report: " + html);
            return 0;
        }
    }
}
