package ai.infer4j.server.inference;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.error.ModelNotFoundException;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.task.CrossEncoderPair;
import ai.infer4j.engine.task.Embedder;
import ai.infer4j.engine.task.PairTask;
import ai.infer4j.engine.task.Prediction;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.Task;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.HttpSupport;
import ai.infer4j.server.http.Routes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

/**
 * Text Embeddings Inference's routes ({@code /embed}, {@code /predict}, {@code /rerank}, {@code /similarity},
 * {@code /info}) and OpenAI's {@code POST /v1/embeddings}, on the inference port. TEI serves one model per process;
 * here each route picks a model: the one named ({@code ?model=} or the body's {@code "model"}), else the default of
 * the right task (see {@link #pick}). Every route goes through {@link InferenceService#predict}: same batching,
 * limits, errors, metrics and capture as {@code /predictions}.
 */
final class TeiRoutes {
    private final InferenceService svc;

    private TeiRoutes(InferenceService svc) {
        this.svc = svc;
    }

    static void addTo(Routes routes, InferenceService svc) {
        TeiRoutes t = new TeiRoutes(svc);
        routes.add(POST, "/embed", t::embed)
                .add(POST, "/predict", t::predict)
                .add(POST, "/rerank", t::rerank)
                .add(POST, "/similarity", t::similarity)
                .add(GET, "/info", t::info)
                .add(POST, "/v1/embeddings", t::openAiEmbeddings);
    }

    private static final Predicate<Task> EMBEDDER = t -> t instanceof Embedder;
    private static final Predicate<Task> CLASSIFIER = t -> t instanceof Classifier || t instanceof CrossEncoderPair;
    private static final Predicate<Task> PAIR = t -> t instanceof PairTask;

    /** The model a route uses and the name it is served under. */
    private record Chosen(String name, Model model) { }

    /**
     * The model a route uses: the one named, or else the default of its task: {@code intent} (the server's default
     * model) or {@code embed} when they fit, else the first fitting model by name. None loaded: 404 saying how to load one.
     */
    private Chosen pick(String named, Predicate<Task> fits, String what, String builtin) {
        if (named != null && !named.isBlank()) return new Chosen(named, svc.registry.resolve(named, null).model());
        List<String> names = new ArrayList<>(svc.registry.names());
        if (builtin != null && names.remove(builtin)) names.add(0, builtin);
        for (String n : names) {
            Model m = svc.registry.resolve(n, null).model();
            if (fits.test(m.task())) return new Chosen(n, m);
        }
        throw new ModelNotFoundException("no " + what + " model is loaded" + (builtin != null ? "; start with load_models=" + builtin + "=" + builtin
                + " (or register one: POST /models?url=" + builtin + " on the management API)" : "") + ", or name a model with ?model=NAME");
    }

    private Chosen embedder(String named) {
        Chosen c = pick(named, EMBEDDER, "embedding", "embed");
        if (!(c.model().task() instanceof Embedder))
            throw new BadInputException("model '" + c.name() + "' is a " + c.model().task().kind() + " model, not an embedding model");
        return c;
    }

    // --- POST /embed  {"inputs": str | [str], "normalize": true} -> [[float]]
    private void embed(Exchange x) {
        JsonNode root = RequestBodies.readJson(x.body());
        List<String> texts = texts(root.get("inputs"), "\"inputs\"");
        if (!root.path("normalize").asBoolean(true))
            throw new BadInputException("\"normalize\": false is not supported: infer4j's embeddings are always L2-normalised; omit it or send true");
        String named = x.param("model");
        Chosen c = embedder(named);
        checkDimensions(root.get("dimensions"), c.model());
        svc.predict(x, c.name(), null, Request.ofTexts(texts), answers -> {
            ArrayNode out = HttpSupport.JSON.createArrayNode();
            for (Answer a : answers) out.add(HttpSupport.floats(a.vector()));
            return out;
        });
    }

    // --- POST /v1/embeddings  {"input": str | [str], "model": name, "encoding_format": "float" | "base64"}
    private void openAiEmbeddings(Exchange x) {
        JsonNode root = RequestBodies.readJson(x.body());
        List<String> texts = texts(root.get("input"), "\"input\"");
        String format = root.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64"))
            throw new BadInputException("\"encoding_format\" must be \"float\" or \"base64\", got '" + format + "'");
        String named = root.hasNonNull("model") ? root.get("model").asText() : x.param("model");
        Chosen c = embedder(named);
        checkDimensions(root.get("dimensions"), c.model());
        String name = c.name();
        svc.predict(x, name, null, Request.ofTexts(texts), answers -> {
            ObjectNode o = HttpSupport.JSON.createObjectNode().put("object", "list");
            ArrayNode data = o.putArray("data");
            int tokens = 0;
            for (int i = 0; i < answers.size(); i++) {
                Answer a = answers.get(i);
                ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
                if (format.equals("base64")) e.put("embedding", base64(a.vector()));
                else e.set("embedding", HttpSupport.floats(a.vector()));
                tokens += a.tokens() == null ? 0 : a.tokens().length();
            }
            o.put("model", name);
            o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
            return o;
        });
    }

