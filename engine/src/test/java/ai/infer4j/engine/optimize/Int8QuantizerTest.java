package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
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
        Int8Quantizer.Result result = new Int8Quantizer(Int8Quantizer.Options.defaults()).quantize(fp32);
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
