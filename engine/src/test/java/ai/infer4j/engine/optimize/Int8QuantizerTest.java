package ai.infer4j.engine.optimize;

import ai.infer4j.engine.backbone.ModelSignature;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Random;

import static ai.infer4j.engine.optimize.GraphBuilder.intAttr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class Int8QuantizerTest {
    private static final int IN = 64, HIDDEN = 96, OUT = 32, BATCH = 8;

    /** x[batch, 64] -> MatMul(64x96) + bias -> Relu -> Gemm(transB, 32x96, bias) -> y[batch, 32]. */
    private static ModelProto mlp(long seed) {
        Random r = new Random(seed);
        return new GraphBuilder("mlp")
                .input("x", DataType.FLOAT, "batch", (long) IN)
                .initializer(OnnxModels.floatTensor("w1", new long[] {IN, HIDDEN}, gaussian(r, IN * HIDDEN, 0.2f)))
                .initializer(OnnxModels.floatTensor("b1", new long[] {HIDDEN}, gaussian(r, HIDDEN, 0.1f)))
                .initializer(OnnxModels.floatTensor("w2", new long[] {OUT, HIDDEN}, gaussian(r, OUT * HIDDEN, 0.2f)))
                .initializer(OnnxModels.floatTensor("b2", new long[] {OUT}, gaussian(r, OUT, 0.1f)))
                .node("MatMul", List.of("x", "w1"), List.of("h0"))
                .node("Add", List.of("h0", "b1"), List.of("h1"))
                .node("Relu", List.of("h1"), List.of("h2"))
                .node("Gemm", List.of("h2", "w2", "b2"), List.of("y"), intAttr("transB", 1))
                .output("y", DataType.FLOAT, "batch", (long) OUT)
                .build();
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * std;
        return v;
    }

    private static float[] run(Path model, float[] x) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), so);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {BATCH, IN});
                 OrtSession.Result out = s.run(Map.of("x", in))) {
                FloatBuffer fb = ((OnnxTensor) out.get(0)).getFloatBuffer();
                float[] y = new float[fb.remaining()];
                fb.get(y);
                return y;
            }
        }
    }

    @Test
    void quantizedGraphGivesOutputsWithinToleranceOfFloat(@TempDir Path dir) throws OrtException {
        ModelProto fp32 = mlp(7);
        Path f = dir.resolve("fp32.onnx"), q = dir.resolve("int8.onnx");
        OnnxModels.write(fp32, f);
        Int8Quantizer.Result result = new Int8Quantizer(Int8Quantizer.Options.defaults().withTokenScale(false)).quantize(fp32);
        OnnxModels.write(result.model(), q);

        assertThat(result.quantized()).isEqualTo(2);
        assertThat(result.biasesFolded()).isEqualTo(1);
        assertThat(OnnxModels.opCounts(result.model())).containsOnlyKeys("com.microsoft.DynamicQuantizeMatMul", "Relu");
        assertThat(result.int8WeightBytes()).isLessThan(result.floatWeightBytes() / 3);

        float[] x = gaussian(new Random(1), BATCH * IN, 1f);
        float[] expected = run(f, x), actual = run(q, x);
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
        }
        assertThat(maxErr / maxAbs).as("largest error relative to the largest output").isLessThan(0.05);
        assertThat(cosine(expected, actual)).isCloseTo(1.0, within(1e-3));
    }

    @Test
    void keepWidestLeavesTheWidestInputMatrixInFloat() {
        Int8Quantizer.Result r = new Int8Quantizer(Int8Quantizer.Options.defaults().withKeepWidest(true)).quantize(mlp(7));
        assertThat(r.quantized()).isEqualTo(1); // MatMul 64 -> 96 quantized; Gemm reading 96 kept
        assertThat(r.skipped()).containsEntry("widest input kept in float", 1);
        assertThat(OnnxModels.opCounts(r.model())).containsEntry("Gemm", 1).containsEntry("com.microsoft.DynamicQuantizeMatMul", 1);
    }

    /** x[batch, 64] -> three feed-forward layers, each MatMul(64x128) -> Relu -> MatMul(128x64) -> y[batch, 64]. */
    private static ModelProto stack(long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("stack").input("x", DataType.FLOAT, "batch", (long) IN);
        String in = "x";
        for (int l = 0; l < 3; l++) {
            String out = l == 2 ? "y" : "y" + l;
            b.initializer(OnnxModels.floatTensor("wu" + l, new long[] {IN, 2 * IN}, gaussian(r, 2 * IN * IN, 0.15f)))
                    .initializer(OnnxModels.floatTensor("wd" + l, new long[] {2 * IN, IN}, gaussian(r, 2 * IN * IN, 0.15f)))
                    .node("MatMul", List.of(in, "wu" + l), List.of("u" + l)).node("Relu", List.of("u" + l), List.of("a" + l))
                    .node("MatMul", List.of("a" + l, "wd" + l), List.of(out));
            in = out;
        }
        return b.output("y", DataType.FLOAT, "batch", (long) IN).build();
    }

    @Test
    void floatWidestKeepsOnlyTheGivenDownProjectionInFloatAndStaysCloseToFloat(@TempDir Path dir) throws OrtException {
        ModelProto fp32 = stack(11);
        Int8Quantizer q = new Int8Quantizer(Int8Quantizer.Options.defaults().withFloatWidest(List.of(1)));
        assertThat(q.widestCount(fp32)).isEqualTo(3);
        Int8Quantizer.Result r = q.quantize(fp32);
        assertThat(r.quantized()).isEqualTo(5);
        assertThat(r.skipped()).containsEntry("widest input kept in float at the positions asked for", 1);
        assertThat(r.model().getGraph().getNodeList()).filteredOn(n -> n.getOpType().equals("MatMul"))
                .singleElement().satisfies(n -> assertThat(n.getInput(1)).isEqualTo("wd1"));

        Path f = dir.resolve("fp32.onnx"), i8 = dir.resolve("int8.onnx"), all = dir.resolve("all-int8.onnx");
        OnnxModels.write(fp32, f);
        OnnxModels.write(r.model(), i8);
        OnnxModels.write(new Int8Quantizer(Int8Quantizer.Options.defaults()).quantize(fp32).model(), all);
        float[] x = gaussian(new Random(2), BATCH * IN, 1f);
        float[] expected = run(f, x), actual = run(i8, x), allInt8 = run(all, x);
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
        }
        assertThat(maxErr / maxAbs).as("largest error relative to the largest output").isLessThan(0.05);
        assertThat(cosine(expected, actual)).isGreaterThan(0.999);
        assertThat(cosine(expected, actual)).as("one matrix fewer in int8 is closer to float").isGreaterThanOrEqualTo(cosine(expected, allInt8));
        // positions past the end are ignored; all alike (no widest) counts none
        assertThat(new Int8Quantizer(Int8Quantizer.Options.defaults().withFloatWidest(List.of(7))).quantize(fp32).quantized()).isEqualTo(6);
        assertThat(new Int8Quantizer(Int8Quantizer.Options.defaults()).widestCount(mlp(7))).isEqualTo(1);
    }

    @Test
    void columnScalesMapEachColumnsLargestWeightToTheIntegerLimit() {
        float[] w = {0.5f, -2f, -0.25f, 1f}; // [2, 2]: column 0 = {0.5, -0.25}, column 1 = {-2, 1}
        Int8Quantizer.Quantized q = Int8Quantizer.quantizeColumns(w, 2, 2, 127);
        assertThat(q.scales()).containsExactly(0.5f / 127, 2f / 127);
        assertThat(q.values()).containsExactly((byte) 127, (byte) -127, (byte) -64, (byte) 64);
    }

    @Test
    void leavesMatMulOfTwoActivationsInFloat() {
        ModelProto m = new GraphBuilder("qk")
                .input("a", DataType.FLOAT, 4L, 8L).input("b", DataType.FLOAT, 8L, 4L)
                .node("MatMul", List.of("a", "b"), List.of("c"))
                .output("c", DataType.FLOAT, 4L, 4L).build();
        Int8Quantizer.Result r = new Int8Quantizer(Int8Quantizer.Options.defaults()).quantize(m);
        assertThat(r.quantized()).isZero();
        assertThat(r.skipped()).containsEntry("right-hand side is not a constant", 1);
        assertThat(r.model()).isEqualTo(m);
    }

    private static final int H = 32, FF = 128, VOCAB = 300, SEQ = 6;

    /**
     * A transformer block in miniature: embedding look-up, LayerNorm, Q/K/V projections reading one activation,
     * an output projection with a residual LayerNorm, a feed-forward pair (ReLU) with a residual LayerNorm.
     * Outputs every stage, so each rewritten op can be checked.
     */
    private static ModelProto block(long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("block")
                .input("input_ids", DataType.INT64, "batch", "seq")
                .input("attention_mask", DataType.INT64, "batch", "seq")
                .initializer(OnnxModels.floatTensor("table", new long[] {VOCAB, H}, gaussian(r, VOCAB * H, 0.5f)));
        for (String w : List.of("wq", "wk", "wv", "wo"))
            b.initializer(OnnxModels.floatTensor(w, new long[] {H, H}, gaussian(r, H * H, 0.2f)))
                    .initializer(OnnxModels.floatTensor("b_" + w, new long[] {H}, gaussian(r, H, 0.1f)));
        b.initializer(OnnxModels.floatTensor("wu", new long[] {H, FF}, gaussian(r, H * FF, 0.2f)))
                .initializer(OnnxModels.floatTensor("b_wu", new long[] {FF}, gaussian(r, FF, 0.1f)))
                .initializer(OnnxModels.floatTensor("wd", new long[] {FF, H}, gaussian(r, FF * H, 0.1f)))
                .initializer(OnnxModels.floatTensor("b_wd", new long[] {H}, gaussian(r, H, 0.1f)));
        for (int i = 0; i < 3; i++)
            b.initializer(OnnxModels.floatTensor("g" + i, new long[] {H}, ones(H)))
                    .initializer(OnnxModels.floatTensor("beta" + i, new long[] {H}, new float[H]));
        b.node("Gather", List.of("table", "input_ids"), List.of("emb"))
                .node("LayerNormalization", List.of("emb", "g0", "beta0"), List.of("h0"), GraphBuilder.floatAttr("epsilon", 1e-5f));
        for (String w : List.of("wq", "wk", "wv"))
            b.node("MatMul", List.of("h0", w), List.of(w + "_mm")).node("Add", List.of(w + "_mm", "b_" + w), List.of(w.substring(1)));
        b.node("MatMul", List.of("v", "wo"), List.of("o_mm")).node("Add", List.of("o_mm", "b_wo"), List.of("o"))
                .node("Add", List.of("o", "h0"), List.of("res1"))
                .node("LayerNormalization", List.of("res1", "g1", "beta1"), List.of("h1"), GraphBuilder.floatAttr("epsilon", 1e-5f))
                .node("MatMul", List.of("h1", "wu"), List.of("u_mm")).node("Add", List.of("u_mm", "b_wu"), List.of("u"))
                .node("Relu", List.of("u"), List.of("act"))
                .node("MatMul", List.of("act", "wd"), List.of("d_mm")).node("Add", List.of("d_mm", "b_wd"), List.of("d"))
                .node("Add", List.of("d", "h1"), List.of("res2"))
                .node("LayerNormalization", List.of("res2", "g2", "beta2"), List.of("h2"), GraphBuilder.floatAttr("epsilon", 1e-5f));
        for (String o : STAGES) b.output(o, DataType.FLOAT, "batch", "seq", (long) (o.equals("act") ? FF : H));
        return b.build();
    }

    private static final List<String> STAGES = List.of("emb", "q", "k", "v", "h1", "act", "h2");

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    private static List<Tokens> tokens(long seed, int n) {
        Random r = new Random(seed);
        List<Tokens> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] ids = new long[SEQ];
            for (int j = 0; j < SEQ; j++) ids[j] = r.nextInt(VOCAB);
            t.add(new Tokens(ids, new long[SEQ], false, 0));
        }
        return t;
    }

    /** Every stage's output of {@code model} for {@code tokens} (one batch). */
    private static Map<String, float[]> stages(Path model, List<Tokens> tokens) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] ids = new long[tokens.size() * SEQ], mask = new long[ids.length];
        for (int i = 0; i < tokens.size(); i++) System.arraycopy(tokens.get(i).ids(), 0, ids, i * SEQ, SEQ);
        Arrays.fill(mask, 1);
        long[] shape = {tokens.size(), SEQ};
        Map<String, float[]> out = new LinkedHashMap<>();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), so);
                 OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                 OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                 OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", m))) {
                for (String name : STAGES) {
                    FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
                    float[] v = new float[fb.remaining()];
                    fb.get(v);
                    out.put(name, v);
                }
            }
        }
        return out;
    }

    private static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, double maxRelErr) {
        for (String name : STAGES) {
            float[] e = expected.get(name), a = actual.get(name);
            double maxAbs = 0, maxErr = 0;
            for (int i = 0; i < e.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(e[i]));
                maxErr = Math.max(maxErr, Math.abs(e[i] - a[i]));
            }
            assertThat(maxErr / maxAbs).as("largest error of '%s' relative to its largest value", name).isLessThan(maxRelErr);
            assertThat(cosine(e, a)).as("cosine of '%s'", name).isGreaterThan(0.999);
        }
    }

    @Test
    void everyRewrittenOpOfATransformerBlockStaysCloseToFloat(@TempDir Path dir) throws OrtException {
        ModelProto fp32 = block(3);
        Path f = dir.resolve("fp32.onnx"), q = dir.resolve("int8.onnx");
        OnnxModels.write(fp32, f);
        Int8Quantizer.Options o = Int8Quantizer.Options.defaults().withEmbeddingRows(100).withTokenScale(true);
        Int8Quantizer.Result result = new Int8Quantizer(o).quantize(fp32);
        OnnxModels.write(result.model(), q);

        assertThat(result.quantized()).isEqualTo(6);
        assertThat(result.rewrites()).containsEntry("MatMuls merged (groups reading one activation)", 1)
                .containsEntry("embedding tables in int8", 1)
                .containsEntry("Add + LayerNormalization fused (SkipLayerNormalization)", 2)
                .containsEntry("per-token activation ranges", 1);
        assertThat(OnnxModels.opCounts(result.model())).containsEntry("com.microsoft.DynamicQuantizeMatMul", 4)
                .containsEntry("Split", 1).containsEntry("com.microsoft.SkipLayerNormalization", 2)
                .containsEntry("LayerNormalization", 1).doesNotContainKey("MatMul");
        assertThat(result.model().getGraph().getInitializerList()).noneMatch(t -> t.getName().equals("table"));
        assertThat(result.int8WeightBytes()).isLessThan(result.floatWeightBytes() / 3);

        List<Tokens> input = tokens(5, 4);
        assertClose(stages(f, input), stages(q, input), 0.05);
    }

    @Test
    void smoothingWithCalibratedRangesKeepsTheBlockCloseToFloat(@TempDir Path dir) throws OrtException {
        ModelProto fp32 = block(3);
        Path f = dir.resolve("fp32.onnx"), q = dir.resolve("int8.onnx");
        OnnxModels.write(fp32, f);
        ModelSignature sig = new ModelSignature("input_ids", "attention_mask", null, "h2", ModelSignature.OutputKind.TOKEN_EMBEDDINGS, H);
        Set<String> inputs = ActivationStats.weightMatMulInputs(fp32);
        assertThat(inputs).containsExactly("h0", "v", "h1", "act");
        Map<String, float[]> max = ActivationStats.channelMax(fp32, inputs, sig, tokens(9, 16), 8);
        Map<String, float[]> exact = stages(f, tokens(9, 16));
        for (String name : List.of("h1", "act")) { // the calibrated maxima are the true per-channel maxima
            float[] v = exact.get(name), m = max.get(name);
            float[] want = new float[m.length];
            for (int i = 0; i < v.length; i++) want[i % m.length] = Math.max(want[i % m.length], Math.abs(v[i]));
            for (int c = 0; c < m.length; c++) assertThat(m[c]).isCloseTo(want[c], within(1e-4f * (1 + want[c])));
        }

        Int8Quantizer.Result result = new Int8Quantizer(Int8Quantizer.Options.defaults().withSmoothing(0.5, true)).quantize(fp32, max);
        OnnxModels.write(result.model(), q);
        assertThat(result.rewrites()).containsEntry("activations smoothed (SmoothQuant)", 4);
        List<Tokens> input = tokens(5, 4);
        assertClose(stages(f, input), stages(q, input), 0.05);
    }

    @Test
    void smoothingLeavesTheProductUnchanged() {
        float[] w = {1f, 2f, -3f, 4f, 0.5f, -0.5f}; // [3, 2]
        float[] x = {8f, -0.5f, 2f};
        float[] ws = w.clone();
        float[] inv = Int8Quantizer.smooth(ws, 3, 2, new float[] {8f, 0.5f, 2f}, 0.5);
        for (int c = 0; c < 2; c++) {
            double plain = 0, smoothed = 0;
            for (int j = 0; j < 3; j++) {
                plain += x[j] * w[j * 2 + c];
                smoothed += x[j] * inv[j] * ws[j * 2 + c];
            }
            assertThat(smoothed).isCloseTo(plain, within(1e-5));
        }
        assertThat(inv[0]).isLessThan(inv[1]); // the outlier channel is divided the most
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
