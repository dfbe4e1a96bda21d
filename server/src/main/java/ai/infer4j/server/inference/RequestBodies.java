package ai.infer4j.server.inference;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.task.Request;
import ai.infer4j.server.http.HttpSupport;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a request body into inputs. Accepts plain text, JSON {@code {"text": ...}},
 * {@code {"text": ..., "text_pair": ...}}, {@code {"inputs": [...]}} (strings or such objects), a JSON
 * string, a JSON array, and KServe v2 {@code {"inputs": [{"datatype": "BYTES", "data": [...]}]}}.
 * Every refusal is a {@link BadInputException} that says what to fix.
 */
final class RequestBodies {
    /** The parsed request, and whether the caller sent a list (and so gets a list back). */
    record Parsed(Request request, boolean many) {
        Parsed(List<TextInput> inputs, boolean many) {
            this(inputs.isEmpty() ? null : Request.ofInputs(inputs), many);
        }

        /** The same request asking every head of a multi-head classifier to answer. */
        Parsed allHeads() {
            return request instanceof Request.Texts t ? new Parsed(new Request.Texts(t.inputs(), true), many) : this;
        }
    }

    private RequestBodies() {
    }

    static Parsed parse(byte[] body, String contentType, int maxInputs) {
        String text = utf8(body);
        if (text.isBlank()) throw new BadInputException("request body is empty; send text, or JSON like {\"text\": \"...\"}");
        String ct = contentType == null ? "" : contentType.toLowerCase();
        boolean json = ct.startsWith("application/json") || (!ct.startsWith("text/") && looksLikeJson(text));
        if (!json) return new Parsed(List.of(TextInput.of(text)), false);
        JsonNode root = readJson(text);
        Parsed p;
        if (root.isTextual()) p = new Parsed(List.of(TextInput.of(root.asText())), false);
        else if (root.isArray()) p = new Parsed(list(root, "body"), true);
        else if (root.isObject() && root.has("inputs") && isPairList(root.get("inputs"))) p = pairs(root.get("inputs"), true);
        else if (root.isObject() && root.has("inputs")) p = new Parsed(list(root.get("inputs"), "\"inputs\""), true);
        else if (root.isObject() && (root.has("left") || root.has("right"))) p = pairs(HttpSupport.JSON.createArrayNode().add(root), false);
        else if (root.isObject()) p = new Parsed(List.of(one(root, "body")), false);
        else throw new BadInputException("JSON body must be an object like {\"text\": \"...\"}, a string or an array");
        if (p.request() == null) throw new BadInputException("\"inputs\" is empty; send at least one input");
        if (p.request().size() > maxInputs)
            throw new BadInputException("too many inputs: " + p.request().size() + "; at most " + maxInputs + " per request");
        return p;
    }

