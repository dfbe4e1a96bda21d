package ai.infer4j.engine.backbone;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.TinyModels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class OrtRuntimeTest {
    private static final List<TextInput> TEXTS = List.of(TextInput.of("I lost my card"),
            TextInput.of("what is the weather like in Paris tomorrow?"), TextInput.of("hi"));

    /** The prepacked copy is on by default; one test turns it off ({@code -Dinfer4j.prepacked=false}). */
    @AfterEach
    void prepackedDefault() {
        System.clearProperty(OrtRuntime.PREPACKED_PROPERTY);
    }

    @Test
    void switchedOffTheOrtFormatCopyServesAndNoPrepackedCopyIsWritten(@TempDir Path cache) throws Exception {
        System.setProperty(OrtRuntime.PREPACKED_PROPERTY, "false");
        EngineOptions options = TestEngine.options().withCacheDir(cache);
        BackboneFiles files = BackboneFiles.builtin(TestEngine.options().cacheDir());
        try (Backbone bb = Backbone.open(files, options)) {
            assertEquals(TEXTS.size(), bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors().length);
        }
        assertTrue(Files.isRegularFile(OrtRuntime.optimisedCopy(files.model(), cache)), "the ORT-format copy is saved");
        try (var entries = Files.list(cache.resolve("ort-optimised"))) {
            assertFalse(entries.anyMatch(p -> p.getFileName().toString().endsWith(".prepacked")), "no prepacked copy when switched off");
        }
    }

    @Test
    void secondOpenReadsTheSavedGraphAndGivesTheSameVectors(@TempDir Path cache) throws Exception {
        EngineOptions options = TestEngine.options().withCacheDir(cache);
        BackboneFiles files = BackboneFiles.builtin(TestEngine.options().cacheDir());
        float[][] first;
        try (Backbone bb = Backbone.open(files, options)) {
            first = bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors();
        }
        Path prepacked = OrtRuntime.prepackedCopy(files.model(), cache);
        Path saved = prepacked != null ? prepacked.resolve("model.onnx") : OrtRuntime.optimisedCopy(files.model(), cache);
        assertNotNull(saved);
        assertTrue(Files.isRegularFile(saved), "the optimised graph is saved on first open");
        try (Backbone bb = Backbone.open(files, options)) {
            float[][] second = bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors();
            for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i], 1e-5f);
        }
    }

    @Test
    void thePrepackedCopyIsWrittenOnceAndReused(@TempDir Path cache) throws Exception {
        EngineOptions options = TestEngine.options().withCacheDir(cache);
        BackboneFiles files = BackboneFiles.builtin(TestEngine.options().cacheDir());
        Path dir = OrtRuntime.prepackedCopy(files.model(), cache);
        assumeTrue(dir != null, "this CPU cannot be named (no /proc/cpuinfo): no prepacked copy");
        float[][] first = vectors(files, options);
        Path graph = dir.resolve("model.onnx");
        Path data = dir.resolve("model.onnx.data");
        assertTrue(Files.isRegularFile(graph) && Files.isRegularFile(data), "graph and data saved on first open");
        assertTrue(Files.size(data) > Files.size(files.model()) + (10 << 20),
                "the data file holds the weights and, beside them, their prepacked copies");
        assertFalse(Files.exists(OrtRuntime.optimisedCopy(files.model(), cache)), "no ORT-format copy beside it");
        Object inode = Files.readAttributes(data, BasicFileAttributes.class).fileKey();
        FileTime written = Files.getLastModifiedTime(data);
        Thread.sleep(20);
        float[][] second = vectors(files, options);
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i], 0f);
        assertEquals(inode, Files.readAttributes(data, BasicFileAttributes.class).fileKey(), "reused, not rewritten");
        assertEquals(written, Files.getLastModifiedTime(data));
    }

    @Test
    void aDamagedPrepackedCopyFallsBackToTheOrtFormatAndIsWrittenAgain(@TempDir Path cache) throws Exception {
        EngineOptions options = TestEngine.options().withCacheDir(cache);
        BackboneFiles files = BackboneFiles.builtin(TestEngine.options().cacheDir());
        Path dir = OrtRuntime.prepackedCopy(files.model(), cache);
        assumeTrue(dir != null, "this CPU cannot be named (no /proc/cpuinfo): no prepacked copy");
        float[][] prepacked = vectors(files, options);
        Path graph = dir.resolve("model.onnx");
        Path data = dir.resolve("model.onnx.data");

        Files.writeString(graph, "not an onnx model");
        float[][] fallback = vectors(files, options); // from the ORT-format copy, the form used before prepacking
        for (int i = 0; i < prepacked.length; i++) assertArrayEquals(fallback[i], prepacked[i], 1e-5f);
        assertTrue(Files.notExists(dir), "the damaged copy is deleted");
        assertTrue(Files.isRegularFile(OrtRuntime.optimisedCopy(files.model(), cache)), "the ORT-format copy served");

        float[][] rewritten = vectors(files, options);
        for (int i = 0; i < prepacked.length; i++) assertArrayEquals(prepacked[i], rewritten[i], 0f);
        assertTrue(Files.isRegularFile(graph) && Files.isRegularFile(data), "written again");

        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4096); // the last prepacked blob cut short: ONNX Runtime refuses it (no crash)
        }
        float[][] afterTruncation = vectors(files, options);
        for (int i = 0; i < prepacked.length; i++) assertArrayEquals(fallback[i], afterTruncation[i], 0f);
        assertTrue(Files.notExists(dir), "the truncated copy is deleted");

        vectors(files, options); // written again
        Files.delete(data);
        float[][] withoutData = vectors(files, options);
        for (int i = 0; i < prepacked.length; i++) assertArrayEquals(fallback[i], withoutData[i], 0f);
        assertTrue(Files.notExists(dir), "a copy without its data file is deleted");

        vectors(files, options); // written again
        Files.delete(graph); // a data file without its graph: replaced by a new copy
        float[][] withoutGraph = vectors(files, options);
        for (int i = 0; i < prepacked.length; i++) assertArrayEquals(prepacked[i], withoutGraph[i], 0f);
        assertTrue(Files.isRegularFile(graph) && Files.isRegularFile(data), "written again over the leftover data");
    }

    private static float[][] vectors(BackboneFiles files, EngineOptions options) {
        try (Backbone bb = Backbone.open(files, options)) {
            return bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors();
        }
    }

    @Test
    void aDamagedCacheEntryIsDroppedAndTheModelStillOpens(@TempDir Path cache) throws Exception {
        Path model = TinyModels.sentimentClassifier(cache.resolve("m"), 1f, 0f).resolve("model.onnx");
        Path saved = OrtRuntime.optimisedCopy(model, cache);
        Files.createDirectories(saved.getParent());
        Files.writeString(saved, "not an onnx model");
        Path prepacked = OrtRuntime.prepackedCopy(model, cache);
        if (prepacked != null) Files.writeString(prepacked, "not a directory"); // so no prepacked copy can be written
        try (Backbone bb = Backbone.open(BackboneFiles.ofDirectory(model.getParent()), TestEngine.options().withCacheDir(cache))) {
            assertEquals(2, bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors()[0].length);
        }
        assertTrue(Files.notExists(saved) || Files.size(saved) != "not an onnx model".length(), "damaged entry replaced or gone");
    }

    @Test
    void theKeyIsTheContentNotThePath(@TempDir Path dir) throws Exception {
        Path a = TinyModels.sentimentClassifier(dir.resolve("a"), 1f, 0f).resolve("model.onnx");
        Path b = TinyModels.sentimentClassifier(dir.resolve("b"), 1f, 0f).resolve("model.onnx");
        assertEquals(OrtRuntime.optimisedCopy(a, dir), OrtRuntime.optimisedCopy(b, dir), "same bytes, same entry");
        Files.write(b, new byte[] {1}, StandardOpenOption.APPEND);
        assertNotEquals(OrtRuntime.optimisedCopy(a, dir), OrtRuntime.optimisedCopy(b, dir), "other bytes, other entry");
    }

    @Test
    void aRememberedChecksumIsUsedOnlyWhileTheFileIsUnchanged(@TempDir Path dir) throws Exception {
        Path model = TinyModels.sentimentClassifier(dir.resolve("m"), 1f, 0f).resolve("model.onnx");
        Path cache = dir.resolve("cache");
        Path key = OrtRuntime.optimisedCopy(model, cache, 0);
        Path notes = cache.resolve("ort-optimised").resolve("crc");
        Path note;
        try (var files = Files.list(notes)) {
            note = files.findFirst().orElseThrow();
        }
        assertEquals(key, OrtRuntime.optimisedCopy(model, cache, 0), "the note gives the same key");

        // a note whose stamp matches is trusted (no hashing): a planted checksum moves the key
        String text = Files.readString(note);
        String planted = text.substring(0, text.lastIndexOf('\n', text.length() - 2) + 1) + "123abc\n";
        Files.writeString(note, planted);
        assertNotEquals(key, OrtRuntime.optimisedCopy(model, cache, 0), "a matching stamp is trusted");

        // the same number of bytes rewritten: a new ctime, so the planted note no longer applies
        Thread.sleep(20);
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, bytes);
        assertEquals(key, OrtRuntime.optimisedCopy(model, cache, 0), "same bytes again: hashed, same key");
        bytes[bytes.length - 1] ^= 1;
        Thread.sleep(20);
        Files.write(model, bytes);
        assertNotEquals(key, OrtRuntime.optimisedCopy(model, cache, 0), "other bytes of the same size: another key");
    }

    @Test
    void noChecksumIsRememberedForAFileChangedJustNow(@TempDir Path dir) throws Exception {
        Path model = TinyModels.sentimentClassifier(dir.resolve("m"), 1f, 0f).resolve("model.onnx");
        assertNotNull(OrtRuntime.optimisedCopy(model, dir.resolve("cache")));
        assertTrue(Files.notExists(dir.resolve("cache").resolve("ort-optimised").resolve("crc")),
                "a file written in the last 2 s could change again within its timestamp's granularity");
    }

    @Test
    void nativeLibrariesAreUnpackedOnceIntoTheCache(@TempDir Path cache) throws Exception {
        Path dir = OrtRuntime.unpackNativeLibraries(cache);
        assertNotNull(dir, "ONNX Runtime's jar carries this platform's libraries");
        assertTrue(dir.startsWith(cache));
        try (var libs = Files.list(dir)) {
            assertTrue(libs.anyMatch(p -> p.getFileName().toString().contains("onnxruntime4j_jni")));
        }
        long modified = Files.getLastModifiedTime(dir.resolve(System.mapLibraryName("onnxruntime"))).toMillis();
        Thread.sleep(20);
        assertEquals(dir, OrtRuntime.unpackNativeLibraries(cache));
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve(System.mapLibraryName("onnxruntime"))).toMillis(),
                "a second call reuses the unpacked files");
    }
}
