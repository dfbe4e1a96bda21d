package ai.infer4j.server.management;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelNotFoundException;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.server.config.ServerConfig;
import ai.infer4j.server.http.ApiDescription;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.http.Routes;
import ai.infer4j.server.registry.ModelRegistry;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

/**
 * TorchServe's management API as a route table: list (paginated), describe (default, one or {@code all} versions),
 * register, scale (202 unless {@code synchronous=true}), set default version, unregister, and the OpenAPI description
 * ({@code OPTIONS /}). Every model route runs on the management executor (loading a model takes a second), never on an
 * I/O thread. Where infer4j answers differently from TorchServe on purpose, docs/compat.md says so.
 */
public final class ManagementRoutes {
    /** TorchServe's page size when {@code limit} is absent, negative or above it. */
    static final int MAX_PAGE = 100;
    /** Runtimes a TorchServe client may name; every model runs on ONNX Runtime, so they only pass validation. */
    static final Set<String> RUNTIMES = Set.of("python", "python2", "python3", "onnx", "onnxruntime");
    private static final int MAX_WORKERS = 64;
    /** The batching parameters TorchServe's register call takes; the others come from the server's config. */
    private static final Set<String> REGISTER_BATCH_KEYS = Set.of("batch_size", "max_batch_delay");

    /** The worker range asked for a version (TorchServe's minWorkers / maxWorkers); the backbone runs max(1, min) threads. */
    private record Range(int min, int max) { }

    private final ModelRegistry registry;
    private final ServerConfig config;
    private final ModelSources sources;
    private final Map<String, Range> ranges = new ConcurrentHashMap<>();

    private ManagementRoutes(ModelRegistry registry, ServerConfig config, Path downloadDir) {
        this.registry = registry;
        this.config = config;
        this.sources = new ModelSources(config.models().store(), config.security().allowedUrls(), downloadDir);
    }

