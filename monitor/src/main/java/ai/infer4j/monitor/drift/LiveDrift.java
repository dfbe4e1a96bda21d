package ai.infer4j.monitor.drift;

import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.CaptureWriter;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rolling drift scores per model for the metrics endpoint ({@code infer4j_drift_score{model,signal}}).
 * Fed by the capture writer thread (so requests pay nothing); compares each model's last {@code window}
 * captured events with its baseline, or, without one, with the model's first {@code window} events.
 * Scores are recomputed every {@code window / 20} events. {@link #scores()} is safe from any thread.
 *
 * <p>Signals: {@code class_js} (Jensen–Shannon, bits), {@code confidence_ks} and {@code length_ks} (KS distance D),
 * {@code unknown_rate_delta} and {@code truncation_rate_delta} (absolute change), {@code embedding_mahalanobis}
 * (distance of the window's mean sketch from the baseline centroid, in baseline standard deviations).
 */
public final class LiveDrift implements CaptureWriter.Listener {
    private final int window;
    private final Map<String, BaselineStatistics> baselines;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Double>> scores = new ConcurrentHashMap<>();

    private static final class State {
        final Observation[] ring;
        int next;
        long seen;
        BaselineStatistics reference;
        final List<Observation> first = new ArrayList<>();

        State(int window, BaselineStatistics reference) {
            ring = new Observation[window];
            this.reference = reference;
        }
    }

    /** @param baselines per-model baseline statistics (models not in it use their first window) */
    public LiveDrift(int window, Map<String, BaselineStatistics> baselines) {
        if (window < 10) throw new IllegalArgumentException("drift window must be >= 10 events, got " + window);
        this.window = window;
        this.baselines = Map.copyOf(baselines);
    }

    @Override
    public void observed(String model, String version, Observation o) {
        State s = states.computeIfAbsent(model, m -> new State(window, baselines.get(m)));
        if (s.reference == null) {
            s.first.add(o);
            if (s.first.size() == window) {
                int dim = o.sketch() == null ? 0 : o.sketch().length;
                s.reference = BaselineStatistics.of(model, version, "first " + window + " captured events", List.of(), s.first, dim,
                        EmbeddingSketch.SEED, 1);
                s.first.clear();
            }
            return;
        }
        s.ring[s.next] = o;
        s.next = (s.next + 1) % window;
        s.seen++;
        if (s.seen >= window && s.seen % Math.max(1, window / 20) == 0) scores.put(model, compute(s.reference, Arrays.asList(s.ring)));
    }

    /** model → signal → score; a model appears once it has a reference and a full window. */
    public Map<String, Map<String, Double>> scores() {
        return Map.copyOf(scores);
    }

    static Map<String, Double> compute(BaselineStatistics ref, List<Observation> w) {
        Map<String, Double> out = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Observation o : w) if (o.label() != null) counts.merge(o.label(), 1L, Long::sum);
        if (!counts.isEmpty() && !ref.classCounts().isEmpty()) {
            out.put("class_js", StatTests.jensenShannon(StatTests.proportions(ref.countsOf(ref.classCounts()), 0),
                    StatTests.proportions(ref.countsOf(counts), 0)));
        }
        double[] conf = w.stream().mapToDouble(Observation::score).filter(v -> !Double.isNaN(v)).toArray();
        if (conf.length > 0 && ref.confidence().length > 0) out.put("confidence_ks", StatTests.ks(ref.confidence(), conf));
        if (ref.tokens().length > 0)
            out.put("length_ks", StatTests.ks(Arrays.stream(ref.tokens()).asDoubleStream().toArray(), w.stream().mapToDouble(Observation::tokens).toArray()));
        out.put("unknown_rate_delta", w.stream().filter(o -> o.unknown() > 0).count() / (double) w.size() - ref.unknownRate());
        out.put("truncation_rate_delta", w.stream().filter(Observation::truncated).count() / (double) w.size() - ref.truncationRate());
        if (ref.sketchDim() > 0) {
            double[] mean = new double[ref.sketchDim()];
            int k = 0;
            for (Observation o : w)
                if (o.sketch() != null && o.sketch().length == mean.length) {
                    for (int d = 0; d < mean.length; d++) mean[d] += o.sketch()[d];
                    k++;
                }
            if (k > 0) {
                for (int d = 0; d < mean.length; d++) mean[d] = mean[d] / k - ref.centroid()[d];
                out.put("embedding_mahalanobis", Math.sqrt(StatTests.mahalanobis2(mean, ref.covariance())));
            }
        }
        return Map.copyOf(out);
    }
}
