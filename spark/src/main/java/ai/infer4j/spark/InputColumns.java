package ai.infer4j.spark;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.data.DataFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a pair (or a text) is in an input row. Pairs come as {@code left}/{@code right} columns
 * (structs from parquet or JSON lines, maps, or strings holding a JSON object or plain text), as
 * {@code text}/{@code text_pair} string columns, or flattened as {@code left_<field>}/{@code right_<field>}
 * columns (CSV). Decided once from the schema; a row that does not fit fails alone.
 */
final class InputColumns implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Layout { LEFT_RIGHT, TEXT_PAIR, FLAT, TEXT }

    private final Layout layout;
    private final int left;
    private final int right;
    private final int[] leftFields;
    private final int[] rightFields;
    private final String[] fieldNames;

    private InputColumns(Layout layout, int left, int right, int[] leftFields, int[] rightFields, String[] fieldNames) {
        this.layout = layout;
        this.left = left;
        this.right = right;
        this.leftFields = leftFields;
        this.rightFields = rightFields;
        this.fieldNames = fieldNames;
    }

    static InputColumns forPairs(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (names.contains("left") && names.contains("right"))
            return new InputColumns(Layout.LEFT_RIGHT, names.indexOf("left"), names.indexOf("right"), null, null, null);
        if (names.contains("text") && names.contains("text_pair"))
            return new InputColumns(Layout.TEXT_PAIR, names.indexOf("text"), names.indexOf("text_pair"), null, null, null);
        List<Integer> l = new ArrayList<>(), r = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (!n.startsWith("left_")) continue;
            int j = names.indexOf("right_" + n.substring(5));
            l.add(i);
            r.add(j);
            fields.add(n.substring(5));
        }
        if (l.isEmpty())
            throw new BadInputException("input has no pair columns: expected left/right, text/text_pair, or left_<field>/right_<field>; has " + names);
        return new InputColumns(Layout.FLAT, -1, -1, l.stream().mapToInt(Integer::intValue).toArray(),
                r.stream().mapToInt(Integer::intValue).toArray(), fields.toArray(String[]::new));
    }

    static InputColumns forText(StructType schema, String column) {
        List<String> names = Arrays.asList(schema.fieldNames());
        int i = names.indexOf(column);
        if (i < 0) throw new BadInputException("input has no text column '" + column + "'; has " + names + " (use --text-column)");
        if (!schema.fields()[i].dataType().equals(DataTypes.StringType))
            throw new BadInputException("text column '" + column + "' is " + schema.fields()[i].dataType().simpleString() + ", not a string");
        return new InputColumns(Layout.TEXT, i, -1, null, null, null);
    }

    /** The row's pair; throws {@link BadInputException} when the row has none. */
    PairInput pair(Row row) {
        return switch (layout) {
            case LEFT_RIGHT -> new PairInput(record(row, left, "left"), record(row, right, "right"));
            case TEXT_PAIR -> PairInput.ofTexts(string(row, left, "text"), string(row, right, "text_pair"));
            case FLAT -> new PairInput(flat(row, leftFields), flat(row, rightFields));
            case TEXT -> throw new IllegalStateException("a text layout has no pairs");
        };
    }

    /** The row's text (classify). */
    String text(Row row) {
        return string(row, left, "text");
    }

    private static String string(Row row, int i, String name) {
        if (row.isNullAt(i)) throw new BadInputException("'" + name + "' is null");
        return row.getString(i);
    }

    private Map<String, String> flat(Row row, int[] columns) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int k = 0; k < columns.length; k++)
            if (columns[k] >= 0 && !row.isNullAt(columns[k])) m.put(fieldNames[k], String.valueOf(row.get(columns[k])));
        return m;
    }

    private static Map<String, String> record(Row row, int i, String side) {
        if (row.isNullAt(i)) throw new BadInputException("'" + side + "' is null");
        Object v = row.get(i);
        if (v instanceof Row struct) return fields(struct);
        if (v instanceof scala.collection.Map<?, ?> map) {
            Map<String, String> m = new LinkedHashMap<>();
            scala.jdk.javaapi.CollectionConverters.asJava(map).forEach((k, val) -> {
                if (val != null) m.put(String.valueOf(k), String.valueOf(val));
            });
            return m;
        }
        if (v instanceof String s) {
            String t = s.strip();
            if (!t.startsWith("{")) return Map.of(PairInput.TEXT, s);
            try {
                return DataFiles.record(JSON.readTree(t), side);
            } catch (JsonProcessingException e) {
                throw new BadInputException("'" + side + "' is not a valid JSON object: " + e.getOriginalMessage());
            }
        }
        throw new BadInputException("'" + side + "' must be a struct, a map or a string, got " + v.getClass().getSimpleName());
    }

    private static Map<String, String> fields(Row struct) {
        Map<String, String> m = new LinkedHashMap<>();
        StructField[] f = struct.schema().fields();
        for (int k = 0; k < f.length; k++) {
            if (struct.isNullAt(k)) continue;
            DataType t = f[k].dataType();
            Object v = struct.get(k);
            m.put(f[k].name(), t instanceof StructType || t instanceof MapType ? v.toString() : String.valueOf(v));
        }
        return m;
    }
}
