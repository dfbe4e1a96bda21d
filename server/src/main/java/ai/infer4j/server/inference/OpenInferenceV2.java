package ai.infer4j.server.inference;

import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Embedder;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.Map;

/**
 * KServe Open Inference Protocol v2 over REST: health, model metadata and readiness, and {@code infer} with a BYTES
 * tensor {@code text} (and {@code text_pair} for pair models). Outputs: {@code label} (BYTES) and {@code score}
 * (FP32) for classifiers and pair models, {@code embedding} (FP32, [n, dim]) for embedding models.
 */
final class OpenInferenceV2 {
    private final InferenceService svc;

    OpenInferenceV2(InferenceService svc) {
        this.svc = svc;
    }

    void live(Exchange x) {
        x.json(HttpResponseStatus.OK, Map.of("live", true));
    }

    void ready(Exchange x) {
        boolean ready = !svc.draining() && !svc.registry.names().isEmpty();
        x.respond(ready ? HttpSupport.json(HttpResponseStatus.OK, Map.of("ready", true)) : HttpSupport.error(503, "NotReady", "server is not ready"));
    }

    void modelReady(Exchange x) {
        svc.registry.resolve(x.var("model"), x.var("version"));
        x.json(HttpResponseStatus.OK, Map.of("name", x.var("model"), "ready", true));
    }

    void metadata(Exchange x) {
        Model m = svc.registry.resolve(x.var("model"), x.var("version")).model();
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("name", x.var("model")).put("platform", "onnxruntime_onnx");
        o.putArray("versions").add(m.version());
        ArrayNode ins = o.putArray("inputs");
        ins.addObject().put("name", "text").put("datatype", "BYTES").putArray("shape").add(-1);
        if (m.task() instanceof PairTask) ins.addObject().put("name", "text_pair").put("datatype", "BYTES").putArray("shape").add(-1);
        ArrayNode outs = o.putArray("outputs");
        if (m.task() instanceof Embedder) {
            outs.addObject().put("name", "embedding").put("datatype", "FP32").putArray("shape").add(-1).add(m.backbone().signature().width());
        } else {
            outs.addObject().put("name", "label").put("datatype", "BYTES").putArray("shape").add(-1);
            outs.addObject().put("name", "score").put("datatype", "FP32").putArray("shape").add(-1);
        }
        x.json(HttpResponseStatus.OK, o);
    }

    void infer(Exchange x) {
        String name = x.var("model"), version = x.var("version");
        x.about(name, version);
        JsonNode root = RequestBodies.readJson(x.body());
        var parsed = RequestBodies.kserve(root, InferenceService.MAX_INPUTS_PER_REQUEST);
        String id = root.path("id").asText(null);
        svc.predict(x, name, version, parsed.request(), answers -> response(x, id, answers));
    }

    private static ObjectNode response(Exchange x, String id, List<Answer> answers) {
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("model_name", x.model()).put("model_version", x.version());
        if (id != null) o.put("id", id);
        ArrayNode outputs = o.putArray("outputs");
        int n = answers.size();
        if (answers.get(0) instanceof Answer.Embedded first) {
            ObjectNode e = outputs.addObject().put("name", "embedding").put("datatype", "FP32");
            e.putArray("shape").add(n).add(first.vector().length);
            ArrayNode data = e.putArray("data");
            for (Answer a : answers) for (float v : a.vector()) data.add(v);
            return o;
        }
        ObjectNode labels = outputs.addObject().put("name", "label").put("datatype", "BYTES");
        labels.putArray("shape").add(n);
        ObjectNode scores = outputs.addObject().put("name", "score").put("datatype", "FP32");
        scores.putArray("shape").add(n);
        ArrayNode ld = labels.putArray("data"), sd = scores.putArray("data");
        for (Answer a : answers) {
            var p = CaptureHook.prediction(a);
            ld.add(p.label());
            sd.add((float) (a instanceof Answer.Matched m ? m.score().score() : p.score()));
        }
        return o;
    }
}
