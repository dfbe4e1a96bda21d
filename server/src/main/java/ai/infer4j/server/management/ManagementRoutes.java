package ai.infer4j.server.management;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.server.ServerConfig;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.http.Routes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

/**
 * TorchServe's management API as a route table: list, describe, register, scale, set default version, unregister.
 * Every route runs on the management executor (loading a model takes a second), never on an I/O thread.
 */
public final class ManagementRoutes {
    private final ModelRegistry registry;
    private final ServerConfig config;
    private final ModelSources sources;

    private ManagementRoutes(ModelRegistry registry, ServerConfig config, java.nio.file.Path downloadDir) {
        this.registry = registry;
        this.config = config;
        this.sources = new ModelSources(config.modelStore(), config.allowedUrls(), downloadDir);
    }

    public static Routes table(ModelRegistry registry, ServerConfig config, java.nio.file.Path downloadDir, ExecutorService executor) {
        ManagementRoutes m = new ManagementRoutes(registry, config, downloadDir);
        Routes.Handler describe = Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.describe(x.var("model"), x.var("version"))));
        Routes.Handler scale = Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.scale(x)));
        Routes.Handler unregister = Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.unregister(x.var("model"), x.var("version"))));
        return new Routes("the management API lives under /models")
                .add(GET, "/models", Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.list())))
                .add(POST, "/models", Routes.on(executor, x -> x.json(HttpResponseStatus.OK, m.register(x.params()))))
                .add(GET, "/models/{model}", describe)
                .add(PUT, "/models/{model}", scale)
                .add(DELETE, "/models/{model}", unregister)
                .add(GET, "/models/{model}/{version}", describe)
                .add(PUT, "/models/{model}/{version}", scale)
                .add(DELETE, "/models/{model}/{version}", unregister)
                .add(PUT, "/models/{model}/{version}/set-default", Routes.on(executor, x -> {
                    registry.setDefault(x.var("model"), x.var("version"));
                    x.json(HttpResponseStatus.OK, status("Default version successfully updated for model \"" + x.var("model")
                            + "\" to \"" + x.var("version") + "\""));
                }));
    }

    private ObjectNode scale(Exchange x) {
        Map<String, List<String>> p = x.params();
        int workers = intParam(p, "min_worker", intParam(p, "max_worker", -1));
        if (workers < 0) throw new BadInputException("PUT /models/{name} needs min_worker=N");
        registry.scale(x.var("model"), x.var("version"), workers);
        return status("Workers of model \"" + x.var("model") + "\" set to " + workers);
    }

    private ObjectNode unregister(String name, String version) {
        registry.unregister(name, version);
        return status("Model \"" + name + "\"" + (version != null ? " version " + version : "") + " unregistered");
    }

    private ObjectNode register(Map<String, List<String>> p) {
        String ref = sources.resolve(param(p, "url"));
        String name = param(p, "model_name");
        BatchPolicy d = config.batch();
        BatchPolicy policy = new BatchPolicy(intParam(p, "batch_size", d.maxBatchSize()), d.maxBatchTokens(),
                p.containsKey("max_batch_delay") ? Duration.ofMillis(intParam(p, "max_batch_delay", 0)) : d.maxDelay(), d.queueCapacity());
        int workers = intParam(p, "initial_workers", config.workersPerModel());
        if (workers < 1 || workers > 64) throw new BadInputException("initial_workers must be 1..64, got " + workers);
        var s = registry.register(ref, name, workers, policy, config.responseTimeout());
        String served = name != null ? name : s.model().name();
        String shared = s.scheduler().policy().equals(policy) ? ""
                : "; it shares backbone " + s.model().backbone().label() + " with other models, so that backbone's batching is in force ("
                + s.scheduler().policy().describe() + "), not the one asked for (" + policy.describe() + ")";
        return status("Model \"" + served + "\" Version: " + s.model().version() + " registered with "
                + s.scheduler().workers() + " initial workers" + shared);
    }

    private ObjectNode list() {
        ObjectNode o = HttpSupport.JSON.createObjectNode();
        ArrayNode arr = o.putArray("models");
        for (String n : registry.names()) {
            var d = registry.resolve(n, null);
            arr.addObject().put("modelName", n).put("modelUrl", d.source()).put("status", "READY");
        }
        registry.failures().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> arr.addObject()
                .put("modelName", e.getKey()).put("modelUrl", e.getValue().source()).put("status", "FAILED")
                .put("error", e.getValue().error()).put("failedAt", e.getValue().at().toString()));
        return o;
    }

    private ArrayNode describe(String name, String version) {
        ArrayNode arr = HttpSupport.JSON.createArrayNode();
        var failed = registry.failures().get(name);
        if (failed != null && !registry.names().contains(name)) {
            arr.addObject().put("modelName", name).put("modelUrl", failed.source()).put("status", "FAILED")
                    .put("error", failed.error()).put("failedAt", failed.at().toString());
            return arr;
        }
        String dflt = registry.defaultVersion(name);
        var all = version == null ? registry.versions(name) : Map.of(version, registry.resolve(name, version));
        all.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            var s = e.getValue();
            Model model = s.model();
            BatchScheduler sch = s.scheduler();
            ObjectNode o = arr.addObject();
            o.put("modelName", name).put("modelVersion", e.getKey()).put("modelUrl", s.source())
                    .put("runtime", "onnxruntime").put("task", model.task().kind())
                    .put("backbone", model.backbone().id()).put("isDefault", e.getKey().equals(dflt))
                    .put("status", "READY").put("loadedAt", s.loadedAt().toString())
                    .put("minWorkers", sch.workers()).put("maxWorkers", sch.workers())
                    .put("batchSize", sch.policy().maxBatchSize()).put("maxBatchDelay", sch.policy().maxDelay().toMillis())
                    .put("maxBatchTokens", sch.policy().maxBatchTokens()).put("queueCapacity", sch.policy().queueCapacity())
                    .put("queueDepth", sch.queueDepth());
            ArrayNode workers = o.putArray("workers");
            for (int i = 0; i < sch.workers(); i++) workers.addObject().put("id", i).put("status", "READY");
            if (!model.labels().isEmpty()) o.put("labels", model.labels().size());
        });
        return arr;
    }

    private static ObjectNode status(String s) {
        return HttpSupport.JSON.createObjectNode().put("status", s);
    }

    private static String param(Map<String, List<String>> p, String k) {
        List<String> v = p.get(k);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int intParam(Map<String, List<String>> p, String k, int dflt) {
        String v = param(p, k);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new BadInputException("parameter '" + k + "' must be an integer, got '" + v + "'");
        }
    }
}
