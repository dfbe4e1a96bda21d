package ai.infer4j.bench.tune;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.record.RunSummary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The throttle sweep of serverless benchmarking: for each concurrency limit (the server's {@code job_queue_size})
 * and each client multiplier (1, 1.5, 1.75, 2 by default), {@code ceil(limit × multiplier)} closed-loop clients load
 * the target; how many requests were refused (503) against served, and the latency of those served.
 */
public final class ThrottleSweep {
    public static final List<Double> MULTIPLIERS = List.of(1.0, 1.5, 1.75, 2.0);

    private ThrottleSweep() {
    }

    /** One cell of the sweep. */
    public record Row(int limit, double multiplier, int clients, long served, long refused, long otherErrors, double servedRps,
                      double servedP50Ms, double servedP99Ms) {
        public double refusedShare() {
            long n = served + refused + otherErrors;
            return n == 0 ? 0 : (double) refused / n;
        }
    }

    public static List<Row> run(TargetFactory factory, TuneConfig base, List<Integer> limits, List<Double> multipliers,
                                List<String> inputs, Duration warmup, Duration duration, Consumer<String> progress) throws Exception {
        List<Row> out = new ArrayList<>();
        for (int limit : limits) {
            try (Target t = factory.open(base.withQueueSize(limit))) {
                for (double m : multipliers) {
                    int clients = (int) Math.ceil(limit * m);
                    RunSummary s = Bench.run(t, Inputs.cycled(inputs), LoadSpec.closed(clients, warmup, duration), null, r -> { }).summary();
                    long refused = s.errors().getOrDefault(Outcome.REFUSED.column(), 0L);
                    Row row = new Row(limit, m, clients, s.ok(), refused, s.errorCount() - refused, s.throughputRps(), s.p50Ms(), s.p99Ms());
                    out.add(row);
                    progress.accept(String.format(Locale.ROOT, "limit %d x %.2f = %d clients: served %d, refused %d (%.1f%%), p99 %.2f ms",
                            limit, m, clients, row.served(), row.refused(), row.refusedShare() * 100, row.servedP99Ms()));
                }
            }
        }
        return out;
    }
}
