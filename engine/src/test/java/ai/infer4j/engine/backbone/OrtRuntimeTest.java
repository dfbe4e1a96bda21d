package ai.infer4j.engine.backbone;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrtRuntimeTest {
    private static final List<TextInput> TEXTS = List.of(TextInput.of("I lost my card"),
            TextInput.of("what is the weather like in Paris tomorrow?"), TextInput.of("hi"));

    @Test
    void secondOpenReadsTheSavedGraphAndGivesTheSameVectors(@TempDir Path cache) throws Exception {
        EngineOptions options = TestEngine.options().withCacheDir(cache);
        BackboneFiles files = BackboneFiles.builtin(TestEngine.options().cacheDir());
        float[][] first;
        try (Backbone bb = Backbone.open(files, options)) {
            first = bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors();
        }
        Path saved = OrtRuntime.optimisedCopy(files.model(), cache);
        assertNotNull(saved);
        assertTrue(Files.isRegularFile(saved), "the optimised graph is saved on first open");
        try (Backbone bb = Backbone.open(files, options)) {
            float[][] second = bb.forward(bb.tokenizer().encodeAll(TEXTS)).vectors();
            for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i], 1e-5f);
        }
    }

    @Test
    void aDamagedCacheEntryIsDroppedAndTheModelStillOpens(@TempDir Path cache) throws Exception {
        Path model = TinyModels.sentimentClassifier(cache.resolve("m"), 1f, 0f).resolve("model.onnx");
        Path saved = OrtRuntime.optimisedCopy(model, cache);
        Files.createDirectories(saved.getParent());
        Files.writeString(saved, "not an onnx model");
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
