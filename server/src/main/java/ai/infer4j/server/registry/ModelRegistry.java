package ai.infer4j.server.registry;

import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelConflictException;
import ai.infer4j.engine.error.ModelNotFoundException;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.server.metrics.ServerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

/**
 * The models being served: name → versions → loaded model, one default version per name, and one
 * batching scheduler per backbone shared by every model on it. Lookups are lock-free; changes
 * (register, set default, scale, unregister) are serialised.
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    private static final List<String> WARM_UP = List.of("warm up", "warm up the model with a slightly longer sentence");

    /** A model that failed to load: where from, why, when. */
    public record Failure(String source, String error, Instant at) { }

    /** One loaded version. */
    public record Served(Model model, BatchScheduler scheduler, String source, Instant loadedAt) { }

    private static final class Versions {
        final ConcurrentSkipListMap<String, Served> byVersion = new ConcurrentSkipListMap<>();
        volatile String defaultVersion;
    }

    private final Engine engine;
    private final ServerMetrics metrics;
    private final Map<String, Versions> models = new ConcurrentHashMap<>();
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    private final Map<Backbone, Integer> users = new IdentityHashMap<>();
    private final Duration drain;

    public ModelRegistry(Engine engine, ServerMetrics metrics, Duration drain) {
        this.engine = engine;
        this.metrics = metrics;
        this.drain = drain;
    }

    /** The version to answer with: the named one, or the default. 404 if unknown. */
    public Served resolve(String name, String version) {
        Versions v = models.get(name);
        if (v == null) throw new ModelNotFoundException("model '" + name + "' is not registered; registered: " + models.keySet());
        String ver = version != null ? version : v.defaultVersion;
        Served s = ver == null ? null : v.byVersion.get(ver);
        if (s == null) throw new ModelNotFoundException("model '" + name + "' has no version '" + ver + "'; versions: " + v.byVersion.keySet());
        return s;
    }

    public List<String> names() {
        return models.keySet().stream().sorted().toList();
    }

    /** All versions of a model, ordered; 404 if unknown. */
    public Map<String, Served> versions(String name) {
        Versions v = models.get(name);
        if (v == null) throw new ModelNotFoundException("model '" + name + "' is not registered");
        return Map.copyOf(v.byVersion);
    }

    public String defaultVersion(String name) {
        Versions v = models.get(name);
        return v == null ? null : v.defaultVersion;
    }

    /**
     * Loads {@code ref}, warms it up through its scheduler and adds it. The first version of a name
     * becomes its default; later versions take traffic only after {@link #setDefault}.
     *
     * @param name    name to serve under, or null for the model's own name
     * @param workers worker threads for the backbone's scheduler if this creates it (else ignored)
     */
    public synchronized Served register(String ref, String name, int workers, BatchPolicy policy, Duration timeout) {
        String key = name != null ? name : ref;
        try {
            Served s = load(ref, name, workers, policy, timeout);
            failures.remove(key);
            return s;
        } catch (ModelConflictException e) {
            throw e; // a refusal, not a load failure: the live version keeps serving and is not listed as FAILED
        } catch (RuntimeException e) {
            failures.put(key, new Failure(ref, e.getMessage(), Instant.now()));
            metrics.loadFailed(key);
            log.error("model {} from {} failed to load: {}", key, ref, e.getMessage());
            throw e;
        }
    }

    /** Models that failed to load (by requested name, or by reference when no name was given) and have not loaded since. */
    public Map<String, Failure> failures() {
        return Map.copyOf(failures);
    }

    private Served load(String ref, String name, int workers, BatchPolicy policy, Duration timeout) {
        Model m = engine.load(ref);
        String served = name != null ? name : m.name();
        if (!served.matches("[A-Za-z0-9_.-]{1,64}")) throw new BadInputException("model name must match [A-Za-z0-9_.-]{1,64}, got '" + served + "'");
        Versions v = models.get(served);
        if (v != null && v.byVersion.containsKey(m.version()))
            throw new ModelConflictException("model '" + served + "' version '" + m.version() + "' is already registered; unregister it first");
        BatchScheduler scheduler = schedulerFor(m.backbone(), workers, policy);
        Served s = new Served(m, scheduler, ref, Instant.now());
        try {
            warmUp(s, timeout);
        } catch (RuntimeException e) {
            releaseBackbone(m.backbone());
            throw e;
        }
        Versions vs = models.computeIfAbsent(served, k -> new Versions());
        vs.byVersion.put(m.version(), s);
        if (vs.defaultVersion == null) vs.defaultVersion = m.version();
        log.info("registered {} v{} from {} (backbone {}, {} workers)", served, m.version(), ref, m.backbone().id(), scheduler.workers());
        return s;
    }

    /** Runs a few requests through the same path as live traffic, so the first real one does not pay ORT's lazy set-up. */
    private void warmUp(Served s, Duration timeout) {
        Model m = s.model();
        for (String text : WARM_UP) {
            Request r = m.task() instanceof PairTask ? Request.ofInputs(List.of(new TextInput(text, text))) : Request.of(text);
            try {
                engine.submit(m, r, timeout).get(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("warm-up of " + m + " failed: " + e.getMessage(), e);
            }
        }
    }

    public synchronized void setDefault(String name, String version) {
        Versions v = models.get(name);
        if (v == null) throw new ModelNotFoundException("model '" + name + "' is not registered");
        if (!v.byVersion.containsKey(version))
            throw new ModelNotFoundException("model '" + name + "' has no version '" + version + "'; versions: " + v.byVersion.keySet());
        v.defaultVersion = version;
        log.info("default version of {} is now {}", name, version);
    }

    /**
     * Sets the worker count of the backbone that serves this model (shared by its other models). 0 (TorchServe's
     * scale to zero) keeps one worker thread: an idle worker sleeps on the queue and costs no CPU, and the model
     * keeps answering instead of failing every request.
     */
    public synchronized void scale(String name, String version, int workers) {
        if (workers < 0 || workers > 64) throw new BadInputException("min_worker must be 0..64, got " + workers);
        resolve(name, version).scheduler().scale(Math.max(1, workers));
    }

    /**
     * Removes one version (or all when {@code version} is null). The default version cannot be removed
     * while other versions exist. In-flight requests finish; a backbone no model uses is drained and closed.
     */
    public synchronized void unregister(String name, String version) {
        Versions v = models.get(name);
        if (v == null) throw new ModelNotFoundException("model '" + name + "' is not registered");
        List<String> gone = version == null ? new ArrayList<>(v.byVersion.keySet()) : List.of(version);
        if (version != null) {
            if (!v.byVersion.containsKey(version)) throw new ModelNotFoundException("model '" + name + "' has no version '" + version + "'");
            if (version.equals(v.defaultVersion) && v.byVersion.size() > 1)
                throw new ModelConflictException("version '" + version + "' is the default of '" + name + "'; set another default first");
        }
        for (String ver : gone) {
            Served s = v.byVersion.remove(ver);
            releaseBackbone(s.model().backbone());
            log.info("unregistered {} v{}", name, ver);
        }
        if (v.byVersion.isEmpty()) models.remove(name);
    }

    /** The backbone's scheduler (the engine's, shared by every model on it), counting this model as a user. */
    private BatchScheduler schedulerFor(Backbone bb, int workers, BatchPolicy policy) {
        BatchScheduler s = engine.batching(bb, policy, workers, metrics.listenerFor(bb.label()), BatchScheduler.Drain.CALLERS);
        if (users.merge(bb, 1, Integer::sum) == 1) metrics.track(bb.label(), s);
        return s;
    }

    private void releaseBackbone(Backbone bb) {
        int left = users.merge(bb, -1, Integer::sum);
        if (left > 0) return;
        users.remove(bb);
        metrics.untrack(bb.label());
        engine.release(bb, drain);
    }

    /** Stops every scheduler (draining queued work up to the drain time) and closes the backbones. */
    @Override
    public synchronized void close() {
        for (Backbone bb : users.keySet()) engine.release(bb, drain);
        users.clear();
        models.clear();
    }
}