    public static Routes table(ModelRegistry registry, ServerConfig config, Path downloadDir, ExecutorService executor) {
        ManagementRoutes m = new ManagementRoutes(registry, config, downloadDir);
        Routes.Handler describe = Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.describe(x.var("model"), x.var("version"))));
        Routes.Handler scale = Routes.on(executor, m::scale);
        Routes.Handler unregister = Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.unregister(x.var("model"), x.var("version"))));
        Routes.Handler openApi = x -> x.respond(ApiDescription.management());
        return new Routes("the management API lives under /models")
                .add(HttpMethod.OPTIONS, "/", openApi)
                .add(GET, "/api-description", openApi)
                .add(GET, "/models", Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.list(x))))
                .add(POST, "/models", Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.register(x))))
                .add(GET, "/models/{model}", describe)
                .add(PUT, "/models/{model}", scale)
                .add(DELETE, "/models/{model}", unregister)
                .add(GET, "/models/{model}/all", Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.describeAll(x.var("model")))))
                .add(GET, "/models/{model}/{version}", describe)
                .add(PUT, "/models/{model}/{version}", scale)
                .add(DELETE, "/models/{model}/{version}", unregister)
                .add(PUT, "/models/{model}/{version}/set-default", Routes.on(executor, x -> {
                    registry.setDefault(x.var("model"), x.var("version"));
                    x.json(HttpResponseStatus.OK, status("Default version successfully updated for model \"" + x.var("model")
                            + "\" to \"" + x.var("version") + "\""));
                }));
    }

    /**
     * TorchServe's scale workers: {@code min_worker} (default 1), {@code max_worker} (default min_worker), refused when
     * min &gt; max; {@code min_worker=0} is accepted (one idle worker stays, see {@link ModelRegistry#scale}).
     * Without either parameter (only {@code number_gpu}, {@code timeout}, or nothing) there is nothing to change: 202.
     * Answers 200 with {@code synchronous=true}, else 202 (the change is already in force either way).
     */
    private void scale(Exchange x) {
        Map<String, List<String>> p = x.params();
        String name = x.var("model"), version = x.var("version");
        var served = registry.resolve(name, version); // 404 first, as TorchServe
        boolean sync = "true".equalsIgnoreCase(param(p, "synchronous"));
        intParam(p, "number_gpu", 0); // validated, ignored: ONNX Runtime runs on the CPU here
        intParam(p, "timeout", -1);
        if (!p.containsKey("min_worker") && !p.containsKey("max_worker")) {
            x.json(sync ? HttpResponseStatus.OK : HttpResponseStatus.ACCEPTED, status(sync ? "No worker change asked for model: " + name
                    : "Processing worker updates..."));
            return;
        }
        int min = intParam(p, "min_worker", 1);
        int max = intParam(p, "max_worker", min);
        if (min < 0) throw new BadInputException("min_worker must be >= 0, got " + min);
        if (max < 0) throw new BadInputException("max_worker must be >= 0, got " + max);
        if (min > max) throw new BadInputException("min_worker (" + min + ") must not exceed max_worker (" + max + ")");
        if (max > MAX_WORKERS) throw new BadInputException("max_worker must be <= " + MAX_WORKERS + ", got " + max);
        String ver = served.model().version();
        registry.scale(name, ver, min);
        ranges.put(key(name, ver), new Range(min, max));
        if (sync) x.json(HttpResponseStatus.OK, status("Workers scaled to " + min + " for model: " + name + (version != null ? ", version: " + version : "")));
        else x.json(HttpResponseStatus.ACCEPTED, status("Processing worker updates..."));
    }

    private ObjectNode unregister(String name, String version) {
        List<String> gone = version == null ? new ArrayList<>(registry.versions(name).keySet()) : List.of(version);
        registry.unregister(name, version);
        gone.forEach(v -> ranges.remove(key(name, v)));
        return status("Model \"" + name + "\"" + (version != null ? " version " + version : "") + " unregistered");
    }

    private ObjectNode register(Exchange x) {
        Map<String, List<String>> p = x.params();
        String url = param(p, "url");
        if (url != null && url.isBlank())
            throw new ModelNotFoundException("parameter 'url' is empty; name a .mar in the model store, a path, or a built-in model");
        String runtime = param(p, "runtime");
        if (runtime != null && !RUNTIMES.contains(runtime.toLowerCase(Locale.ROOT)))
            throw new BadInputException("unknown runtime '" + runtime + "'; infer4j runs every model on ONNX Runtime: omit runtime, or use one of "
                    + RUNTIMES.stream().sorted().toList());
        intParam(p, "response_timeout", 0); // validated; default_response_timeout applies to every model
        intParam(p, "startup_timeout", 0);
        String ref = sources.resolve(url);
        String name = param(p, "model_name");
        BatchPolicy policy;
        try {
            policy = config.workers().batch().withKeys(k -> REGISTER_BATCH_KEYS.contains(k) ? nonEmpty(param(p, k)) : null);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("parameter " + e.getMessage());
        }
        int asked = intParam(p, "initial_workers", config.workers().perModel());
        if (asked < 0 || asked > MAX_WORKERS) throw new BadInputException("initial_workers must be 0.." + MAX_WORKERS + ", got " + asked);
        var s = registry.register(ref, name, Math.max(1, asked), policy, config.limits().responseTimeout());
        String served = name != null ? name : s.model().name();
        ranges.put(key(served, s.model().version()), new Range(asked, Math.max(1, asked)));
        String shared = s.scheduler().policy().equals(policy) ? ""
                : "; it shares backbone " + s.model().backbone().label() + " with other models, so that backbone's batching is in force ("
                + s.scheduler().policy().describe() + "), not the one asked for (" + policy.describe() + ")";
        return status("Model \"" + served + "\" Version: " + s.model().version() + " registered with "
                + s.scheduler().workers() + " initial workers" + shared);
    }

    /** TorchServe's list: the default version of each model, {@code limit} per page (default and most 100), {@code nextPageToken} while more remain. */
    private ObjectNode list(Exchange x) {
        Map<String, List<String>> p = x.params();
        int limit = intParam(p, "limit", MAX_PAGE);
        if (limit < 0 || limit > MAX_PAGE) limit = MAX_PAGE; // as TorchServe
        int from = Math.max(0, intParam(p, "next_page_token", 0));
        List<ObjectNode> all = new ArrayList<>();
        for (String n : registry.names()) {
            var d = registry.resolve(n, null);
            all.add(HttpSupport.JSON.createObjectNode().put("modelName", n).put("modelUrl", d.source()).put("status", "READY"));
        }
        registry.failures().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .filter(e -> !registry.names().contains(e.getKey()))
                .forEach(e -> all.add(HttpSupport.JSON.createObjectNode()
                        .put("modelName", e.getKey()).put("modelUrl", e.getValue().source()).put("status", "FAILED")
                        .put("error", e.getValue().error()).put("failedAt", e.getValue().at().toString())));
        ObjectNode o = HttpSupport.JSON.createObjectNode();
        int to = (int) Math.min(all.size(), (long) from + limit);
        if (to < all.size()) o.put("nextPageToken", Integer.toString(to));
        ArrayNode arr = o.putArray("models");
        for (int i = from; i < to; i++) arr.add(all.get(i));
        return o;
    }

    /** The default version (or the named one); a model that only failed to load is described as FAILED. */
    private ArrayNode describe(String name, String version) {
        ArrayNode arr = HttpSupport.JSON.createArrayNode();
        var failed = registry.failures().get(name);
        if (version == null && failed != null && !registry.names().contains(name)) {
            arr.addObject().put("modelName", name).put("modelUrl", failed.source()).put("status", "FAILED")
                    .put("error", failed.error()).put("failedAt", failed.at().toString());
            return arr;
        }
        var s = registry.resolve(name, version);
        describe(arr, name, s.model().version(), s);
        return arr;
    }

    private ArrayNode describeAll(String name) {
        ArrayNode arr = HttpSupport.JSON.createArrayNode();
        registry.versions(name).entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> describe(arr, name, e.getKey(), e.getValue()));
        return arr;
    }

    private void describe(ArrayNode arr, String name, String version, ModelRegistry.Served s) {
        Model model = s.model();
        BatchScheduler sch = s.scheduler();
        Range r = ranges.getOrDefault(key(name, version), new Range(sch.workers(), sch.workers()));
        ObjectNode o = arr.addObject();
        o.put("modelName", name).put("modelVersion", version).put("modelUrl", s.source())
                .put("engine", "onnxruntime").put("runtime", "onnxruntime").put("task", model.task().kind())
                .put("backbone", model.backbone().id()).put("isDefault", version.equals(registry.defaultVersion(name)))
                .put("status", "READY").put("loadedAt", s.loadedAt().toString()).put("loadedAtStartup", config.models().load().containsKey(name))
                .put("minWorkers", r.min()).put("maxWorkers", r.max())
                .put("batchSize", sch.policy().maxBatchSize()).put("maxBatchDelay", sch.policy().maxDelay().toMillis())
                .put("maxBatchTokens", sch.policy().maxBatchTokens()).put("queueCapacity", sch.policy().queueCapacity())
                .put("queueDepth", sch.queueDepth());
        ArrayNode workers = o.putArray("workers");
        long pid = ProcessHandle.current().pid();
        for (int i = 0; i < sch.workers(); i++)
            workers.addObject().put("id", Integer.toString(i)).put("startTime", s.loadedAt().toString()).put("status", "READY")
                    .put("memoryUsage", 0).put("pid", pid).put("gpu", false).put("gpuUsage", "N/A");
        o.putObject("jobQueueStatus").put("remainingCapacity", Math.max(0, sch.policy().queueCapacity() - sch.queueDepth()))
                .put("pendingRequests", sch.queueDepth());
        if (!model.labels().isEmpty()) o.put("labels", model.labels().size());
    }

    private static String key(String name, String version) {
        return name + "\u0000" + version;
    }

    private static ObjectNode status(String s) {
        return HttpSupport.JSON.createObjectNode().put("status", s);
    }

    private static String param(Map<String, List<String>> p, String k) {
        List<String> v = p.get(k);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static String nonEmpty(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    /** An integer parameter; absent or empty (TorchServe's clients send {@code limit=}) gives the default. */
    private static int intParam(Map<String, List<String>> p, String k, int dflt) {
        String v = param(p, k);
        if (v == null || v.isEmpty()) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BadInputException("parameter '" + k + "' must be an integer, got '" + v + "'");
        }
    }
}
