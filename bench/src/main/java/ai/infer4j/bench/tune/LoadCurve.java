package ai.infer4j.bench.tune;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.record.RunSummary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Latency against offered load for one target: first its saturation throughput (closed loop, many clients), then
 * open-loop runs at fractions of it. The knee is the highest offered rate before the first point that misses the
 * SLO or falls behind (serves under 95% of what was offered).
 *
 * @param saturationRps closed-loop throughput with {@code clients} clients
 * @param kneeRps       highest offered rate before the curve breaks (0 if even the first point broke)
 */
public record LoadCurve(String target, int clients, double saturationRps, List<Point> points, double kneeRps) {
    public LoadCurve {
        points = List.copyOf(points);
    }

    /** One open-loop run of the curve. */
    public record Point(double fraction, double offeredRps, RunSummary summary) {
        public boolean holds(double sloP99Ms) {
            return summary.p99Ms() <= sloP99Ms && summary.throughputRps() >= 0.95 * offeredRps && summary.errorRate() <= 0.001;
        }
    }

    /**
     * @param fractions offered load as fractions of the saturation throughput, e.g. 0.25, 0.5, 0.75, 0.9, 1.0
     */
    public static LoadCurve measure(Target target, List<String> inputs, int clients, List<Double> fractions, Duration warmup,
                                    Duration duration, Duration interval, double sloP99Ms, Consumer<String> progress)
            throws InterruptedException {
        LoadSpec closed = LoadSpec.closed(clients, warmup, duration).withInterval(interval);
        RunSummary sat = Bench.run(target, Inputs.cycled(inputs), closed, null, r -> { }).summary();
        progress.accept(String.format(Locale.ROOT, "saturation (%d clients): %.0f req/s, p99 %.2f ms",
                clients, sat.throughputRps(), sat.p99Ms()));
        List<Point> points = new ArrayList<>();
        double knee = 0;
        boolean broken = false;
        for (double f : fractions) {
            double rate = Math.max(1, f * sat.throughputRps());
            LoadSpec open = LoadSpec.open(rate, warmup, duration).withInterval(interval)
                    .withMaxInFlight((int) Math.min(100_000, Math.max(64, rate * 2)));
            Point p = new Point(f, rate, Bench.run(target, Inputs.cycled(inputs), open, null, r -> { }).summary());
            points.add(p);
            progress.accept(String.format(Locale.ROOT, "%.0f%% of saturation = %.0f req/s: %.0f ok/s, p50 %.2f ms, p99 %.2f ms",
                    f * 100, rate, p.summary().throughputRps(), p.summary().p50Ms(), p.summary().p99Ms()));
            if (!broken && p.holds(sloP99Ms)) knee = rate;
            else broken = true;
        }
        return new LoadCurve(target.describe(), clients, sat.throughputRps(), points, knee);
    }
}
