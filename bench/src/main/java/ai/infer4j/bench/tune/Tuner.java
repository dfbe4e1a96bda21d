package ai.infer4j.bench.tune;

import ai.infer4j.bench.load.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Sweeps a grid of configurations, finds for each the highest rate that meets the p99 SLO ({@link RateSearch}), and
 * recommends the cheapest: the lowest cost per million inferences, i.e. the highest SLO-meeting rate per instance
 * (every configuration runs on the same instance type); among configurations within 5% of the best rate, the one
 * that uses the fewest threads, then the shortest batch delay.
 */
public final class Tuner {
    private static final Logger log = LoggerFactory.getLogger(Tuner.class);

    /** What the tuner found for one configuration. */
    public record Result(TuneConfig config, RateSearch.Outcome search, String error) {
        public double maxRps() {
            return search == null ? 0 : search.maxRps();
        }

        public boolean meetsSlo() {
            return maxRps() > 0;
        }
    }

    /**
     * Cost of serving at the SLO on one instance type.
     *
     * @param pricePerHour   price of one instance-hour (any currency)
     * @param costPerMillion cost of one million inferences at the configuration's SLO-meeting rate
     * @param instances      instances needed for {@code peakRps}
     */
    public record Cost(double pricePerHour, double peakRps, double costPerMillion, long instances) {
        public static Cost of(double pricePerHour, double peakRps, double rps) {
            if (!(rps > 0)) return new Cost(pricePerHour, peakRps, Double.POSITIVE_INFINITY, -1);
            return new Cost(pricePerHour, peakRps, pricePerHour / (rps * 3600) * 1e6, peakRps > 0 ? (long) Math.ceil(peakRps / rps) : 0);
        }
    }

    private final TargetFactory factory;
    private final RateSearch search;

    public Tuner(TargetFactory factory, RateSearch search) {
        this.factory = factory;
        this.search = search;
    }

    /** Every combination of the given values, variants outermost. */
    public static List<TuneConfig> grid(List<String> variants, List<Integer> workers, List<Integer> threads, List<Integer> batchSizes,
                                        List<Duration> delays, int queueSize) {
        List<TuneConfig> out = new ArrayList<>();
        for (String v : variants)
            for (int w : workers)
                for (int t : threads)
                    for (int b : batchSizes)
                        for (Duration d : delays) out.add(new TuneConfig(v, w, t, b, d, queueSize));
        return out;
    }

    /**
     * Runs the search on each configuration in turn (one target open at a time). A configuration whose target cannot
     * be opened is reported with its error and skipped.
     *
     * @param onProbe told of every probe, e.g. for progress
     */
    public List<Result> sweep(List<TuneConfig> configs, Consumer<String> onProbe) throws InterruptedException {
        List<Result> out = new ArrayList<>();
        for (TuneConfig c : configs) {
            try (Target t = factory.open(c)) {
                RateSearch.Outcome o = search.search(t, p -> onProbe.accept(String.format(Locale.ROOT,
                        "%s @ %.0f req/s: p99 %.2f ms, %.0f ok/s, %d errors -> %s", c.label(), p.offeredRps(), p.summary().p99Ms(),
                        p.summary().throughputRps(), p.summary().errorCount(), p.meets() ? "meets SLO" : "misses")));
                out.add(new Result(c, o, null));
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                log.warn("config {} failed: {}", c.label(), e.toString());
                out.add(new Result(c, null, e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
        return out;
    }

    /** The cheapest configuration meeting the SLO, if any did. */
    public static Optional<Result> recommend(List<Result> results) {
        double best = results.stream().mapToDouble(Result::maxRps).max().orElse(0);
        if (best <= 0) return Optional.empty();
        return results.stream().filter(r -> r.maxRps() >= best * 0.95)
                .min(Comparator.comparingInt((Result r) -> r.config().threads())
                        .thenComparing(r -> r.config().maxBatchDelay())
                        .thenComparing(Comparator.comparingDouble(Result::maxRps).reversed()));
    }
}
