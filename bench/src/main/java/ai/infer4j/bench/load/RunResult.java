package ai.infer4j.bench.load;

import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.RunSummary;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Objects;

/**
 * What a run produced: its per-interval rows, every served request's latency (microseconds) and the totals.
 *
 * @param sendLateMicros open loop: how late each measured request left against its intended send time
 *                       (microseconds; the client's own pacing error, already inside {@code latencyMicros}); empty in
 *                       closed loop
 */
public record RunResult(LoadSpec spec, List<IntervalRow> rows, Histogram latencyMicros, RunSummary summary, Histogram sendLateMicros) {
    public RunResult {
        rows = List.copyOf(rows);
        Objects.requireNonNull(sendLateMicros, "sendLateMicros");
    }
}
