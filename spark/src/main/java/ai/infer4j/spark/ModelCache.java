package ai.infer4j.spark;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.Model;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): each is loaded once and
 * shared by every task the executor runs; engines close when the JVM exits.
 * <p>
 * This is the one place infer4j keeps static mutable state, on purpose: Spark gives a task nothing
 * that lives per executor, so a per-JVM holder is the only way to load a model once per executor
 * rather than once per partition. Safe for concurrent tasks.
 */
final class ModelCache {
    private static final Logger log = LoggerFactory.getLogger(ModelCache.class);
    private static final Map<String, Model> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, Engine> ENGINES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ModelCache::closeAll, "infer4j-model-cache-close"));
    }

    private ModelCache() {
    }

    /** The model for {@code options}, loaded on first use in this JVM. */
    static Model get(BatchOptions options) {
        EngineOptions eo = engineOptions(options);
        String engineKey = eo.toString();
        return MODELS.computeIfAbsent(engineKey + "|" + options.model(), k -> {
            long t0 = System.nanoTime();
            // the tokenizer library must not reach for the network on an executor either
            if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
            Engine engine = ENGINES.computeIfAbsent(engineKey, e -> Engine.create(eo));
            String ref = ModelShipping.resolve(options.model());
            Model m = engine.load(ref);
            LOADS.incrementAndGet();
            log.info("executor loaded model {} from {} in {} ms", m, ref, (System.nanoTime() - t0) / 1_000_000);
            return m;
        });
    }

    /** Models loaded in this JVM so far (each distinct model once). */
    static int loads() {
        return LOADS.get();
    }

    static EngineOptions engineOptions(BatchOptions o) {
        EngineOptions eo = EngineOptions.defaults().withIntraOpThreads(o.intraOpThreads()).withMaxLength(o.maxLength());
        return o.cacheDir() == null ? eo : eo.withCacheDir(Path.of(o.cacheDir()));
    }

    private static void closeAll() {
        MODELS.clear();
        ENGINES.values().forEach(Engine::close);
        ENGINES.clear();
    }
}
