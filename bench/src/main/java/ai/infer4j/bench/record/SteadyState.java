package ai.infer4j.bench.record;

import java.util.List;

/**
 * When a run settled: the first time {@code windows} consecutive full intervals had throughput and median latency
 * each within {@code tolerance} of their mean (3 windows within 10% by default). p99 is not used: on a shared
 * machine it moves more than 10% between seconds even when nothing is wrong. Rows after the last send (the client
 * waiting for outstanding answers) never count.
 *
 * @param reached  whether it ever settled
 * @param atS      seconds into the measurement when it settled (end of the last window), or -1
 */
public record SteadyState(boolean reached, double atS) {
    public static final int WINDOWS = 3;
    public static final double TOLERANCE = 0.10;

    public static SteadyState detect(List<IntervalRow> rows) {
        return detect(rows, WINDOWS, TOLERANCE);
    }

    public static SteadyState detect(List<IntervalRow> rows, int windows, double tolerance) {
        double full = rows.stream().mapToDouble(IntervalRow::intervalS).max().orElse(0);
        for (int end = windows - 1; end < rows.size(); end++) {
            List<IntervalRow> w = rows.subList(end - windows + 1, end + 1);
            if (w.stream().anyMatch(r -> r.intervalS() < full * 0.5 || r.ok() == 0 || r.sent() == 0)) continue; // drain rows: nothing sent
            if (within(w.stream().mapToDouble(IntervalRow::throughputRps).toArray(), tolerance)
                    && within(w.stream().mapToDouble(IntervalRow::p50Ms).toArray(), tolerance))
                return new SteadyState(true, rows.get(end).timeS());
        }
        return new SteadyState(false, -1);
    }

    private static boolean within(double[] xs, double tolerance) {
        double mean = 0;
        for (double x : xs) mean += x / xs.length;
        for (double x : xs) if (Math.abs(x - mean) > tolerance * mean) return false;
        return true;
    }
}
