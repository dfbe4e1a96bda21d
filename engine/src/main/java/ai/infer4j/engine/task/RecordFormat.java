package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.input.PairInput;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a record becomes the text the backbone embeds: the listed fields that have a value, in order,
 * as {@code "title: ... brand: ..."}, then the record's other fields in its own order (so a catalogue with
 * another schema is not reduced to its price), cut to {@code maxTokensPerSide} tokens. A record with none of
 * the fields uses its {@value PairInput#TEXT} field as it is, or else all its fields in name order.
 * Stored with a pair head, so training and scoring render records the same way.
 *
 * @param fields           field names in the order they are written
 * @param maxTokensPerSide tokens per record, special tokens included (8..512)
 */
public record RecordFormat(List<String> fields, int maxTokensPerSide) {
    public RecordFormat {
        fields = List.copyOf(fields);
        if (maxTokensPerSide < 8 || maxTokensPerSide > 512)
            throw new ModelLoadException("record format maxTokensPerSide must be 8..512, got " + maxTokensPerSide);
    }

    /** Product records of the DeepMatcher benchmarks (Amazon-Google, Walmart-Amazon). */
    public static RecordFormat products() {
        return new RecordFormat(List.of("title", "name", "brand", "manufacturer", "modelno", "category", "description", "price"), 64);
    }

    /** The text of one record; throws {@link BadInputException} if it has nothing to embed. */
    public String render(Map<String, String> record, String side) {
        StringBuilder sb = new StringBuilder();
        for (String f : fields) append(sb, f, record.get(f));
        if (sb.length() > 0) {
            for (var e : record.entrySet()) if (!fields.contains(e.getKey())) append(sb, e.getKey(), e.getValue());
        } else {
            String text = record.get(PairInput.TEXT);
            if (text != null && !text.isBlank()) return text.strip();
            for (var e : new TreeMap<>(record).entrySet()) append(sb, e.getKey(), e.getValue());
        }
        if (sb.length() == 0) throw new BadInputException("'" + side + "' record has no non-empty field (expected some of " + fields + ")");
        return sb.toString();
    }

    private static void append(StringBuilder sb, String field, String value) {
        if (value == null || value.isBlank()) return;
        if (sb.length() > 0) sb.append(' ');
        sb.append(field).append(": ").append(value.strip());
    }
}
