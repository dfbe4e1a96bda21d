package ai.infer4j.bench.load;

import ai.infer4j.bench.record.IntervalRow;
import ai.infer4j.bench.record.RunSummary;
import org.HdrHistogram.Histogram;

import java.util.List;

/**
 * What a run produced: its per-interval rows, every served request's latency (microseconds) and the totals.
 */
public record RunResult(LoadSpec spec, List<IntervalRow> rows, Histogram latencyMicros, RunSummary summary) {
    public RunResult {
        rows = List.copyOf(rows);
    }
}
