package ai.infer4j.bench.record;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Collects outcomes and latencies from many threads and cuts them into intervals. {@link #sent()} and
 * {@link #record} are lock-free and safe for concurrent callers (HdrHistogram {@link Recorder}, {@link LongAdder});
 * {@link #tick} is called by one thread, the interval timer. Latencies are kept in microseconds, 3 significant
 * digits, up to one hour.
 */
public final class IntervalRecorder {
    static final long MAX_MICROS = 3_600_000_000L;

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final LongAdder sent = new LongAdder();
    private final LongAdder[] outcomes = new LongAdder[Outcome.values().length];
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private final List<IntervalRow> rows = new ArrayList<>();
    private final HistogramLogWriter log;
    private final long startNanos;
    private final long startEpochMs;
    private long lastTickNanos;
    private Histogram recycle;

    /**
     * @param startNanos   when measurement starts ({@code System.nanoTime()} scale)
     * @param startEpochMs the same instant as wall-clock time, for the histogram log
     * @param log          where each interval's histogram goes, or null
     */
    public IntervalRecorder(long startNanos, long startEpochMs, HistogramLogWriter log) {
        for (int i = 0; i < outcomes.length; i++) outcomes[i] = new LongAdder();
        this.startNanos = startNanos;
        this.lastTickNanos = startNanos;
        this.startEpochMs = startEpochMs;
        this.log = log;
        if (log != null) {
            log.outputComment("infer4j bench latency log; values in microseconds (max column in seconds)");
            log.outputStartTime(startEpochMs);
            log.setBaseTime(startEpochMs);
            log.outputLegend();
        }
    }

    /** One request went out. */
    public void sent() {
        sent.increment();
    }

    /** One request ended; the latency counts toward the percentiles only when it was served. */
    public void record(Outcome outcome, long latencyNanos) {
        outcomes[outcome.ordinal()].increment();
        if (outcome == Outcome.OK) recorder.recordValue(Math.max(0, Math.min(MAX_MICROS, latencyNanos / 1_000)));
    }

    /**
     * Closes the interval ending at {@code nowNanos} and returns its row; a time before the last tick closes an
     * empty interval at the last tick.
     */
    public synchronized IntervalRow tick(long nowNanos) {
        nowNanos = Math.max(nowNanos, lastTickNanos);
        Histogram h = recorder.getIntervalHistogram(recycle);
        long ok = outcomes[Outcome.OK.ordinal()].sumThenReset();
        Map<Outcome, Long> errors = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.ERRORS) errors.put(o, outcomes[o.ordinal()].sumThenReset());
        double intervalS = Math.max(0, nowNanos - lastTickNanos) / 1e9;
        IntervalRow row = new IntervalRow((nowNanos - startNanos) / 1e9, intervalS, sent.sumThenReset(), ok, errors,
                intervalS > 0 ? ok / intervalS : 0, ms(h, 50), ms(h, 90), ms(h, 99), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1e3);
        if (log != null) {
            h.setStartTimeStamp(startEpochMs + (lastTickNanos - startNanos) / 1_000_000);
            h.setEndTimeStamp(startEpochMs + (nowNanos - startNanos) / 1_000_000);
            log.outputIntervalHistogram(h);
        }
        total.add(h);
        rows.add(row);
        recycle = h;
        lastTickNanos = nowNanos;
        return row;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e3;
    }

    public synchronized List<IntervalRow> rows() {
        return List.copyOf(rows);
    }

    /** Every served request's latency so far, in microseconds (a copy). */
    public synchronized Histogram total() {
        return total.copy();
    }
}
