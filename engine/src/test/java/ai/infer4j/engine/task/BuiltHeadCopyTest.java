package ai.infer4j.engine.task;

import ai.infer4j.engine.io.FileStamp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heads read through a note about their file's stamp and a copy of the built head: the same head as the JSON's, and a
 * changed file (or jar) is never answered from a note written for its old bytes.
 */
class BuiltHeadCopyTest {
    private static final String ENTRY = "ai/infer4j/engine/heads/intent.json";

    @TempDir
    Path dir;

    private byte[] written(Head head, String file) throws IOException {
        return HeadBytes.written(head, dir.resolve(file));
    }

    private static Head parsed(byte[] json) {
        return HeadFiles.readHead(new ByteArrayInputStream(json), "t");
    }

    /** The intent head with one weight's last digit changed: another head of exactly the same size. */
    private static byte[] sameSizeOther(byte[] json) {
        String s = new String(json, StandardCharsets.UTF_8);
        int at = s.indexOf("\"weights\" : [ [ ") + "\"weights\" : [ [ ".length();
        int end = at;
        while (Character.isDigit(s.charAt(end)) || s.charAt(end) == '.' || s.charAt(end) == '-' || s.charAt(end) == 'E') end++;
        char last = s.charAt(end - 1);
        assertTrue(Character.isDigit(last), "a number at " + at + ": " + s.substring(at, end));
        String changed = s.substring(0, end - 1) + (last == '1' ? '2' : '1') + s.substring(end);
        byte[] out = changed.getBytes(StandardCharsets.UTF_8);
        assertEquals(json.length, out.length);
        return out;
    }