    // --- POST /predict  {"inputs": str | [str, str] (a pair) | [str | [str, str]]} -> [{"label","score"}] or a list of them
    private void predict(Exchange x) {
        JsonNode root = RequestBodies.readJson(x.body());
        if (root.path("raw_scores").asBoolean(false))
            throw new BadInputException("\"raw_scores\": true is not supported: infer4j answers softmax probabilities; omit it");
        JsonNode in = root.get("inputs");
        boolean many;
        List<TextInput> inputs = new ArrayList<>();
        if (in != null && in.isTextual()) {
            inputs.add(TextInput.of(in.asText()));
            many = false;
        } else if (isPair(in)) {
            inputs.add(new TextInput(in.get(0).asText(), in.get(1).asText()));
            many = false;
        } else if (in != null && in.isArray() && !in.isEmpty()) {
            for (int i = 0; i < in.size(); i++) {
                JsonNode n = in.get(i);
                if (n.isTextual()) inputs.add(TextInput.of(n.asText()));
                else if (isPair(n)) inputs.add(new TextInput(n.get(0).asText(), n.get(1).asText()));
                else throw new BadInputException("\"inputs\"[" + i + "] must be a string or a pair [\"text\", \"text_pair\"]");
            }
            many = true;
        } else {
            throw new BadInputException("send {\"inputs\": \"text\"}, {\"inputs\": [\"text\", \"text_pair\"]} or a list of those");
        }
        limit(inputs.size());
        String named = x.param("model");
        Chosen c = pick(named, CLASSIFIER, "classification", Engine.DEFAULT_MODEL);
        svc.predict(x, c.name(), null, Request.ofInputs(inputs), answers -> {
            ArrayNode out = HttpSupport.JSON.createArrayNode();
            for (Answer a : answers) {
                ArrayNode labels = many ? out.addArray() : out;
                Prediction p = CaptureHook.prediction(a);
                p.top(p.labels().size()).forEach((label, score) -> labels.addObject().put("label", label).put("score", score));
            }
            return out;
        });
    }

    // --- POST /rerank  {"query", "texts", "return_text"} -> [{"index", "score"[, "text"]}], best first
    private void rerank(Exchange x) {
        JsonNode root = RequestBodies.readJson(x.body());
        JsonNode q = root.get("query");
        if (q == null || !q.isTextual()) throw new BadInputException("\"query\" must be a string");
        List<String> texts = texts(root.get("texts"), "\"texts\"");
        if (root.path("raw_scores").asBoolean(false))
            throw new BadInputException("\"raw_scores\": true is not supported: infer4j answers scores in 0..1 (or cosine similarity); omit it");
        boolean returnText = root.path("return_text").asBoolean(false);
        String named = x.param("model");
        Chosen c = pick(named, t -> t instanceof CrossEncoderPair, "re-ranking", null, EMBEDDER);
        Model m = c.model();
        String name = c.name();
        if (m.task() instanceof Embedder) {
            limit(texts.size() + 1);
            List<String> all = new ArrayList<>(texts.size() + 1);
            all.add(q.asText());
            all.addAll(texts);
            svc.predict(x, name, null, Request.ofTexts(all), answers -> ranked(texts, returnText, cosines(answers)));
        } else if (PAIR.test(m.task())) {
            List<TextInput> pairs = new ArrayList<>(texts.size());
            for (String t : texts) pairs.add(new TextInput(q.asText(), t));
            svc.predict(x, name, null, Request.ofInputs(pairs), answers -> {
                double[] s = new double[answers.size()];
                for (int i = 0; i < s.length; i++) s[i] = answers.get(i) instanceof Answer.Matched mt ? mt.score().score() : CaptureHook.prediction(answers.get(i)).score();
                return ranked(texts, returnText, s);
            });
        } else {
            throw new BadInputException("model '" + name + "' is a " + m.task().kind() + " model; /rerank needs a pair (cross-encoder) or an embedding model");
        }
    }

    /** {@link #pick} with a fallback task when no model of the first one is loaded. */
    private Chosen pick(String named, Predicate<Task> first, String what, String builtin, Predicate<Task> fallback) {
        try {
            return pick(named, first, what, builtin);
        } catch (ModelNotFoundException e) {
            if (named != null && !named.isBlank()) throw e;
            return pick(null, fallback, what + " (cross-encoder) or embedding", "embed");
        }
    }

