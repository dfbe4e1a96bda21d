package ai.infer4j.bench.record;

import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The totals of one measured run (warm-up excluded); what {@code summary.json} holds and {@code bench compare} reads.
 *
 * @param mode          {@code open} (fixed rate) or {@code closed} (fixed concurrency)
 * @param offeredRps    the open-loop rate asked for (0 in closed loop)
 * @param concurrency   closed-loop clients (0 in open loop)
 * @param durationS     measured seconds
 * @param errors        failed requests by kind ({@link Outcome#column()})
 * @param throughputRps ok answers per measured second
 * @param steadyAtS     seconds into the run when it reached steady state, -1 if never
 */
public record RunSummary(String target, String mode, double offeredRps, int concurrency, double durationS, long sent, long ok,
                         Map<String, Long> errors, double throughputRps, double meanMs, double p50Ms, double p90Ms, double p99Ms,
                         double p999Ms, double maxMs, boolean steady, double steadyAtS) {
    public RunSummary {
        errors = Map.copyOf(errors);
    }

    public static RunSummary of(String target, String mode, double offeredRps, int concurrency, List<IntervalRow> rows,
                                Histogram micros) {
        double duration = rows.stream().mapToDouble(IntervalRow::intervalS).sum();
        long sent = rows.stream().mapToLong(IntervalRow::sent).sum();
        long ok = rows.stream().mapToLong(IntervalRow::ok).sum();
        Map<String, Long> errors = new LinkedHashMap<>();
        for (Outcome o : Outcome.ERRORS) errors.put(o.column(), rows.stream().mapToLong(r -> r.errors(o)).sum());
        SteadyState s = SteadyState.detect(rows);
        boolean any = micros.getTotalCount() > 0;
        return new RunSummary(target, mode, offeredRps, concurrency, duration, sent, ok, errors, duration > 0 ? ok / duration : 0,
                any ? micros.getMean() / 1e3 : 0, pct(micros, 50), pct(micros, 90), pct(micros, 99), pct(micros, 99.9),
                any ? micros.getMaxValue() / 1e3 : 0, s.reached(), s.atS());
    }

    private static double pct(Histogram h, double p) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1e3;
    }

    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Failed requests as a fraction of all that ended (0 when none ended). */
    public double errorRate() {
        long n = ok + errorCount();
        return n == 0 ? 0 : (double) errorCount() / n;
    }
}
