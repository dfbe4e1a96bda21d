package ai.infer4j.server.inference;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.PairInput;
import ai.infer4j.engine.TextInput;
import ai.infer4j.server.http.HttpSupport;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a request body into inputs. Accepts plain text, JSON {@code {"text": ...}},
 * {@code {"text": ..., "text_pair": ...}}, {@code {"inputs": [...]}} (strings or such objects), a JSON
 * string, a JSON array, and KServe v2 {@code {"inputs": [{"datatype": "BYTES", "data": [...]}]}}.
 * Every refusal is a {@link BadInputException} that says what to fix.
 */
final class RequestBodies {
    /**
     * The parsed inputs, and whether the caller sent a list (and so gets a list back). For record pairs
     * ({@code {"left", "right"}}) {@code pairs} holds them and {@code inputs} a text view of each (for capture).
     */
    record Parsed(List<TextInput> inputs, boolean many, List<PairInput> pairs) {
        Parsed(List<TextInput> inputs, boolean many) {
            this(inputs, many, null);
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
        if (p.inputs().isEmpty()) throw new BadInputException("\"inputs\" is empty; send at least one input");
        if (p.inputs().size() > maxInputs)
            throw new BadInputException("too many inputs: " + p.inputs().size() + "; at most " + maxInputs + " per request");
        return p;
    }

    private static boolean isPairList(JsonNode arr) {
        return arr.isArray() && !arr.isEmpty() && arr.get(0).isObject() && (arr.get(0).has("left") || arr.get(0).has("right"));
    }

    private static Parsed pairs(JsonNode arr, boolean many) {
        List<PairInput> pairs = new ArrayList<>(arr.size());
        List<TextInput> texts = new ArrayList<>(arr.size());
        for (int i = 0; i < arr.size(); i++) {
            String where = many ? "\"inputs\"[" + i + "]" : "body";
            JsonNode n = arr.get(i);
            if (!n.isObject()) throw new BadInputException(where + " must be {\"left\": ..., \"right\": ...}");
            PairInput p = new PairInput(record(n.get("left"), where + ".left"), record(n.get("right"), where + ".right"));
            pairs.add(p);
            texts.add(new TextInput(p.left().toString(), p.right().toString()));
        }
        return new Parsed(texts, many, pairs);
    }

    /** A pair side: a JSON object of fields, or a string (a record with the single field "text"). */
    private static Map<String, String> record(JsonNode n, String where) {
        try {
            return ai.infer4j.engine.train.DataFiles.record(n, where.substring(where.lastIndexOf('.') + 1));
        } catch (BadInputException e) {
            throw e.withPrefix(where.substring(0, where.lastIndexOf('.')) + ": ");
        }
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

    /** Inputs from the KServe v2 body: the first BYTES input tensor's data (flattened). */
    static Parsed kserve(byte[] body, int maxInputs) {
        JsonNode root = readJson(utf8(body));
        JsonNode inputs = root.path("inputs");
        if (!inputs.isArray() || inputs.isEmpty())
            throw new BadInputException("KServe v2 body needs \"inputs\": [{\"name\", \"shape\", \"datatype\": \"BYTES\", \"data\": [...]}]");
        JsonNode t = inputs.get(0);
        String type = t.path("datatype").asText("");
        if (!type.equals("BYTES")) throw new BadInputException("input tensor datatype must be BYTES, got '" + type + "'");
        List<TextInput> out = new ArrayList<>();
        flatten(t.path("data"), out);
        if (out.isEmpty()) throw new BadInputException("input tensor \"data\" is empty");
        if (out.size() > maxInputs) throw new BadInputException("too many inputs: " + out.size() + "; at most " + maxInputs + " per request");
        return new Parsed(out, true);
    }

    private static void flatten(JsonNode n, List<TextInput> out) {
        if (n.isArray()) for (JsonNode c : n) flatten(c, out);
        else if (n.isTextual()) out.add(TextInput.of(n.asText()));
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
