package ai.infer4j.monitor.drift;

import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.capture.CaptureWriter;
import ai.infer4j.monitor.capture.EmbeddingSketch;
import ai.infer4j.monitor.capture.Observation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rolling drift gauges per model for the metrics endpoint ({@code infer4j_drift_score{model,signal}}), from the
 * same tests as {@code monitor check} ({@link DriftCheck#run}, one implementation). Fed by the capture writer
 * thread; each model's last {@code window} captured events are compared with its baseline, or, without one, with
 * the model's first {@code window} events. Checks run on one background thread ({@code infer4j-live-drift}), at
 * most one at a time, every {@code window / 20} events, and never more than a fifth of that thread's time (after a
 * check that took t, the next starts no sooner than 4t later), so neither requests nor the writer wait for them.
 *
 * <p>Gauges per model: {@code window_events} (events in the current window), {@code needed_events} (events a test
 * needs, {@code min_samples}), {@code judged} (1 when the window was large enough for at least one test, 0 when it is
 * too small to judge), {@code alarm} (1 when the drift family alarms), per drift signal {@code <signal>_judged} (1
 * judged, 0 too few events for that signal; absent when not applicable) and, for judged signals, its effect
 * ({@code class_distribution} JS, {@code confidence} and {@code input_length} KS D, rate deltas, {@code unfamiliarity}
 * mean-score increase, {@code embedding} MMD²), {@code <signal>_p_holm} and {@code <signal>_violation} (0/1).
 */
public final class LiveDrift implements CaptureWriter.Listener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveDrift.class);
    private final int window;
    private final Map<String, BaselineStatistics> baselines;
    private final Constraints constraints;
    private final Executor executor;
    private final ExecutorService own;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Double>> scores = new ConcurrentHashMap<>();

    private static final class State {
        final Observation[] ring;
        int next;
        long seen;
        volatile BaselineStatistics reference;
        final List<Observation> first = new ArrayList<>();
        final AtomicBoolean running = new AtomicBoolean();
        volatile long notBefore;

        State(int window, BaselineStatistics reference) {
            ring = new Observation[window];
            this.reference = reference;
        }
    }

    /** @param baselines per-model baseline statistics (models not in it use their first window) */
    public LiveDrift(int window, Map<String, BaselineStatistics> baselines) {
        this(window, baselines, Constraints.defaults(), null);
    }

    /**
     * {@code executor} null: a daemon thread of its own (closed by {@link #close}) with the 4t pause between checks;
     * a given executor (tests pass {@code Runnable::run}) runs every due check.
     */
    public LiveDrift(int window, Map<String, BaselineStatistics> baselines, Constraints constraints, Executor executor) {
        if (window < 10) throw new IllegalArgumentException("drift window must be >= 10 events, got " + window);
        this.window = window;
        this.baselines = Map.copyOf(baselines);
        this.constraints = constraints;
        this.own = executor != null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "infer4j-live-drift");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        this.executor = executor != null ? executor : own;
    }

    @Override
    public void observed(String model, String version, Observation o) {
        State s = states.computeIfAbsent(model, m -> new State(window, baselines.get(m)));
        if (s.reference == null) {
            s.first.add(o);
            scores.put(model, Map.of("window_events", 0.0, "judged", 0.0, "reference_events", (double) s.first.size()));
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
        if (s.seen % Math.max(1, window / 20) != 0) return;
        int k = (int) Math.min(s.seen, window);
        if (k < constraints.minSamples()) {
            scores.put(model, Map.of("window_events", (double) k, "judged", 0.0, "needed_events", (double) constraints.minSamples()));
            return;
        }
        if (System.nanoTime() < s.notBefore || !s.running.compareAndSet(false, true)) return;
        List<Observation> snapshot = new ArrayList<>(k);
        for (int i = 0; i < k; i++) snapshot.add(s.ring[Math.floorMod(s.next - k + i, window)]);
        BaselineStatistics ref = s.reference;
        try {
            executor.execute(() -> {
                long t0 = System.nanoTime();
                try {
                    scores.put(model, gauges(DriftCheck.run(ref, snapshot, constraints), constraints.minSamples()));
                } catch (RuntimeException e) {
                    LOG.warn("live drift check of {} failed: {}", model, e.toString());
                } finally {
                    long took = System.nanoTime() - t0;
                    if (own != null) s.notBefore = System.nanoTime() + 4 * took;
                    s.running.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            s.running.set(false);
        }
    }

    /** model → gauge → value; a model appears with its first captured event. */
    public Map<String, Map<String, Double>> scores() {
        return Map.copyOf(scores);
    }

    /** The gauges of one check (see the class comment). */
    static Map<String, Double> gauges(CheckResult r, int neededEvents) {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("window_events", (double) r.n());
        out.put("needed_events", (double) neededEvents);
        out.put("judged", r.drift().tested() > 0 ? 1.0 : 0.0);
        out.put("alarm", r.drift().alarm() ? 1.0 : 0.0);
        for (SignalResult s : r.signals()) {
            if (!DriftCheck.DRIFT_SIGNALS.contains(s.signal())) continue;
            // per signal: 1 judged, 0 too few events for it (e.g. captured without a novelty score); not applicable: absent
            if (s.status() == SignalResult.Status.INSUFFICIENT_DATA) out.put(s.signal() + "_judged", 0.0);
            if (!s.judged()) continue;
            out.put(s.signal() + "_judged", 1.0);
            out.put(s.signal(), s.value());
            out.put(s.signal() + "_p_holm", s.pAdjusted());
            out.put(s.signal() + "_violation", s.violated() ? 1.0 : 0.0);
            Double maha = s.extra().get("centroid_mahalanobis");
            if (maha != null) out.put("embedding_mahalanobis", maha);
        }
        return Map.copyOf(out);
    }

    @Override
    public void close() {
        if (own != null) own.shutdownNow();
    }

    @Override
    public String toString() {
        return "LiveDrift[window=" + window + ", models=" + Arrays.toString(states.keySet().toArray()) + "]";
    }
}
