package ai.infer4j.engine.train;

import ai.infer4j.engine.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}
