package ai.infer4j.engine.data;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Reads JSON-lines data files; a bad line is reported with its file and line number. */
public final class DataFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataFiles() {
    }

    /** Reads {@code {"text": ..., "label": ...}} lines; blank lines are skipped. */
    public static List<LabeledText> readLabeled(Path file) {
        return readLines(file, node -> {
            JsonNode text = node.get("text");
            JsonNode label = node.get("label");
            if (text == null || !text.isTextual()) throw new BadInputException("needs a string field \"text\"");
            if (label == null || label.isNull() || label.isContainerNode()) throw new BadInputException("needs a field \"label\"");
            return new LabeledText(text.asText(), label.asText());
        });
    }

    /**
     * Reads {@code {"left": {...} or "...", "right": {...} or "...", "label": 0|1}} lines; blank lines are
     * skipped. Field values become strings; a string side becomes a record with the single field
     * {@value PairInput#TEXT}.
     */
    public static List<LabeledPair> readPairs(Path file) {
        return readLines(file, node -> {
            JsonNode label = node.get("label");
            int y = label == null ? -1 : label.isBoolean() ? (label.asBoolean() ? 1 : 0) : label.asInt(-1);
            if (y != 0 && y != 1 || label.isTextual() && !label.asText().matches("[01]"))
                throw new BadInputException("needs \"label\": 0 or 1");
            return new LabeledPair(new PairInput(record(node.get("left"), "left"), record(node.get("right"), "right")), y);
        });
    }

    /**
     * Product records of a JSON lines file, labels not needed: both sides of a pair line ({@code {"left", "right", ...}}),
     * or the line's object itself as one record.
     */
    public static List<Map<String, String>> readRecords(Path file) {
        List<Map<String, String>> out = new ArrayList<>();
        readLines(file, node -> {
            if (node.has("left") || node.has("right")) {
                out.add(record(node.get("left"), "left"));
                out.add(record(node.get("right"), "right"));
            } else {
                out.add(record(node, "record"));
            }
            return Boolean.TRUE;
        });
        return out;
    }

    /** Parses each non-blank line as a JSON object; any refusal names the file and line. */
    private static <T> List<T> readLines(Path file, Function<JsonNode, T> parse) {
        List<T> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                String where = file + ":" + n + ": ";
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new BadInputException(where + "not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (node == null || !node.isObject()) throw new BadInputException(where + "expected a JSON object");
                try {
                    out.add(parse.apply(node));
                } catch (BadInputException e) {
                    throw e.withPrefix(where);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new BadInputException(file + " has no data lines");
        return out;
    }

    /** A pair side as a record: a JSON object's fields as strings, or a string as {@code {"text": s}}. */
    public static Map<String, String> record(JsonNode side, String name) {
        if (side == null || side.isNull()) throw new BadInputException("needs a field \"" + name + "\" (object or string)");
        if (side.isTextual()) return Map.of(PairInput.TEXT, side.asText());
        if (!side.isObject()) throw new BadInputException("\"" + name + "\" must be an object or a string");
        Map<String, String> m = new LinkedHashMap<>();
        side.fields().forEachRemaining(e -> {
            if (!e.getValue().isNull()) m.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        });
        return m;
    }
}