    /** Whether a Content-Type is a multipart form ({@code curl -F data=@file}, TorchServe's documented client). */
    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    }

    /**
     * A multipart form, as TorchServe's clients send it: each part (file or field, whatever its name) is read like a
     * whole body ({@link #parse}, so a part may be text or JSON). One part answers like one body; several parts
     * answer a list, one entry per text, in order.
     */
    static Parsed multipart(io.netty.handler.codec.http.FullHttpRequest request, int maxInputs) {
        var factory = new io.netty.handler.codec.http.multipart.DefaultHttpDataFactory(false, StandardCharsets.UTF_8);
        io.netty.handler.codec.http.multipart.HttpPostRequestDecoder decoder;
        try {
            decoder = new io.netty.handler.codec.http.multipart.HttpPostRequestDecoder(factory, request, StandardCharsets.UTF_8);
        } catch (io.netty.handler.codec.http.multipart.HttpPostRequestDecoder.ErrorDataDecoderException e) {
            throw new BadInputException("malformed multipart/form-data body: " + e.getMessage() + "; send it as curl -F data=@file does");
        }
        try {
            List<Parsed> parts = new ArrayList<>();
            for (var data : decoder.getBodyHttpDatas()) {
                if (!(data instanceof io.netty.handler.codec.http.multipart.HttpData part)) continue;
                String ct = part instanceof io.netty.handler.codec.http.multipart.FileUpload f ? f.getContentType() : "text/plain";
                byte[] bytes;
                try {
                    bytes = part.get();
                } catch (IOException e) {
                    throw new BadInputException("cannot read multipart part '" + part.getName() + "': " + e.getMessage());
                }
                try {
                    parts.add(parse(bytes, ct, maxInputs));
                } catch (BadInputException e) {
                    throw e.withPrefix("multipart part '" + part.getName() + "': ");
                }
            }
            if (parts.isEmpty()) throw new BadInputException("multipart/form-data body has no parts; send the text as a part, e.g. curl -F data=@query.txt");
            if (parts.size() == 1) return parts.get(0);
            List<TextInput> all = new ArrayList<>();
            for (Parsed p : parts) {
                if (!(p.request() instanceof Request.Texts t))
                    throw new BadInputException("record pairs must come in one multipart part, not spread over " + parts.size());
                all.addAll(t.inputs());
            }
            if (all.size() > maxInputs) throw new BadInputException("too many inputs: " + all.size() + "; at most " + maxInputs + " per request");
            return new Parsed(all, true);
        } catch (io.netty.handler.codec.http.multipart.HttpPostRequestDecoder.ErrorDataDecoderException e) {
            throw new BadInputException("malformed multipart/form-data body: " + e.getMessage());
        } finally {
            decoder.destroy();
        }
    }

    private static boolean isPairList(JsonNode arr) {
        return arr.isArray() && !arr.isEmpty() && arr.get(0).isObject() && (arr.get(0).has("left") || arr.get(0).has("right"));
    }

    private static Parsed pairs(JsonNode arr, boolean many) {
        List<PairInput> pairs = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            String where = many ? "\"inputs\"[" + i + "]" : "body";
            JsonNode n = arr.get(i);
            if (!n.isObject()) throw new BadInputException(where + " must be {\"left\": ..., \"right\": ...}");
            pairs.add(new PairInput(record(n.get("left"), where + ".left"), record(n.get("right"), where + ".right")));
        }
        return new Parsed(new Request.Pairs(pairs), many);
    }

    /** A pair side: a JSON object of fields, or a string (a record with the single field "text"). */
    private static Map<String, String> record(JsonNode n, String where) {
        try {
            return DataFiles.record(n, where.substring(where.lastIndexOf('.') + 1));
        } catch (BadInputException e) {
            throw e.withPrefix(where.substring(0, where.lastIndexOf('.')) + ": ");
        }
    }

    static JsonNode readJson(byte[] body) {
        return readJson(utf8(body));
    }

    static JsonNode readJson(String text) {
        try {
            JsonNode n = HttpSupport.JSON.readTree(text);
            if (n == null) throw new BadInputException("request body is empty");
            return n;
        } catch (JsonProcessingException e) {
            throw new BadInputException("malformed JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Inputs from a KServe v2 body: the BYTES tensor of texts (the one named {@code text}, else the first), and for pair
     * models a second BYTES tensor named {@code text_pair} of the same length.
     */
    static Parsed kserve(JsonNode root, int maxInputs) {
        JsonNode inputs = root.path("inputs");
        if (!inputs.isArray() || inputs.isEmpty())
            throw new BadInputException("KServe v2 body needs \"inputs\": [{\"name\", \"shape\", \"datatype\": \"BYTES\", \"data\": [...]}]");
        JsonNode text = inputs.get(0), pair = null;
        for (JsonNode t : inputs) {
            if (t.path("name").asText("").equals("text")) text = t;
            if (t.path("name").asText("").equals("text_pair")) pair = t;
        }
        List<String> texts = strings(text), pairs = pair == null ? null : strings(pair);
        if (texts.isEmpty()) throw new BadInputException("input tensor \"data\" is empty");
        if (texts.size() > maxInputs) throw new BadInputException("too many inputs: " + texts.size() + "; at most " + maxInputs + " per request");
        if (pairs != null && pairs.size() != texts.size())
            throw new BadInputException("input tensors 'text' and 'text_pair' differ in length: " + texts.size() + " vs " + pairs.size());
        List<TextInput> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) out.add(new TextInput(texts.get(i), pairs == null ? null : pairs.get(i)));
        return new Parsed(out, true);
    }

    private static List<String> strings(JsonNode tensor) {
        String type = tensor.path("datatype").asText("");
        if (!type.equals("BYTES"))
            throw new BadInputException("input tensor '" + tensor.path("name").asText("") + "' datatype must be BYTES, got '" + type + "'");
        List<String> out = new ArrayList<>();
        flatten(tensor.path("data"), out);
        return out;
    }

    private static void flatten(JsonNode n, List<String> out) {
        if (n.isArray()) for (JsonNode c : n) flatten(c, out);
        else if (n.isTextual()) out.add(n.asText());
        else throw new BadInputException("input tensor \"data\" must hold strings, found " + n.getNodeType().name().toLowerCase());
    }

    private static List<TextInput> list(JsonNode arr, String what) {
        if (!arr.isArray()) throw new BadInputException(what + " must be an array of strings or {\"text\": ...} objects");
        List<TextInput> out = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            JsonNode n = arr.get(i);
            if (n.isTextual()) out.add(TextInput.of(n.asText()));
            else if (n.isObject()) out.add(one(n, what + "[" + i + "]"));
            else throw new BadInputException(what + "[" + i + "] must be a string or {\"text\": ...}, got " + n.getNodeType().name().toLowerCase());
        }
        return out;
    }

    private static TextInput one(JsonNode o, String where) {
        JsonNode text = o.get("text");
        if (text == null) throw new BadInputException(where + " needs a \"text\" field (and optionally \"text_pair\")");
        if (!text.isTextual()) throw new BadInputException(where + ": \"text\" must be a string, got " + text.getNodeType().name().toLowerCase());
        JsonNode pair = o.get("text_pair");
        if (pair != null && !pair.isNull() && !pair.isTextual())
            throw new BadInputException(where + ": \"text_pair\" must be a string, got " + pair.getNodeType().name().toLowerCase());
        return new TextInput(text.asText(), pair == null || pair.isNull() ? null : pair.asText());
    }

    private static boolean looksLikeJson(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) continue;
            return c == '{' || c == '[' || c == '"';
        }
        return false;
    }

    private static String utf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException("request body is not valid UTF-8");
        }
    }
}
