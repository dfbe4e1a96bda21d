package ai.infer4j.server.inference;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.OverloadedException;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.management.ModelRegistry.Served;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.Map;

/**
 * KServe Open Inference Protocol v2: health, model metadata and readiness, and {@code infer} with a
 * BYTES input tensor of texts. Outputs: {@code label} (BYTES) and {@code score} (FP32) for
 * classifiers, {@code embedding} (FP32, [n, dim]) for embedding models.
 */
final class KServeRoutes {
    private KServeRoutes() {
    }

    static void route(InferenceService svc, ChannelHandlerContext ctx, FullHttpRequest req, String[] seg, long start, boolean keepAlive) {
        String path = "/" + String.join("/", seg);
        HttpMethod method = req.method();
        if (seg.length == 3 && seg[1].equals("health") && (seg[2].equals("live") || seg[2].equals("ready"))) {
            if (!method.equals(HttpMethod.GET)) {
                InferenceHandler.methodNotAllowed(ctx, method, path, "GET", keepAlive);
                return;
            }
            boolean ready = seg[2].equals("live") || (!svc.draining() && !svc.registry.names().isEmpty());
            HttpSupport.send(ctx, ready ? HttpSupport.json(HttpResponseStatus.OK, Map.of(seg[2], true))
                    : HttpSupport.error(503, "NotReady", "server is not ready"), keepAlive);
            return;
        }
        // /v2/models/{m}[/versions/{v}][/ready|/infer]
        if (seg.length >= 3 && seg[1].equals("models")) {
            String name = seg[2];
            int i = 3;
            String version = null;
            if (seg.length >= 5 && seg[3].equals("versions")) {
                version = seg[4];
                i = 5;
            }
            String action = seg.length == i ? "" : seg.length == i + 1 ? seg[i] : null;
            if ("".equals(action) || "ready".equals(action)) {
                if (!method.equals(HttpMethod.GET)) {
                    InferenceHandler.methodNotAllowed(ctx, method, path, "GET", keepAlive);
                    return;
                }
                Served s = svc.registry.resolve(name, version);
                HttpSupport.send(ctx, action.isEmpty() ? HttpSupport.json(HttpResponseStatus.OK, metadata(name, s))
                        : HttpSupport.json(HttpResponseStatus.OK, Map.of("name", name, "ready", true)), keepAlive);
                return;
            }
            if ("infer".equals(action)) {
                if (!method.equals(HttpMethod.POST)) {
                    InferenceHandler.methodNotAllowed(ctx, method, path, "POST", keepAlive);
                    return;
                }
                infer(svc, ctx, req, name, version, start, keepAlive);
                return;
            }
        }
        HttpSupport.send(ctx, HttpSupport.error(404, "NotFound", "no endpoint " + method + " " + path), keepAlive);
    }

    private static void infer(InferenceService svc, ChannelHandlerContext ctx, FullHttpRequest req, String name, String version,
                              long start, boolean keepAlive) {
        if (svc.draining()) throw new OverloadedException("server is shutting down; retry on another instance");
        Served served = svc.registry.resolve(name, version);
        byte[] body = ByteBufUtil.getBytes(req.content());
        var parsed = RequestBodies.kserve(body, InferenceService.MAX_INPUTS_PER_REQUEST);
        String id = RequestBodies.readJson(new String(body, java.nio.charset.StandardCharsets.UTF_8)).path("id").asText(null);
        Model m = served.model();
        var handler = (InferenceHandler) ctx.handler();
        var answered = Predictor.predict(served, parsed.inputs(), svc.config.responseTimeout()); // throws at once for bad input
        svc.admitted();
        answered.whenComplete((answers, err) -> {
            FullHttpResponse r = err != null ? HttpSupport.error(err, "model " + name + " v" + m.version())
                    : HttpSupport.json(HttpResponseStatus.OK, inferResponse(name, m, id, answers));
            handler.finish(ctx, r, name, m.version(), start, keepAlive, true);
        });
    }

    private static ObjectNode inferResponse(String name, Model m, String id, List<Predictor.Answer> answers) {
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("model_name", name).put("model_version", m.version());
        if (id != null) o.put("id", id);
        ArrayNode outputs = o.putArray("outputs");
        int n = answers.size();
        if (m.task() == Model.Task.EMBED) {
            int dim = answers.get(0).embedding().length;
            ObjectNode e = outputs.addObject().put("name", "embedding").put("datatype", "FP32");
            e.putArray("shape").add(n).add(dim);
            ArrayNode data = e.putArray("data");
            for (var a : answers) for (float v : a.embedding()) data.add(v);
        } else {
            ObjectNode labels = outputs.addObject().put("name", "label").put("datatype", "BYTES");
            labels.putArray("shape").add(n);
            ObjectNode scores = outputs.addObject().put("name", "score").put("datatype", "FP32");
            scores.putArray("shape").add(n);
            ArrayNode ld = labels.putArray("data"), sd = scores.putArray("data");
            for (var a : answers) {
                ld.add(a.prediction().label());
                sd.add((float) a.prediction().score());
            }
        }
        return o;
    }

    private static ObjectNode metadata(String name, Served s) {
        Model m = s.model();
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("name", name).put("platform", "onnxruntime_onnx");
        o.putArray("versions").add(m.version());
        ObjectNode in = o.putArray("inputs").addObject().put("name", "text").put("datatype", "BYTES");
        in.putArray("shape").add(-1);
        ArrayNode outs = o.putArray("outputs");
        if (m.task() == Model.Task.EMBED) {
            ObjectNode e = outs.addObject().put("name", "embedding").put("datatype", "FP32");
            e.putArray("shape").add(-1).add(m.backbone().signature().width());
        } else {
            outs.addObject().put("name", "label").put("datatype", "BYTES").putArray("shape").add(-1);
            outs.addObject().put("name", "score").put("datatype", "FP32").putArray("shape").add(-1);
        }
        return o;
    }
}
