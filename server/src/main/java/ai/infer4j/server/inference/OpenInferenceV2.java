package ai.infer4j.server.inference;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Embedder;
import ai.infer4j.engine.task.PairTask;
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
    /** The version GET /v2 reports. */
    static final String SERVER_VERSION = "0.1.0";
    /** The platform v2 model metadata reports. */
    static final String PLATFORM = "onnxruntime_onnx";

    private final InferenceService svc;

    OpenInferenceV2(InferenceService svc) {
        this.svc = svc;
    }

    /** Server metadata: name, version, extensions. */
    void server(Exchange x) {
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("name", "infer4j").put("version", SERVER_VERSION);
        o.putArray("extensions");
        x.json(HttpResponseStatus.OK, o);
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

    /** A tensor of a model's v2 signature: name, datatype, shape (-1: any size). */
    record Tensor(String name, String datatype, long... shape) { }

    /** The input tensors: BYTES {@code text}, and {@code text_pair} for pair models. */
    static List<Tensor> inputs(Model m) {
        return m.task() instanceof PairTask ? List.of(new Tensor("text", "BYTES", -1), new Tensor("text_pair", "BYTES", -1))
                : List.of(new Tensor("text", "BYTES", -1));
    }

    /** The output tensors: FP32 {@code embedding} [n, width] for embedding models, else BYTES {@code label} and FP32 {@code score}. */
    static List<Tensor> outputs(Model m) {
        return m.task() instanceof Embedder ? List.of(new Tensor("embedding", "FP32", -1, m.backbone().signature().width()))
                : List.of(new Tensor("label", "BYTES", -1), new Tensor("score", "FP32", -1));
    }

    void metadata(Exchange x) {
        Model m = svc.registry.resolve(x.var("model"), x.var("version")).model();
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("name", x.var("model")).put("platform", PLATFORM);
        o.putArray("versions").add(m.version());
        tensors(o.putArray("inputs"), inputs(m));
        tensors(o.putArray("outputs"), outputs(m));
        x.json(HttpResponseStatus.OK, o);
    }

    private static void tensors(ArrayNode arr, List<Tensor> tensors) {
        for (Tensor t : tensors) {
            ArrayNode shape = arr.addObject().put("name", t.name()).put("datatype", t.datatype()).putArray("shape");
            for (long d : t.shape()) shape.add(d);
        }
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
            int dim = first.vector().length;
            e.putArray("shape").add(n).add(dim);
            float[] data = new float[n * dim];
            for (int i = 0; i < n; i++) System.arraycopy(answers.get(i).vector(), 0, data, i * dim, dim);
            e.set("data", HttpSupport.floats(data));
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
