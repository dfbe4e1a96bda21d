package ai.infer4j.engine.train;

import ai.infer4j.engine.BadInputException;
import ai.infer4j.engine.PairInput;
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

/** Reads JSON-lines data files; a bad line is reported with its file and line number. */
public final class DataFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataFiles() {
    }

    /** Reads {@code {"text": ..., "label": ...}} lines; blank lines are skipped. */
    public static List<LabeledText> readLabeled(Path file) {
        List<LabeledText> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new BadInputException(file + ":" + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                JsonNode text = node == null ? null : node.get("text");
                JsonNode label = node == null ? null : node.get("label");
                if (text == null || !text.isTextual()) throw new BadInputException(file + ":" + n + ": needs a string field \"text\"");
                if (label == null || label.isNull() || label.isContainerNode())
                    throw new BadInputException(file + ":" + n + ": needs a field \"label\"");
                out.add(new LabeledText(text.asText(), label.asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new BadInputException(file + " has no data lines");
        return out;
    }

    /**
     * Reads {@code {"left": {...} or "...", "right": {...} or "...", "label": 0|1}} lines; blank lines are
     * skipped. Field values become strings; a string side becomes a record with the single field
     * {@value PairInput#TEXT}.
     */
    public static List<LabeledPair> readPairs(Path file) {
        List<LabeledPair> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new BadInputException(file + ":" + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (node == null || !node.isObject()) throw new BadInputException(file + ":" + n + ": expected a JSON object");
                JsonNode label = node.get("label");
                int y = label == null ? -1 : label.isBoolean() ? (label.asBoolean() ? 1 : 0) : label.asInt(-1);
                if (y != 0 && y != 1 || label.isTextual() && !label.asText().matches("[01]"))
                    throw new BadInputException(file + ":" + n + ": needs \"label\": 0 or 1");
                try {
                    out.add(new LabeledPair(new PairInput(record(node.get("left"), "left"), record(node.get("right"), "right")), y));
                } catch (BadInputException e) {
                    throw e.withPrefix(file + ":" + n + ": ");
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
