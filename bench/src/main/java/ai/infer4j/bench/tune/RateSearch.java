package ai.infer4j.bench.tune;

import ai.infer4j.bench.Bench;
import ai.infer4j.bench.load.Inputs;
import ai.infer4j.bench.load.LoadSpec;
import ai.infer4j.bench.load.RunResult;
import ai.infer4j.bench.load.Target;
import ai.infer4j.bench.record.RunSummary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Finds the highest open-loop rate at which a target meets a p99 SLO: double the rate from {@code startRps}
 * until a probe fails (or {@code maxRps}), then bisect between the last pass and the first failure until they
 * are within {@code precision}. A probe passes when p99 is within the SLO, at most {@code maxErrorRate} of
 * requests failed, and the target kept up (served at least 95% of the offered rate).
 *
 * @param probeWarmup   not measured, before each probe
 * @param probeDuration measured time of each probe
 * @param precision     stop bisecting when high / low is below 1 + precision (0.1: within 10%)
 */
public record RateSearch(double sloP99Ms, double startRps, double maxRps, Duration probeWarmup, Duration probeDuration,
                         Duration interval, double precision, double maxErrorRate, List<String> inputs) {
    public RateSearch {
        if (!(sloP99Ms > 0)) throw new IllegalArgumentException("--slo-p99 must be > 0, got " + sloP99Ms);
        if (!(startRps > 0) || maxRps < startRps) throw new IllegalArgumentException("need 0 < start rate <= max rate, got " + startRps + ", " + maxRps);
        if (!(precision > 0)) throw new IllegalArgumentException("precision must be > 0, got " + precision);
        inputs = List.copyOf(inputs);
    }

    /** One load probe: the rate offered and what came back. */
    public record Probe(double offeredRps, RunSummary summary, boolean meets) { }

    /** The search's answer: the best passing rate (0 if none) and every probe, in order. */
    public record Outcome(double maxRps, RunSummary atMax, List<Probe> probes) {
        public Outcome {
            probes = List.copyOf(probes);
        }
    }

    public Outcome search(Target target, Consumer<Probe> onProbe) throws InterruptedException {
        List<Probe> probes = new ArrayList<>();
        double lo = 0;
        RunSummary atLo = null;
        double hi = Double.NaN;
        double rate = startRps;
        while (true) {
            Probe p = probe(target, rate);
            probes.add(p);
            onProbe.accept(p);
            if (p.meets()) {
                lo = rate;
                atLo = p.summary();
                if (!Double.isNaN(hi) || rate >= maxRps) break;
                rate = Math.min(maxRps, rate * 2);
            } else {
                hi = rate;
                if (lo == 0 && rate / 2 >= startRps / 16) {
                    rate /= 2;
                    continue;
                }
                break;
            }
        }
        while (lo > 0 && !Double.isNaN(hi) && hi / lo > 1 + precision) {
            double mid = Math.sqrt(lo * hi);
            Probe p = probe(target, mid);
            probes.add(p);
            onProbe.accept(p);
            if (p.meets()) {
                lo = mid;
                atLo = p.summary();
            } else {
                hi = mid;
            }
        }
        return new Outcome(lo, atLo, probes);
    }

    /** Runs one probe at {@code rps}. */
    public Probe probe(Target target, double rps) throws InterruptedException {
        LoadSpec spec = LoadSpec.open(rps, probeWarmup, probeDuration).withInterval(interval)
                .withMaxInFlight((int) Math.min(100_000, Math.max(64, rps * 2)));
        RunResult r = Bench.run(target, Inputs.cycled(inputs), spec, null, row -> { });
        return new Probe(rps, r.summary(), meets(r.summary(), rps));
    }

    boolean meets(RunSummary s, double offered) {
        return s.ok() > 0 && s.p99Ms() <= sloP99Ms && s.errorRate() <= maxErrorRate && s.throughputRps() >= 0.95 * offered;
    }
}