    // --- POST /similarity  {"inputs": {"source_sentence", "sentences"}} -> [float]
    private void similarity(Exchange x) {
        JsonNode in = RequestBodies.readJson(x.body()).path("inputs");
        JsonNode src = in.get("source_sentence");
        if (src == null || !src.isTextual())
            throw new BadInputException("send {\"inputs\": {\"source_sentence\": \"...\", \"sentences\": [\"...\"]}}");
        List<String> all = new ArrayList<>();
        all.add(src.asText());
        all.addAll(texts(in.get("sentences"), "\"inputs\".\"sentences\""));
        limit(all.size());
        String named = x.param("model");
        Chosen c = embedder(named);
        svc.predict(x, c.name(), null, Request.ofTexts(all), answers -> {
            ArrayNode out = HttpSupport.JSON.createArrayNode();
            for (double cos : cosines(answers)) out.add(cos);
            return out;
        });
    }

    // --- GET /info  the model a route would use: TEI's fields, for the default embedding model (else the default classifier)
    private void info(Exchange x) {
        String named = x.param("model");
        Chosen c;
        try {
            c = pick(named, EMBEDDER, "embedding", "embed");
        } catch (ModelNotFoundException e) {
            if (named != null && !named.isBlank()) throw e;
            c = pick(null, CLASSIFIER, "embedding or classification", Engine.DEFAULT_MODEL);
        }
        Model m = c.model();
        String name = c.name();
        var served = svc.registry.resolve(name, null);
        ObjectNode o = HttpSupport.JSON.createObjectNode().put("model_id", name).put("model_sha", m.version()).put("model_dtype", "float32");
        ObjectNode type = o.putObject("model_type");
        if (m.task() instanceof Embedder) {
            type.putObject("embedding").put("pooling", "mean");
        } else {
            ObjectNode kind = type.putObject(m.task() instanceof CrossEncoderPair ? "reranker" : "classifier");
            ObjectNode id2label = kind.putObject("id2label"), label2id = kind.putObject("label2id");
            List<String> labels = m.labels();
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(Integer.toString(i), labels.get(i));
                label2id.put(labels.get(i), i);
            }
        }
        var policy = served.scheduler().policy();
        o.put("max_concurrent_requests", policy.queueCapacity()).put("max_input_length", m.backbone().tokenizer().maxLength())
                .put("max_batch_tokens", policy.maxBatchTokens()).put("max_batch_requests", policy.maxBatchSize())
                .put("max_client_batch_size", InferenceService.MAX_INPUTS_PER_REQUEST).put("tokenization_workers", 0)
                .put("version", OpenInferenceV2.SERVER_VERSION);
        x.json(HttpResponseStatus.OK, o);
    }

    private static ArrayNode ranked(List<String> texts, boolean returnText, double[] scores) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) order.add(i);
        order.sort(Comparator.comparingDouble((Integer i) -> -scores[i]));
        ArrayNode out = HttpSupport.JSON.createArrayNode();
        for (int i : order) {
            ObjectNode r = out.addObject().put("index", i).put("score", (float) scores[i]);
            if (returnText) r.put("text", texts.get(i));
        }
        return out;
    }

    /** Cosine similarity of the first answer's vector with each other one (the vectors are L2-normalised: a dot product). */
    private static double[] cosines(List<Answer> answers) {
        float[] src = answers.get(0).vector();
        double[] out = new double[answers.size() - 1];
        for (int i = 1; i < answers.size(); i++) {
            float[] v = answers.get(i).vector();
            double dot = 0, a = 0, b = 0;
            for (int k = 0; k < v.length; k++) {
                dot += src[k] * v[k];
                a += src[k] * src[k];
                b += v[k] * v[k];
            }
            out[i - 1] = dot / Math.max(1e-12, Math.sqrt(a * b));
        }
        return out;
    }

    private static void checkDimensions(JsonNode dims, Model m) {
        if (dims == null || dims.isNull()) return;
        int width = m.backbone().signature().width();
        if (!dims.canConvertToInt() || dims.asInt() != width)
            throw new BadInputException("\"dimensions\" must be this model's width " + width + " (no truncated embeddings), got " + dims);
    }

    private static List<String> texts(JsonNode n, String what) {
        if (n == null || n.isNull()) throw new BadInputException(what + " is missing; send a string or a list of strings");
        List<String> out = new ArrayList<>();
        if (n.isTextual()) out.add(n.asText());
        else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isTextual())
                    throw new BadInputException(what + "[" + i + "] must be a string, got " + n.get(i).getNodeType().name().toLowerCase()
                            + " (token ids are not accepted: send text)");
                out.add(n.get(i).asText());
            }
        } else throw new BadInputException(what + " must be a string or a list of strings, got " + n.getNodeType().name().toLowerCase());
        if (out.isEmpty()) throw new BadInputException(what + " is empty; send at least one text");
        limit(out.size());
        return out;
    }

    private static void limit(int n) {
        if (n > InferenceService.MAX_INPUTS_PER_REQUEST)
            throw new BadInputException("too many inputs: " + n + "; at most " + InferenceService.MAX_INPUTS_PER_REQUEST + " per request");
    }

    private static boolean isPair(JsonNode n) {
        return n != null && n.isArray() && n.size() == 2 && n.get(0).isTextual() && n.get(1).isTextual();
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
