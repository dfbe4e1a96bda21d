package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The binary copies of head JSON in the engine cache give back the very head the JSON describes. */
class HeadCacheTest {
    @TempDir
    Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = HeadCacheTest.class.getClassLoader().getResourceAsStream("ai/infer4j/engine/heads/" + name + ".json")) {
            return in.readAllBytes();
        }
    }

    /** The head as HeadFiles writes it: the bytes that say two heads are the same head. */
    private byte[] written(Head head, String file) throws IOException {
        Path out = dir.resolve(file);
        if (head instanceof PairHead p) HeadFiles.write(p, out);
        else HeadFiles.write((SoftmaxHead) head, out);
        return Files.readAllBytes(out);
    }

    @Test
    void builtinHeadsReadFromTheirCopyAreTheJsonsHeadsByteForByte() throws IOException {
        for (String name : List.of("intent", "duplicate")) {
            byte[] json = resource(name);
            Path cache = dir.resolve("cache-" + name);
            Head parsed = HeadFiles.readHead(new java.io.ByteArrayInputStream(json), name);
            Head first = HeadFiles.readHead(json, name, cache); // parses, writes the copy
            Path copy = HeadCache.copyPath(json, cache);
            assertTrue(Files.isRegularFile(copy), "copy written");
            assertTrue(Files.size(copy) < json.length, "the copy is smaller than the JSON");
            Head fromCopy = HeadFiles.readHead(json, name, cache);
            byte[] expected = written(parsed, name + "-parsed.json");
            assertArrayEquals(expected, written(first, name + "-first.json"));
            assertArrayEquals(expected, written(fromCopy, name + "-copy.json"));
            if (name.equals("intent")) assertArrayEquals(json, expected, "the shipped head is HeadFiles' own output");
        }
    }

    @Test
    void packThenUnpackGivesTheSameTreeAndKeepsTrainingAsJson() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(resource("intent"));
        assertTrue(root.path("training").isObject());
        byte[] packed = HeadCache.pack(root);
        assertEquals(root, HeadCache.unpack(packed));
        // the JSON part keeps training (and every short or non-float array) as it was; the weights are placeholders
        String meta = new String(packed, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(meta.contains(json.writeValueAsString(root.get("training"))), "training stays JSON");
        assertTrue(meta.contains(HeadCache.PACKED));
        assertFalse(meta.contains(Float.toString(((SoftmaxHead) HeadFiles.fromTree(root, "t")).weights()[0][0])),
                "weights are not written as text");
    }

    @Test
    void aCorruptCopyIsDeletedAndTheJsonParsedAndCachedAgain() throws IOException {
        byte[] json = resource("intent");
        Head good = HeadFiles.readHead(json, "intent", dir);
        Path copy = HeadCache.copyPath(json, dir);
        byte[] bytes = Files.readAllBytes(copy);
        Files.write(copy, java.util.Arrays.copyOf(bytes, bytes.length - 8)); // truncated
        Head again = HeadFiles.readHead(json, "intent", dir);
        assertArrayEquals(written(good, "good.json"), written(again, "again.json"));
        assertArrayEquals(bytes, Files.readAllBytes(copy), "the copy was written again");
        Files.write(copy, "garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertArrayEquals(written(good, "good.json"), written(HeadFiles.readHead(json, "intent", dir), "third.json"));
    }

    @Test
    void aChangedHeadGetsItsOwnCopyAndABadHeadNone() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        byte[] json = resource("intent");
        ObjectNode changed = (ObjectNode) mapper.readTree(json);
        changed.put("oosThreshold", 0.25);
        byte[] other = mapper.writeValueAsBytes(changed);
        assertNotEquals(HeadCache.copyPath(json, dir), HeadCache.copyPath(other, dir));
        SoftmaxHead h = (SoftmaxHead) HeadFiles.readHead(other, "changed", dir);
        assertEquals(0.25, h.oosThreshold());
        assertEquals(0.25, ((SoftmaxHead) HeadFiles.readHead(other, "changed", dir)).oosThreshold(), "from the copy");

        changed.remove("weights");
        byte[] bad = mapper.writeValueAsBytes(changed);
        assertThrows(ModelLoadException.class, () -> HeadFiles.readHead(bad, "bad", dir));
        assertFalse(Files.exists(HeadCache.copyPath(bad, dir)), "an invalid head is not cached");
        assertThrows(ModelLoadException.class, () -> HeadFiles.readHead("{".getBytes(java.nio.charset.StandardCharsets.UTF_8), "x", dir));
    }
}
