package ai.infer4j.server.inference;

import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.server.http.ApiDescription;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.http.Routes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;
import java.util.Map;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

/**
 * The inference listener's route table: TorchServe's {@code /predictions} and {@code /ping}, and KServe's Open
 * Inference Protocol v2 ({@link OpenInferenceV2}). Parsing happens on the I/O thread; the work goes through
 * {@link InferenceService#predict}; no route runs a forward pass itself.
 */
public final class InferenceRoutes {
    private static final int TOP_K = 5;

    private InferenceRoutes() {
    }

    public static Routes table(InferenceService svc) {
        OpenInferenceV2 v2 = new OpenInferenceV2(svc);
        Routes.Handler predictions = x -> predictions(svc, x);
        Routes routes = new Routes("use POST /predictions/{model}[/{version}], GET /ping, /v2/..., or TEI's /embed, /predict, /rerank, /similarity, /info, /v1/embeddings")
                .add(List.of(POST, PUT), "/predictions/{model}", predictions)
                .add(List.of(POST, PUT), "/predictions/{model}/{version}", predictions)
                .add(GET, "/ping", x -> x.respond(svc.draining() ? HttpSupport.error(503, "Unhealthy", "server is shutting down")
                        : HttpSupport.json(HttpResponseStatus.OK, Map.of("status", "Healthy"))))
                .add(HttpMethod.OPTIONS, "/", x -> x.respond(ApiDescription.inference()))
                .add(GET, "/api-description", x -> x.respond(ApiDescription.inference()))
                .add(List.of(POST, PUT), "/explanations/{model}", InferenceRoutes::explanations)
                .add(List.of(POST, PUT), "/explanations/{model}/{version}", InferenceRoutes::explanations)
                .add(GET, "/v2", v2::server)
                .add(GET, "/v2/health/live", v2::live)
                .add(GET, "/v2/health/ready", v2::ready)
                .add(GET, "/v2/models/{model}", v2::metadata)
                .add(GET, "/v2/models/{model}/versions/{version}", v2::metadata)
                .add(GET, "/v2/models/{model}/ready", v2::modelReady)
                .add(GET, "/v2/models/{model}/versions/{version}/ready", v2::modelReady)
                .add(POST, "/v2/models/{model}/infer", v2::infer)
                .add(POST, "/v2/models/{model}/versions/{version}/infer", v2::infer);
        TeiRoutes.addTo(routes, svc);
        return routes;
    }

    /** TorchServe's predictions: one input answers an object, a list of inputs a list; {@code ?heads=all} answers every head. */
    private static void predictions(InferenceService svc, Exchange x) {
        String name = x.var("model");
        x.about(name, x.var("version"));
        String ct = x.header(HttpHeaderNames.CONTENT_TYPE);
        var parsed = RequestBodies.isMultipart(ct) ? RequestBodies.multipart(x.request(), InferenceService.MAX_INPUTS_PER_REQUEST)
                : RequestBodies.parse(x.body(), ct, InferenceService.MAX_INPUTS_PER_REQUEST);
        if ("all".equals(x.param("heads"))) parsed = parsed.allHeads();
        boolean many = parsed.many();
        svc.predict(x, name, x.var("version"), parsed.request(), answers -> many ? list(answers) : answer(answers.get(0)));
    }

    /** TorchServe's explanations need Captum in a Python handler; infer4j has none, and says so plainly. */
    private static void explanations(Exchange x) {
        x.respond(HttpSupport.error(501, "NotImplemented", "explanations are not supported by infer4j; use POST /predictions/"
                + x.var("model") + " (add ?heads=all for every head's scores)"));
    }

    static ArrayNode list(List<Answer> answers) {
        ArrayNode a = HttpSupport.JSON.createArrayNode();
        for (Answer x : answers) a.add(answer(x));
        return a;
    }

    static ObjectNode answer(Answer x) {
        ObjectNode o = HttpSupport.JSON.createObjectNode();
        if (x instanceof Answer.Embedded e) {
            o.set("embedding", HttpSupport.floats(e.vector()));
        } else if (x instanceof Answer.Matched m) {
            o.put("label", m.prediction().label());
            o.put("score", m.score().score());
            o.put("duplicate", m.score().duplicate());
            o.put("threshold", m.score().threshold());
        } else if (x instanceof Answer.Classified c) {
            classification(o, c.prediction());
            if (c.heads() != null) {
                ObjectNode heads = o.putObject("heads");
                c.heads().forEach((head, p) -> classification(heads.putObject(head), p));
            }
        }
        if (x.truncated()) o.put("truncated", true);
        return o;
    }

    private static void classification(ObjectNode o, Prediction p) {
        o.put("label", p.label());
        o.put("score", p.score());
        ObjectNode scores = o.putObject("scores");
        p.top(TOP_K).forEach(scores::put);
    }
}
