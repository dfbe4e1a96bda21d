package ai.infer4j.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;

import java.io.IOException;

/**
 * A float vector written as a JSON array of numbers without allocating per number. An {@code ArrayNode} holds one node
 * per float, and Jackson writes each float through a fresh {@code String} (its fast writer through two more objects):
 * for a 384-float embedding that was most of a serving JVM's allocation, hence its young collections. Here each number
 * is formatted by {@link StringBuilder#append(float)} (the JDK's {@code Float.toString} digits, into a reused buffer)
 * and copied into the generator as a raw value.
 */
record FloatVector(float[] values) implements JsonSerializable {

    private static final ThreadLocal<StringBuilder> TEXT = ThreadLocal.withInitial(() -> new StringBuilder(32));
    private static final ThreadLocal<char[]> CHARS = ThreadLocal.withInitial(() -> new char[32]);

    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
        StringBuilder text = TEXT.get();
        char[] chars = CHARS.get();
        gen.writeStartArray(values, values.length);
        for (float v : values) {
            if (!Float.isFinite(v)) {
                gen.writeNumber(v); // NaN / Infinity: Jackson's own rule (quoted or refused)
                continue;
            }
            text.setLength(0);
            text.append(v);
            int n = text.length(); // at most 15 characters, e.g. -1.23456789E-10
            text.getChars(0, n, chars, 0);
            gen.writeRawValue(chars, 0, n);
        }
        gen.writeEndArray();
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer) throws IOException {
        serialize(gen, serializers);
    }
}
