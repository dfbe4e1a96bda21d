package ai.infer4j.engine.input;

import ai.infer4j.engine.error.BadInputException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Two things to compare, e.g. two product records: {@code {"left": {...}, "right": {...}}} or a plain
 * text pair ({@code {"text": ..., "text_pair": ...}}, see {@link #ofTexts}). Field values are strings;
 * a record with only the field {@value #TEXT} is used as its text as it is.
 *
 * @param left  first record: field name to value (null values are treated as absent)
 * @param right second record
 */
public record PairInput(Map<String, String> left, Map<String, String> right) {
    /** Field name of a record that is just a text. */
    public static final String TEXT = "text";

    public PairInput {
        left = copy(left, "left");
        right = copy(right, "right");
    }

    /** A text pair: each side is a record with the single field {@value #TEXT}. */
    public static PairInput ofTexts(String left, String right) {
        return new PairInput(text(left, "left"), text(right, "right"));
    }

    private static Map<String, String> text(String t, String side) {
        if (t == null) throw new BadInputException("missing '" + side + "' text");
        return Map.of(TEXT, t);
    }

    private static Map<String, String> copy(Map<String, String> record, String side) {
        if (record == null) throw new BadInputException("missing '" + side + "' record");
        Map<String, String> m = new LinkedHashMap<>();
        record.forEach((k, v) -> {
            if (k != null && v != null) m.put(k, v);
        });
        return Collections.unmodifiableMap(m);
    }
}
