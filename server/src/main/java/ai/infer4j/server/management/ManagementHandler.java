package ai.infer4j.server.management;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.server.ServerConfig;
import ai.infer4j.server.http.HttpSupport;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * TorchServe's management API: list, describe, register, scale, set default version, unregister.
 * Changes run on the management executor (loading a model takes a second), never on an I/O thread.
 */
public final class ManagementHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ModelRegistry registry;
    private final ServerConfig config;
    private final ModelSources sources;
    private final ExecutorService executor;

    public ManagementHandler(ModelRegistry registry, ServerConfig config, java.nio.file.Path downloadDir, ExecutorService executor) {
        this.registry = registry;
        this.config = config;
        this.sources = new ModelSources(config.modelStore(), config.allowedUrls(), downloadDir);
        this.executor = executor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String path = q.path();
        String[] seg = path.replaceAll("^/+|/+$", "").split("/+");
        HttpMethod m = req.method();
        Map<String, List<String>> params = q.parameters();
        if (!seg[0].equals("models") || seg.length > 4) {
            HttpSupport.send(ctx, HttpSupport.error(404, "NotFound", "no endpoint " + m + " " + path + "; the management API lives under /models"), keepAlive);
            return;
        }
        String name = seg.length >= 2 ? seg[1] : null;
        String version = seg.length >= 3 ? seg[2] : null;
        boolean setDefault = seg.length == 4 && seg[3].equals("set-default");
        if (seg.length == 4 && !setDefault) {
            HttpSupport.send(ctx, HttpSupport.error(404, "NotFound", "no endpoint " + m + " " + path), keepAlive);
            return;
        }
        String allowed = name == null ? "GET, POST" : setDefault ? "PUT" : "GET, PUT, DELETE";
        if (!allowed.contains(m.name())) {
            FullHttpResponse r = HttpSupport.error(405, "MethodNotAllowed", m + " is not allowed on " + path + "; use " + allowed);
            r.headers().set(HttpHeaderNames.ALLOW, allowed);
            HttpSupport.send(ctx, r, keepAlive);
            return;
        }
        executor.execute(() -> {
            FullHttpResponse r;
            try {
                r = handle(m, name, version, setDefault, params);
            } catch (RuntimeException e) {
                r = HttpSupport.error(e, "management " + m + " " + path);
            }
            HttpSupport.send(ctx, r, keepAlive);
        });
    }

    private FullHttpResponse handle(HttpMethod m, String name, String version, boolean setDefault, Map<String, List<String>> p) {
        if (name == null && m.equals(HttpMethod.GET)) return ok(list());
        if (name == null) return register(p);
        if (setDefault) {
            registry.setDefault(name, version);
            return ok(status("Default version successfully updated for model \"" + name + "\" to \"" + version + "\""));
        }
        if (m.equals(HttpMethod.GET)) return ok(describe(name, version));
        if (m.equals(HttpMethod.PUT)) {
            int workers = intParam(p, "min_worker", intParam(p, "max_worker", -1));
            if (workers < 0) throw new BadInputException("PUT /models/{name} needs min_worker=N");
            registry.scale(name, version, workers);
            return ok(status("Workers of model \"" + name + "\" set to " + workers));
        }
        registry.unregister(name, version);
        return ok(status("Model \"" + name + "\"" + (version != null ? " version " + version : "") + " unregistered"));
    }

    private FullHttpResponse register(Map<String, List<String>> p) {
        String ref = sources.resolve(param(p, "url"));
        String name = param(p, "model_name");
        BatchPolicy d = config.batch();
        BatchPolicy policy = new BatchPolicy(intParam(p, "batch_size", d.maxBatchSize()), d.maxBatchTokens(),
                p.containsKey("max_batch_delay") ? Duration.ofMillis(intParam(p, "max_batch_delay", 0)) : d.maxDelay(), d.queueCapacity());
        int workers = intParam(p, "initial_workers", config.workersPerModel());
        if (workers < 1 || workers > 64) throw new BadInputException("initial_workers must be 1..64, got " + workers);
        var s = registry.register(ref, name, workers, policy, config.responseTimeout());
        String served = name != null ? name : s.model().name();
        return ok(status("Model \"" + served + "\" Version: " + s.model().version() + " registered with "
                + s.scheduler().workers() + " initial workers"));
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
                    .put("runtime", "onnxruntime").put("task", model.task().name().toLowerCase())
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

    private static FullHttpResponse ok(Object body) {
        return HttpSupport.json(HttpResponseStatus.OK, body);
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

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException) && !(cause instanceof io.netty.handler.timeout.ReadTimeoutException)) org.slf4j.LoggerFactory.getLogger(ManagementHandler.class).warn("management connection failed: {}", cause.toString());
        ctx.close();
    }
}
