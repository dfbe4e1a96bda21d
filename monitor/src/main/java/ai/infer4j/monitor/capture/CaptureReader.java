package ai.infer4j.monitor.capture;

import ai.infer4j.engine.error.BadInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a capture tree (or any part of it: a model, a version, a day) back into observations, joining the
 * ground-truth labels found in {@value #LABELS_DIR}/ folders of the tree, or of the folders above it, by event id. A final line without
 * its newline (a write in progress, or a crash) is ignored; other unreadable lines are counted and skipped.
 */
public final class CaptureReader {
    /** Folder (anywhere in the tree) that holds ground-truth label files written by {@code monitor label}. */
    public static final String LABELS_DIR = "labels";

    private static final Logger log = LoggerFactory.getLogger(CaptureReader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What was read: observations in time order, and how many lines were skipped as unreadable. */
    public record Result(List<Observation> observations, int badLines, int labelled, List<Path> files) { }

    private CaptureReader() {
    }

    /** Every observation under {@code dir} with {@code from <= time < to} (either may be null). */
    public static Result read(Path dir, Instant from, Instant to) {
        if (!Files.isDirectory(dir) && !Files.isRegularFile(dir)) throw new BadInputException("no capture directory " + dir);
        List<Path> files = new ArrayList<>();
        List<Path> labelFiles = new ArrayList<>();
        try (Stream<Path> s = Files.isDirectory(dir) ? Files.walk(dir) : Stream.of(dir)) {
            s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jsonl")).sorted().forEach(p -> {
                boolean isLabel = p.getParent() != null && p.getParent().getFileName() != null
                        && p.getParent().getFileName().toString().equals(LABELS_DIR);
                (isLabel ? labelFiles : files).add(p);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        // labels stored higher up the tree (e.g. capture/labels when checking capture/intent/1) apply too
        for (Path up = dir.toAbsolutePath().getParent(); up != null; up = up.getParent()) {
            Path l = up.resolve(LABELS_DIR);
            if (!Files.isDirectory(l)) continue;
            try (Stream<Path> s = Files.list(l)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().forEach(labelFiles::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + l + ": " + e.getMessage(), e);
            }
        }
        Map<String, String> labels = new HashMap<>();
        for (Path f : labelFiles) labels.putAll(readLabels(f));
        long lo = from == null ? Long.MIN_VALUE : from.toEpochMilli();
        long hi = to == null ? Long.MAX_VALUE : to.toEpochMilli();
        List<Observation> out = new ArrayList<>();
        int bad = 0, labelled = 0;
        for (Path f : files) {
            for (String line : completeLines(f)) {
                if (line.isBlank()) continue;
                Observation o;
                try {
                    o = parse(JSON.readTree(line));
                } catch (IOException | RuntimeException e) {
                    bad++;
                    continue;
                }
                if (o.timeMillis() < lo || o.timeMillis() >= hi) continue;
                String t = o.eventId() == null ? null : labels.get(o.eventId());
                if (t != null) {
                    o = o.withTrueLabel(t);
                    labelled++;
                }
                out.add(o);
            }
        }
        if (bad > 0) log.warn("{} unreadable capture lines skipped under {}", bad, dir);
        out.sort(Comparator.comparingLong(Observation::timeMillis));
        return new Result(out, bad, labelled, files);
    }

    /** One captured JSON line as an observation. */
    public static Observation parse(JsonNode n) {
        JsonNode out = n.path("output");
        float[] sketch = null;
        JsonNode s = n.get("sketch");
        if (s != null && s.isArray()) {
            sketch = new float[s.size()];
            for (int i = 0; i < sketch.length; i++) sketch[i] = (float) s.get(i).asDouble();
        }
        return new Observation(n.path("event_id").asText(null), Instant.parse(n.path("time").asText()).toEpochMilli(),
                out.hasNonNull("label") ? out.get("label").asText() : null,
                out.hasNonNull("score") ? out.get("score").asDouble() : Double.NaN,
                n.path("tokens").asInt(), n.path("truncated").asBoolean(), n.path("unknown_tokens").asInt(), sketch, null,
                out.path("novelty").isNumber() ? out.get("novelty").asDouble() : Double.NaN); // lines captured before it: NaN
    }

    /** {@code {"event_id": ..., "label": ...}} lines: event id → true label. */
    public static Map<String, String> readLabels(Path file) {
        Map<String, String> out = new HashMap<>();
        int n = 0;
        for (String line : completeLines(file)) {
            n++;
            if (line.isBlank()) continue;
            try {
                JsonNode j = JSON.readTree(line);
                JsonNode id = j.get("event_id"), label = j.get("label");
                if (id == null || label == null || label.isContainerNode())
                    throw new BadInputException(file + ":" + n + ": needs \"event_id\" and \"label\"");
                out.put(id.asText(), label.asText());
            } catch (IOException e) {
                throw new BadInputException(file + ":" + n + ": not valid JSON (" + e.getMessage() + ")");
            }
        }
        return out;
    }

    /** The file's lines up to its last newline. */
    static List<String> completeLines(Path f) {
        try {
            String all = Files.readString(f, StandardCharsets.UTF_8);
            int end = all.lastIndexOf('\n');
            if (end < 0) return List.of();
            return List.of(all.substring(0, end).split("\n", -1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