    private static void sleepPastClockTick() {
        try {
            Thread.sleep(50); // file times may be kept at a coarse clock tick (a few ms)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void builtCopiesGiveTheSameHeadsByteForByte() throws IOException {
        byte[] json = HeadBytes.builtIn("intent");
        SoftmaxHead head = (SoftmaxHead) parsed(json);
        byte[] sha = HeadCache.sha256(json);
        byte[] copy = BuiltHeadCopy.write(head, sha);
        assertTrue(copy.length < json.length, "smaller than the JSON: " + copy.length);
        assertArrayEquals(json, written(BuiltHeadCopy.read(copy, sha), "intent.json"));
        byte[] otherSha = sha.clone();
        otherSha[31] ^= 1;
        assertNull(BuiltHeadCopy.read(copy, otherSha), "a copy of other JSON is not this head's");
        assertThrows(IOException.class, () -> BuiltHeadCopy.read(java.util.Arrays.copyOf(copy, copy.length - 3), sha));

        // the forms the shipped head does not use: a hidden layer, float lexical weights, no training, no oos score
        LexicalLayer lexical = new LexicalLayer(List.of("w:a", "w:b", "w:c"), new float[] {1f, 1.5f, 2f},
                new float[][] {{0.1f, -0.2f, 0.3f}, {-1e-7f, 0f, 7f}}, new float[] {0.5f, -0.5f}, 0.75);
        HiddenLayer hidden = new HiddenLayer(new float[][] {{1f, 2f}, {3f, -4f}, {0.25f, 0f}}, new float[] {0f, 1f, -1f}, HiddenLayer.RELU);
        SoftmaxHead mlp = new SoftmaxHead("mlp é", List.of("a", "b"), new float[][] {{1f, 2f, 3f}, {-1f, Float.MIN_VALUE, 0f}},
                new float[] {0.1f, 0.2f}, null, 0, null, null, hidden, lexical);
        byte[] mlpCopy = BuiltHeadCopy.write(mlp, sha);
        assertArrayEquals(written(mlp, "mlp-a.json"), written(BuiltHeadCopy.read(mlpCopy, sha), "mlp-b.json"));
    }

    @Test
    void aHeadFileIsReadFromItsNoteUntilTheFileChanges() throws IOException {
        byte[] json = HeadBytes.builtIn("intent");
        Path file = dir.resolve("head.json");
        Path cache = dir.resolve("cache");
        Files.write(file, json);
        sleepPastClockTick();
        Head first = HeadCache.read(file, null, "head", cache, 0);
        assertArrayEquals(json, written(first, "first.json"));
        Path note = HeadCache.notePath(file, null, cache);
        String sha = HeadCache.hex(HeadCache.sha256(json));
        assertTrue(Files.readString(note).endsWith(sha + "\n"), "note written");
        assertTrue(Files.isRegularFile(cache.resolve("heads").resolve(sha + ".v3.bin")), "built copy written");
        assertArrayEquals(json, written(HeadCache.read(file, null, "head", cache, 0), "second.json"));

        // the note is what is read: planted for this very stamp, it names another head's copy, and that head comes back
        byte[] otherJson = sameSizeOther(json);
        SoftmaxHead other = (SoftmaxHead) parsed(otherJson);
        byte[] otherSha = HeadCache.sha256(otherJson);
        Files.write(cache.resolve("heads").resolve(HeadCache.hex(otherSha) + ".v3.bin"), BuiltHeadCopy.write(other, otherSha));
        FileStamp.of(file).writeNote(note, HeadCache.NOTE_KIND + "\n", HeadCache.hex(otherSha));
        assertArrayEquals(written(parsed(otherJson), "other.json"), written(HeadCache.read(file, null, "head", cache, 0), "planted.json"));
        // a note naming anything but a SHA-256 is ignored (never a path outside the cache)
        FileStamp.of(file).writeNote(note, HeadCache.NOTE_KIND + "\n", "../../" + HeadCache.hex(otherSha));
        assertArrayEquals(json, written(HeadCache.read(file, null, "head", cache, 0), "odd-note.json"));
        FileStamp.of(file).writeNote(note, HeadCache.NOTE_KIND + "\n", sha); // back to the truth

        // a rewrite of the same size (same inode) is read from its JSON, never from the note of the old bytes
        sleepPastClockTick();
        Files.write(file, otherJson);
        assertArrayEquals(written(parsed(otherJson), "other.json"), written(HeadCache.read(file, null, "head", cache, 0), "changed.json"));
        // ... and the file changed just now gets no note with the default settling time (it could change again unseen)
        sleepPastClockTick();
        Files.write(file, json);
        Files.delete(note);
        assertArrayEquals(json, written(HeadFiles.readHead(file, cache), "fresh.json"));
        assertFalse(Files.exists(note), "no note for a file changed less than " + FileStamp.SETTLED_MILLIS + " ms ago");
    }

    @Test
    void aBuiltinHeadInAJarIsReadFromItsNoteUntilTheJarChanges() throws Exception {
        byte[] json = HeadBytes.builtIn("intent");
        byte[] otherJson = sameSizeOther(json);
        Path jar = dir.resolve("engine.jar");
        Path cache = dir.resolve("cache");
        writeJar(jar, json);
        sleepPastClockTick();
        assertArrayEquals(json, written(HeadCache.read(jar, ENTRY, ENTRY, cache, 0), "a.json"));
        Path note = HeadCache.notePath(jar, ENTRY, cache);
        assertTrue(Files.exists(note));
        assertNotEquals(note, HeadCache.notePath(jar, "ai/infer4j/engine/heads/other.json", cache), "one note per entry");
        assertArrayEquals(json, written(HeadCache.read(jar, ENTRY, ENTRY, cache, 0), "b.json"));

        sleepPastClockTick();
        writeJar(jar, otherJson); // a rebuilt jar of the same size, with another head
        assertArrayEquals(written(parsed(otherJson), "other.json"), written(HeadCache.read(jar, ENTRY, ENTRY, cache, 0), "c.json"));
        // through a class-path URL, as the engine reads its built-in heads
        URL url = new URL("jar:" + jar.toUri() + "!/" + ENTRY);
        assertArrayEquals(written(parsed(otherJson), "other.json"), written(HeadFiles.readHead(url, ENTRY, cache), "d.json"));
        // a jar replaced by a new file (another inode) with the old head: the old head again
        sleepPastClockTick();
        Path next = dir.resolve("engine.jar.new");
        writeJar(next, json);
        Files.move(next, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertArrayEquals(json, written(HeadFiles.readHead(url, ENTRY, cache), "e.json"));
    }

    @Test
    void pairHeadsAndUnreadableCopiesStillReadTheJson() throws IOException {
        byte[] json = HeadBytes.builtIn("duplicate");
        Path file = dir.resolve("duplicate.json");
        Path cache = dir.resolve("cache");
        Files.write(file, json);
        sleepPastClockTick();
        Head head = HeadCache.read(file, null, "duplicate", cache, 0);
        assertTrue(head instanceof PairHead);
        assertArrayEquals(written(parsed(json), "p1.json"), written(head, "p2.json"));
        assertFalse(Files.exists(HeadCache.notePath(file, null, cache)), "pair heads have no built copy");

        byte[] intent = HeadBytes.builtIn("intent");
        Path f2 = dir.resolve("intent.json");
        Files.write(f2, intent);
        sleepPastClockTick();
        HeadCache.read(f2, null, "intent", cache, 0);
        Path copy = cache.resolve("heads").resolve(HeadCache.hex(HeadCache.sha256(intent)) + ".v3.bin");
        Files.write(copy, "garbage".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(intent, written(HeadCache.read(f2, null, "intent", cache, 0), "i1.json"));
        assertEquals(BuiltHeadCopy.MAGIC.length, java.util.Arrays.mismatch(Files.readAllBytes(copy), BuiltHeadCopy.MAGIC),
                "the bad copy was replaced");
    }

    private static void writeJar(Path jar, byte[] head) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(file)) {
            ZipEntry e = new ZipEntry(ENTRY);
            e.setTime(0);
            zip.putNextEntry(e);
            zip.write(head);
            zip.closeEntry();
        }
    }
}
