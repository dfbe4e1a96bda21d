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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The binary copies of head JSON in the engine cache give back the very head the JSON describes. */
class HeadCacheTest {
    @TempDir
    Path dir;

    private byte[] written(Head head, String file) throws IOException {
        return HeadBytes.written(head, dir.resolve(file));
    }

    @Test
    void builtinHeadsReadFromTheirCopyAreTheJsonsHeadsByteForByte() throws IOException {
        for (String name : List.of("intent", "duplicate")) {
            byte[] json = HeadBytes.builtIn(name);
            Path cache = dir.resolve("cache-" + name);
            Head parsed = HeadFiles.readHead(new java.io.ByteArrayInputStream(json), name);
            Head first = HeadFiles.readHead(json, name, cache); // parses, writes the copy
            Path copy = HeadCache.copyPath(json, cache);
            assertTrue(Files.isRegularFile(copy), "copy written");
            assertTrue(Files.size(copy) - json.length < json.length, "the copy's tree is smaller than the JSON");
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
        byte[] text = HeadBytes.builtIn("intent");
        JsonNode root = json.readTree(text);
        assertTrue(root.path("training").isObject());
        byte[] packed = HeadCache.pack(root, text);
        assertEquals(root, HeadCache.unpack(packed, text));
        byte[] other = text.clone();
        other[other.length / 2] ^= 1;
        assertNull(HeadCache.unpack(packed, other), "a copy of other JSON is not this head's");
        assertNull(HeadCache.unpack(packed, java.util.Arrays.copyOf(text, text.length - 1)));
        // the JSON part keeps training (and every short or non-float array) as it was; the weights are placeholders
        byte[] withoutJson = HeadCache.pack(root, new byte[0]);
        assertEquals(withoutJson.length + text.length, packed.length, "the JSON's bytes are held once, as they are");
        String meta = new String(withoutJson, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(meta.contains(json.writeValueAsString(root.get("training"))), "training stays JSON");
        assertTrue(meta.contains(HeadCache.PACKED));
        assertFalse(meta.contains(Float.toString(((SoftmaxHead) HeadFiles.fromTree(root, "t")).weights()[0][0])),
                "weights are not written as text");
    }

    @Test
    void aCorruptCopyIsDeletedAndTheJsonParsedAndCachedAgain() throws IOException {
        byte[] json = HeadBytes.builtIn("intent");
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
        byte[] json = HeadBytes.builtIn("intent");
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

    @Test
    void twoHeadsOfTheSameSizeAndCrc32AreNeverTakenForEachOther() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode tree = (ObjectNode) mapper.readTree(HeadBytes.builtIn("intent"));
        String pad = " ".repeat(64);
        byte[] a = ("{" + pad + " ".repeat(8) + mapper.writeValueAsString(tree).substring(1)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        double threshold = tree.get("oosThreshold").doubleValue();
        tree.put("oosThreshold", threshold == 0.25 ? 0.5 : 0.25);
        String changed = mapper.writeValueAsString(tree).substring(1);
        int extra = a.length - 1 - pad.length() - changed.length(); // a longer or shorter value: fewer or more spaces
        assertTrue(extra >= 0 && extra <= 16);
        byte[] b = ("{" + pad + " ".repeat(extra) + changed).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        collide(b, 1, 64, crc32(a)); // some of the 64 spaces become tabs: still the same JSON, now the same CRC32
        assertEquals(a.length, b.length);
        assertEquals(crc32(a), crc32(b));
        assertEquals(HeadCache.copyPath(a, dir), HeadCache.copyPath(b, dir), "one name: the key is size and CRC32");
        assertEquals(threshold, ((SoftmaxHead) HeadFiles.readHead(a, "a", dir)).oosThreshold());
        assertEquals(threshold, ((SoftmaxHead) HeadFiles.readHead(a, "a", dir)).oosThreshold(), "from the copy");
        assertEquals(tree.get("oosThreshold").doubleValue(), ((SoftmaxHead) HeadFiles.readHead(b, "b", dir)).oosThreshold(),
                "b's own head, not a's copy");
        assertEquals(tree.get("oosThreshold").doubleValue(), ((SoftmaxHead) HeadFiles.readHead(b, "b", dir)).oosThreshold());
        assertEquals(threshold, ((SoftmaxHead) HeadFiles.readHead(a, "a", dir)).oosThreshold());
    }

    private static long crc32(byte[] bytes) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Turns some of the spaces in {@code b[from, from + n)} into tabs so that {@code b}'s CRC32 becomes {@code target}:
     * for a fixed length CRC32 is affine over GF(2), so each space's change flips a fixed set of bits, and Gaussian
     * elimination over those 32-bit vectors picks the spaces to change.
     */
    private static void collide(byte[] b, int from, int n, long target) {
        long base = crc32(b);
        long[] basis = new long[32], used = new long[32];
        for (int i = 0; i < n; i++) {
            b[from + i] = '\t';
            long v = crc32(b) ^ base, m = 1L << i;
            b[from + i] = ' ';
            for (int bit = 31; bit >= 0 && v != 0; bit--) {
                if ((v >>> bit & 1) == 0) continue;
                if (basis[bit] == 0) {
                    basis[bit] = v;
                    used[bit] = m;
                    break;
                }
                v ^= basis[bit];
                m ^= used[bit];
            }
        }
        long want = base ^ target, flips = 0;
        for (int bit = 31; bit >= 0; bit--) {
            if ((want >>> bit & 1) == 0) continue;
            assertNotEquals(0, basis[bit], "64 spaces give a full basis");
            want ^= basis[bit];
            flips ^= used[bit];
        }
        for (int i = 0; i < n; i++) if ((flips >>> i & 1) != 0) b[from + i] = '\t';
    }
}
