package ai.infer4j.bench.record;


import java.util.EnumMap;
import java.util.Map;

/**
 * One line of the per-interval CSV: counts during the interval and the latency percentiles of the requests
 * served in it (from their intended send time in open loop).
 *
 * @param timeS        seconds from the start of measurement to the end of this interval
 * @param intervalS    this interval's length in seconds (the last one may be short)
 * @param sent         requests sent in the interval
 * @param ok           answers with a 2xx in the interval
 * @param errors       failed requests by kind (every kind present, zero when none)
 * @param throughputRps ok answers per second
 * @param p50Ms        median latency of ok answers, milliseconds (0 when none)
 */
public record IntervalRow(double timeS, double intervalS, long sent, long ok, Map<Outcome, Long> errors, double throughputRps,
                          double p50Ms, double p90Ms, double p99Ms, double maxMs) {
    public IntervalRow {
        EnumMap<Outcome, Long> all = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.ERRORS) all.put(o, errors.getOrDefault(o, 0L));
        errors = Map.copyOf(all);
        if (intervalS < 0) throw new IllegalArgumentException("intervalS must be >= 0, got " + intervalS);
    }

    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    public long errors(Outcome kind) {
        return errors.getOrDefault(kind, 0L);
    }
}
