package ai.infer4j.engine.backbone;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.tokenize.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PoolingTest {
    /** Two rows of 3 token states, 2 wide; row 0 has 3 real tokens, row 1 has 2 (its third is padding). */
    private static final float[] STATES = {
            3, 4, /**/ 1, 0, /**/ 0, 1,
            0, -2, /**/ 6, 8, /**/ 100, 100};

    @Test
    void clsPoolingTakesTheFirstTokenOfEachRowNormalised() {
        float[][] v = Pooling.clsPool(FloatBuffer.wrap(STATES), 2, 3, 2);
        assertArrayEquals(new float[] {0.6f, 0.8f}, v[0], 1e-6f);
        assertArrayEquals(new float[] {0f, -1f}, v[1], 1e-6f);
    }

    @Test
    void meanPoolingAveragesOnlyTheRealTokens() {
        List<Tokens> batch = List.of(tokens(3), tokens(2));
        float[][] v = Pooling.meanPool(FloatBuffer.wrap(STATES), batch, 3, 2);
        // row 0: mean (4/3, 5/3) -> (4, 5)/sqrt(41); row 1: mean (3, 3) -> (1, 1)/sqrt(2), the padding's (100, 100) left out
        assertArrayEquals(new float[] {(float) (4 / Math.sqrt(41)), (float) (5 / Math.sqrt(41))}, v[0], 1e-6f);
        assertArrayEquals(new float[] {(float) (1 / Math.sqrt(2)), (float) (1 / Math.sqrt(2))}, v[1], 1e-6f);
    }

    @Test
    void clsMeanPoolingPutsBothHalvesSideBySideAtUnitLength() {
        float[][] v = Pooling.clsMeanPool(FloatBuffer.wrap(STATES), List.of(tokens(3), tokens(2)), 3, 2);
        float h = (float) Math.sqrt(0.5);
        assertArrayEquals(new float[] {0.6f * h, 0.8f * h, (float) (4 / Math.sqrt(41)) * h, (float) (5 / Math.sqrt(41)) * h}, v[0], 1e-6f);
        assertArrayEquals(new float[] {0f, -h, 0.5f, 0.5f}, v[1], 1e-6f);
    }

    @Test
    void aSentenceTransformersPoolingFileChoosesThePooling(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("1_Pooling").resolve("config.json");
        assertEquals(PoolingMode.MEAN, BackboneFiles.poolingOf(cfg), "no file: mean");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        assertEquals(PoolingMode.CLS, BackboneFiles.poolingOf(cfg));
        Files.writeString(cfg, "{\"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true}");
        assertEquals(PoolingMode.MEAN, BackboneFiles.poolingOf(cfg));
        Files.writeString(cfg, "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": true}");
        assertEquals(PoolingMode.CLS_MEAN, BackboneFiles.poolingOf(cfg));
        Files.writeString(cfg, "{\"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": false, \"pooling_mode_max_tokens\": true}");
        var e = assertThrows(ModelLoadException.class, () -> BackboneFiles.poolingOf(cfg));
        assertEquals(cfg + " asks for a pooling infer4j does not do (it does mean_tokens, cls_token, or both)", e.getMessage());
    }

    @Test
    void builtinNamesResolveWithOrWithoutThePrefixAndUnknownOnesAreRefusedByName(@TempDir Path cache) {
        assertEquals(true, BackboneFiles.isBuiltin("builtin"));
        assertEquals(true, BackboneFiles.isBuiltin("bge-small-en-v1.5"));
        assertEquals(true, BackboneFiles.isBuiltin("builtin:bge-small-en-v1.5"));
        assertEquals(false, BackboneFiles.isBuiltin("bge-base-en-v1.5"));
        var e = assertThrows(ModelLoadException.class, () -> BackboneFiles.builtin("builtin:bge-base-en-v1.5", cache));
        assertEquals("unknown built-in backbone 'builtin:bge-base-en-v1.5'; known: [builtin:all-MiniLM-L6-v2, builtin:bge-small-en-v1.5]",
                e.getMessage());
    }

    private static Tokens tokens(int n) {
        long[] ids = new long[n];
        return new Tokens(ids, ids.clone(), false, 0);
    }
}
