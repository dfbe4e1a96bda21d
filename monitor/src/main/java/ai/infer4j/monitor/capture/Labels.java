package ai.infer4j.monitor.capture;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.BadInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Adds ground-truth labels to a capture tree, to be joined by event id at check time. */
public final class Labels {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);

    /** How many labels were stored, and how many of them match a captured event. */
    public record Joined(int labels, int matched, Path file) { }

    private Labels() {
    }

    /**
     * Validates {@code events} ({@code {"event_id", "label"}} lines) and stores it atomically as
     * {@code capture/labels/labels-{time}.jsonl}. Labels of unknown events are kept (their events may be
     * in another part of the tree) but not counted as matched.
     */
    public static Joined add(Path capture, Path events, Clock clock) {
        Map<String, String> labels = CaptureReader.readLabels(events);
        if (labels.isEmpty()) throw new BadInputException(events + " has no labels");
        Set<String> ids = new HashSet<>();
        for (Observation o : CaptureReader.read(capture, null, null).observations()) if (o.eventId() != null) ids.add(o.eventId());
        int matched = 0;
        StringBuilder sb = new StringBuilder();
        for (var e : labels.entrySet()) {
            if (ids.contains(e.getKey())) matched++;
            sb.append("{\"event_id\":").append(quote(e.getKey())).append(",\"label\":").append(quote(e.getValue())).append("}\n");
        }
        Path out = capture.resolve(CaptureReader.LABELS_DIR).resolve("labels-" + STAMP.format(clock.instant()) + ".jsonl");
        try {
            AtomicFiles.write(out, o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        return new Joined(labels.size(), matched, out);
    }

    private static String quote(String s) {
        return "\"" + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
