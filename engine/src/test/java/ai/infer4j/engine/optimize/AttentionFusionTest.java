package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.OperatorSetIdProto;
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
import java.util.List;
import java.util.Map;
import java.util.Random;

import static ai.infer4j.engine.optimize.GraphBuilder.intAttr;
import static ai.infer4j.engine.optimize.GraphBuilder.intsAttr;
import static org.assertj.core.api.Assertions.assertThat;

class AttentionFusionTest {
    private static final int B = 3, S = 5, HEADS = 4, SIZE = 8, H = HEADS * SIZE;

    /**
     * One self-attention block as a BERT export looks after ONNX Runtime's extended optimization: Q/K/V projections
     * with biases, per-head Reshape + Transpose, FusedMatMul with the 1/sqrt(head size) scale, the additive mask
     * (1 - mask) * -10000, Softmax, the value MatMul, Transpose + Reshape back to [batch, seq, hidden].
     */
    private static ModelProto attention(long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("attention")
                .input("x", DataType.FLOAT, "batch", "seq", (long) H)
                .input("attention_mask", DataType.INT64, "batch", "seq")
                .initializer(OnnxModels.int64Tensor("heads_shape", new long[] {4}, new long[] {0, 0, HEADS, SIZE}))
                .initializer(OnnxModels.int64Tensor("out_shape", new long[] {3}, new long[] {0, 0, H}))
                .initializer(OnnxModels.int64Tensor("axis1", new long[] {1}, new long[] {1}))
                .initializer(OnnxModels.int64Tensor("axis2", new long[] {1}, new long[] {2}))
                .initializer(OnnxModels.floatTensor("one", new long[] {}, new float[] {1f}))
                .initializer(OnnxModels.floatTensor("filter", new long[] {}, new float[] {-10000f}));
        for (String w : List.of("wq", "wk", "wv"))
            b.initializer(OnnxModels.floatTensor(w, new long[] {H, H}, gaussian(r, H * H, 0.3f)))
                    .initializer(OnnxModels.floatTensor("b_" + w, new long[] {H}, gaussian(r, H, 0.1f)))
                    .node("MatMul", List.of("x", w), List.of(w + "_mm")).node("Add", List.of(w + "_mm", "b_" + w), List.of(w.substring(1)))
                    .node("Reshape", List.of(w.substring(1), "heads_shape"), List.of(w.substring(1) + "_heads"))
                    .node("Transpose", List.of(w.substring(1) + "_heads"), List.of(w.substring(1) + "_t"),
                            w.equals("wk") ? intsAttr("perm", 0, 2, 3, 1) : intsAttr("perm", 0, 2, 1, 3));
        b.node("Unsqueeze", List.of("attention_mask", "axis1"), List.of("m1"))
                .node("Unsqueeze", List.of("m1", "axis2"), List.of("m2"))
                .node("Cast", List.of("m2"), List.of("mf"), intAttr("to", DataType.FLOAT.getNumber()))
                .node("Sub", List.of("one", "mf"), List.of("inv"))
                .node("Mul", List.of("inv", "filter"), List.of("mask_bias"))
                .node("FusedMatMul", List.of("q_t", "k_t"), List.of("scores"), GraphBuilder.floatAttr("alpha", (float) (1 / Math.sqrt(SIZE))))
                .node("Add", List.of("scores", "mask_bias"), List.of("masked"))
                .node("Softmax", List.of("masked"), List.of("probs"), intAttr("axis", -1))
                .node("MatMul", List.of("probs", "v_t"), List.of("ctx"))
                .node("Transpose", List.of("ctx"), List.of("ctx_t"), intsAttr("perm", 0, 2, 1, 3))
                .node("Reshape", List.of("ctx_t", "out_shape"), List.of("y"))
                .output("y", DataType.FLOAT, "batch", "seq", (long) H);
        ModelProto m = b.build();
        var g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++)
            if (g.getNode(i).getOpType().equals("FusedMatMul")) g.setNode(i, g.getNode(i).toBuilder().setDomain(OnnxModels.MS_DOMAIN).build());
        return m.toBuilder().setGraph(g).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.MS_DOMAIN).setVersion(1)).build();
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * std;
        return v;
    }

    /** y for a fixed input with padding: row 0 full, row 1 has 2 padded positions, row 2 has 4. */
    private static float[] run(Path dir, String name, ModelProto m) throws OrtException {
        Path file = dir.resolve(name + ".onnx");
        OnnxModels.write(m, file);
        float[] x = gaussian(new Random(11), B * S * H, 1f);
        long[] mask = new long[B * S];
        for (int b = 0; b < B; b++) for (int s = 0; s < S - 2 * b; s++) mask[b * S + s] = 1;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(file.toString(), so);
                 OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {B, S, H});
                 OnnxTensor mt = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {B, S});
                 OrtSession.Result out = s.run(Map.of("x", xt, "attention_mask", mt))) {
                FloatBuffer fb = ((OnnxTensor) out.get(0)).getFloatBuffer();
                float[] y = new float[fb.remaining()];
                fb.get(y);
                return y;
            }
        }
    }

    private static double maxRelErr(float[] e, float[] a) {
        double maxAbs = 0, maxErr = 0;
        for (int i = 0; i < e.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(e[i]));
            maxErr = Math.max(maxErr, Math.abs(e[i] - a[i]));
        }
        return maxErr / maxAbs;
    }

    private static ModelProto quantized(String attention) {
        return new Int8Quantizer(Int8Quantizer.Options.defaults().withAttention(attention)).quantize(attention(7)).model();
    }

    @Test
    void qAttentionGivesWhatTheUnfusedQuantizedBlockGives(@TempDir Path dir) throws OrtException {
        Int8Quantizer.Result fused = new Int8Quantizer(Int8Quantizer.Options.defaults().withAttention("qattention")).quantize(attention(7));

        assertThat(fused.rewrites()).containsEntry("self-attention fused (qattention)", 1);
        assertThat(OnnxModels.opCounts(fused.model())).containsOnlyKeys("Cast", "DynamicQuantizeLinear", "com.microsoft.QAttention");
        float[] exact = run(dir, "fp32", attention(7)), unfused = run(dir, "int8", quantized("none")), q = run(dir, "qattention", fused.model());
        assertThat(maxRelErr(unfused, q)).as("QAttention vs the same int8 projection unfused").isLessThan(1e-3);
        assertThat(maxRelErr(exact, q)).as("QAttention vs float").isLessThan(0.05);
    }

    @Test
    void multiHeadAttentionGivesWhatTheUnfusedQuantizedBlockGives(@TempDir Path dir) throws OrtException {
        Int8Quantizer.Result fused = new Int8Quantizer(Int8Quantizer.Options.defaults().withAttention("mha")).quantize(attention(7));

        assertThat(fused.rewrites()).containsEntry("self-attention fused (mha)", 1);
        assertThat(OnnxModels.opCounts(fused.model())).containsOnlyKeys("Cast", "Split", "com.microsoft.DynamicQuantizeMatMul",
                "com.microsoft.MultiHeadAttention");
        float[] unfused = run(dir, "int8", quantized("none")), mha = run(dir, "mha", fused.model());
        assertThat(maxRelErr(unfused, mha)).as("MultiHeadAttention vs unfused").isLessThan(1e-4);
    }

    @Test
    void leavesABlockWithAnotherMaskFormAlone() {
        ModelProto m = attention(7);
        var g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) { // (mask - 1) * C is not the form matched
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Sub")) g.setNode(i, n.toBuilder().clearInput().addInput("mf").addInput("one").build());
        }
        Int8Quantizer.Result r = new Int8Quantizer(Int8Quantizer.Options.defaults().withAttention("qattention"))
                .quantize(m.toBuilder().setGraph(g).build());
        assertThat(r.rewrites()).doesNotContainKey("self-attention fused (qattention)");
        assertThat(OnnxModels.opCounts(r.model())).containsEntry("Softmax", 1);
    }
}
