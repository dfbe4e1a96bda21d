package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Replaces the self-attention subgraph of a BERT-style export (as ONNX Runtime's {@code extended} level leaves it,
 * after {@link Int8Quantizer} has merged Q/K/V) with one ONNX Runtime contrib operator:
 * <pre>
 *   q, k, v  -> Reshape [.., N, H] -> Transpose            (q: 0213, k: 0231, v: 0213)
 *   FusedMatMul(q, k, alpha) -> Add(mask bias) -> Softmax -> MatMul(., v) -> Transpose 0213 -> Reshape [.., N*H]
 *   mask bias = (1 - Cast(Unsqueeze(attention_mask))) * C
 * </pre>
 * becomes {@code com.microsoft.MultiHeadAttention(q, k, v, key_padding_mask)} ({@link Kind#MHA}), or, when q, k and v
 * come from one merged {@code DynamicQuantizeMatMul} + {@code Split}, {@code DynamicQuantizeLinear} +
 * {@code com.microsoft.QAttention} over the same int8 weights reordered to Q, K, V ({@link Kind#QATTENTION}): the
 * projection, the per-head split and the attention run in one kernel. The mask goes in once as int32 with
 * {@code mask_filter_value = C}. A block that does not match exactly is left as it is. Stateless.
 */
final class AttentionFusion {
    /** Which fused operator to write. */
    enum Kind {
        /** keep the unfused subgraph */
        NONE,
        /** {@code com.microsoft.MultiHeadAttention} after the (quantized) Q/K/V projections */
        MHA,
        /** {@code com.microsoft.QAttention}: int8 Q/K/V projection and attention in one operator */
        QATTENTION;

        static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("attention fusion must be none, mha or qattention, got '" + s + "'");
            }
        }
    }

    private final List<NodeProto> nodes;
    private final Map<String, TensorProto> inits;
    private final Map<String, TensorProto> added;
    private final Set<String> graphInputs;
    private final Set<String> graphOutputs;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Set<Integer> dropped = new HashSet<>();
    private final Map<Integer, NodeProto> replaced = new HashMap<>();
    private String maskInt32;
    private NodeProto maskCast;

    private AttentionFusion(List<NodeProto> nodes, Map<String, TensorProto> inits, Map<String, TensorProto> added,
                            Set<String> graphInputs, Set<String> graphOutputs) {
        this.nodes = nodes;
        this.inits = inits;
        this.added = added;
        this.graphInputs = graphInputs;
        this.graphOutputs = graphOutputs;
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).getOutputList()) producer.put(o, i);
            for (String in : nodes.get(i).getInputList()) consumers.computeIfAbsent(in, x -> new ArrayList<>()).add(i);
        }
    }

    /**
     * Fuses every matching attention block of {@code nodes} in place; new weight tensors go to {@code added}.
     * Returns the number of blocks fused.
     */
    static int fuse(Kind kind, List<NodeProto> nodes, Map<String, TensorProto> inits, Map<String, TensorProto> added,
                    Set<String> graphInputs, Set<String> graphOutputs) {
        if (kind == Kind.NONE) return 0;
        AttentionFusion f = new AttentionFusion(nodes, inits, added, graphInputs, graphOutputs);
        int fused = 0;
        for (int i = 0; i < nodes.size(); i++)
            if (nodes.get(i).getOpType().equals("Softmax") && isOnnx(nodes.get(i)) && f.fuseAt(kind, i)) fused++;
        if (fused == 0) return 0;
        List<NodeProto> out = new ArrayList<>();
        out.add(f.maskCast);
        for (int i = 0; i < nodes.size(); i++) {
            if (f.replaced.containsKey(i)) out.add(f.replaced.get(i));
            else if (!f.dropped.contains(i)) out.add(nodes.get(i));
        }
        removeDead(out, graphOutputs);
        nodes.clear();
        nodes.addAll(out);
        return fused;
    }

    /** One attention block, matched backwards and forwards from its Softmax. */
    private boolean fuseAt(Kind kind, int softmax) {
        NodeProto s = nodes.get(softmax);
        long axis = OnnxModels.intAttr(s, "axis", -1);
        if (axis != -1 && axis != 3) return false;
        Integer addIdx = single(s.getInput(0), "Add");
        if (addIdx == null) return false;
        NodeProto add = nodes.get(addIdx);
        Integer mm = null;
        String maskBias = null;
        for (int j = 0; j < 2; j++) {
            Integer p = producer.get(add.getInput(j));
            if (p != null && nodes.get(p).getOpType().equals("FusedMatMul") && once(add.getInput(j))) {
                mm = p;
                maskBias = add.getInput(1 - j);
            }
        }
        if (mm == null) return false;
        NodeProto qk = nodes.get(mm);
        if (OnnxModels.intAttr(qk, "transA", 0) != 0 || OnnxModels.intAttr(qk, "transB", 0) != 0
                || OnnxModels.intAttr(qk, "transBatchA", 0) != 0 || OnnxModels.intAttr(qk, "transBatchB", 0) != 0) return false;
        float scale = OnnxModels.floatAttr(qk, "alpha", 1f);
        Head q = head(qk.getInput(0), 0, 2, 1, 3), k = head(qk.getInput(1), 0, 2, 3, 1);
        List<Integer> sUsers = consumers.getOrDefault(s.getOutput(0), List.of());
        if (q == null || k == null || sUsers.size() != 1 || graphOutputs.contains(s.getOutput(0))) return false;
        int pvIdx = sUsers.get(0);
        NodeProto pv = nodes.get(pvIdx);
        if (!pv.getOpType().equals("MatMul") || !isOnnx(pv) || !pv.getInput(0).equals(s.getOutput(0))) return false;
        Head v = head(pv.getInput(1), 0, 2, 1, 3);
        Integer t3 = onlyUser(pv.getOutput(0), "Transpose");
        if (v == null || t3 == null || !perm(nodes.get(t3), 0, 2, 1, 3)) return false;
        Integer r3 = onlyUser(nodes.get(t3).getOutput(0), "Reshape");
        if (r3 == null) return false;
        long[] outShape = constLongs(nodes.get(r3).getInput(1));
        if (outShape == null || outShape.length != 3) return false;
        if (q.heads != k.heads || q.heads != v.heads || q.size != k.size || q.size != v.size) return false;
        float[] filter = new float[1];
        String mask = maskInput(maskBias, filter);
        if (mask == null) return false;

        String base = nodes.get(r3).getName().isEmpty() ? "attention_" + r3 : nodes.get(r3).getName().replaceAll("[^A-Za-z0-9_./-]", "_");
        String out = nodes.get(r3).getOutput(0);
        NodeProto fused;
        List<Integer> gone = new ArrayList<>(List.of(q.reshape, q.transpose, k.reshape, k.transpose, v.reshape, v.transpose,
                mm, addIdx, softmax, pvIdx, t3));
        if (kind == Kind.MHA) {
            fused = NodeProto.newBuilder().setOpType("MultiHeadAttention").setDomain(OnnxModels.MS_DOMAIN).setName(base + "_mha")
                    .addInput(q.input).addInput(k.input).addInput(v.input).addInput("").addInput(maskName(mask))
                    .addOutput(out).addAttribute(GraphBuilder.intAttr("num_heads", q.heads))
                    .addAttribute(GraphBuilder.floatAttr("scale", scale)).addAttribute(GraphBuilder.floatAttr("mask_filter_value", filter[0]))
                    .build();
        } else {
            fused = qAttention(base, q, k, v, scale, filter[0], mask, out, gone);
            if (fused == null) return false;
        }
        dropped.addAll(gone);
        replaced.put(r3, fused);
        return true;
    }

    /**
     * QAttention over the merged projection that feeds q, k and v through one Split: its int8 weights, scales and bias
     * reordered to [Q | K | V]; the activation quantized once by DynamicQuantizeLinear. Null when the producer is not
     * such a projection.
     */
    private NodeProto qAttention(String base, Head q, Head k, Head v, float scale, float filter, String mask, String out, List<Integer> gone) {
        Integer splitIdx = producer.get(q.input);
        if (splitIdx == null || !nodes.get(splitIdx).getOpType().equals("Split")) return null;
        NodeProto split = nodes.get(splitIdx);
        List<String> parts = split.getOutputList();
        if (parts.size() != 3 || !splitIdx.equals(producer.get(k.input)) || !splitIdx.equals(producer.get(v.input))) return null;
        for (String p : parts) if (consumers.getOrDefault(p, List.of()).size() != 1 || graphOutputs.contains(p)) return null;
        Integer dqIdx = single(split.getInput(0), "DynamicQuantizeMatMul");
        if (dqIdx == null) return null;
        NodeProto dq = nodes.get(dqIdx);
        if (dq.getInputCount() < 5 || dq.getInput(4).isEmpty()) return null;
        TensorProto w = tensor(dq.getInput(1)), ws = tensor(dq.getInput(2)), wz = tensor(dq.getInput(3)), b = tensor(dq.getInput(4));
        int hidden = q.heads * q.size;
        if (w == null || ws == null || wz == null || b == null || w.getDimsCount() != 2 || w.getDims(1) != 3L * hidden
                || w.getDataType() != TensorProto.DataType.INT8.getNumber() || OnnxModels.elements(ws) != 3L * hidden
                || OnnxModels.elements(b) != 3L * hidden) return null;
        for (byte z : wz.getRawData().toByteArray()) if (z != 0) return null;
        int[] order = {parts.indexOf(q.input), parts.indexOf(k.input), parts.indexOf(v.input)}; // source block of Q, K, V
        int rows = (int) w.getDims(0), cols = 3 * hidden;
        byte[] wv = w.getRawData().toByteArray(), wr = new byte[wv.length];
        float[] sv = OnnxModels.floats(ws), sr = new float[cols], bv = OnnxModels.floats(b), br = new float[cols];
        for (int dst = 0; dst < 3; dst++) {
            int from = order[dst] * hidden, to = dst * hidden;
            for (int r = 0; r < rows; r++) System.arraycopy(wv, r * cols + from, wr, r * cols + to, hidden);
            System.arraycopy(sv, from, sr, to, hidden);
            System.arraycopy(bv, from, br, to, hidden);
        }
        TensorProto nw = OnnxModels.int8Tensor(base + "_qkv_W_int8", new long[] {rows, cols}, wr);
        TensorProto ns = OnnxModels.floatTensor(base + "_qkv_W_scale", new long[] {cols}, sr);
        TensorProto nb = OnnxModels.floatTensor(base + "_qkv_bias", new long[] {cols}, br);
        added.put(nw.getName(), nw);
        added.put(ns.getName(), ns);
        added.put(nb.getName(), nb);
        gone.add(splitIdx);
        gone.add(dqIdx);
        NodeProto quant = NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName(base + "_quant_input").addInput(dq.getInput(0))
                .addOutput(base + "_x_u8").addOutput(base + "_x_scale").addOutput(base + "_x_zero_point").build();
        // DynamicQuantizeLinear goes where the projection was (its input is ready there), QAttention where the block ended
        replaced.put(dqIdx, quant);
        gone.remove(Integer.valueOf(dqIdx));
        return NodeProto.newBuilder().setOpType("QAttention").setDomain(OnnxModels.MS_DOMAIN).setName(base + "_qattention")
                .addInput(base + "_x_u8").addInput(nw.getName()).addInput(nb.getName()).addInput(base + "_x_scale").addInput(ns.getName())
                .addInput(maskName(mask)).addInput(base + "_x_zero_point")
                .addOutput(out).addAttribute(GraphBuilder.intAttr("num_heads", q.heads))
                .addAttribute(GraphBuilder.floatAttr("scale", scale)).addAttribute(GraphBuilder.floatAttr("mask_filter_value", filter))
                .build();
    }

    /** The int32 copy of the attention mask, made once. */
    private String maskName(String mask) {
        if (maskInt32 == null) {
            maskInt32 = mask + "_int32";
            maskCast = NodeProto.newBuilder().setOpType("Cast").setName(mask + "_to_int32").addInput(mask).addOutput(maskInt32)
                    .addAttribute(GraphBuilder.intAttr("to", TensorProto.DataType.INT32.getNumber())).build();
        }
        if (!maskInt32.equals(mask + "_int32")) throw new IllegalStateException("two attention masks: " + maskInt32 + ", " + mask);
        return maskInt32;
    }

    /** A head split: Reshape(input, [.., .., heads, size]) then Transpose(perm). */
    private record Head(String input, int heads, int size, int reshape, int transpose) { }

    private Head head(String name, long... perm) {
        Integer t = single(name, "Transpose");
        if (t == null || !perm(nodes.get(t), perm)) return null;
        Integer r = single(nodes.get(t).getInput(0), "Reshape");
        if (r == null) return null;
        long[] shape = constLongs(nodes.get(r).getInput(1));
        if (shape == null || shape.length != 4 || shape[2] <= 0 || shape[3] <= 0) return null;
        return new Head(nodes.get(r).getInput(0), (int) shape[2], (int) shape[3], r, t);
    }

    /**
     * The graph input behind {@code (1 - Cast(Unsqueeze(Unsqueeze(mask, 1), 2))) * C}, with C stored in {@code filter[0]};
     * null for any other form.
     */
    private String maskInput(String bias, float[] filter) {
        Integer mul = producer.get(bias);
        if (mul == null || !nodes.get(mul).getOpType().equals("Mul") || !isOnnx(nodes.get(mul))) return null;
        NodeProto m = nodes.get(mul);
        int c = constScalar(m.getInput(1)) != null ? 1 : constScalar(m.getInput(0)) != null ? 0 : -1;
        if (c < 0) return null;
        filter[0] = constScalar(m.getInput(c));
        Integer sub = producer.get(m.getInput(1 - c));
        if (sub == null || !nodes.get(sub).getOpType().equals("Sub")) return null;
        Float one = constScalar(nodes.get(sub).getInput(0));
        if (one == null || one != 1f) return null;
        Integer cast = producer.get(nodes.get(sub).getInput(1));
        if (cast == null || !nodes.get(cast).getOpType().equals("Cast")
                || OnnxModels.intAttr(nodes.get(cast), "to", 0) != TensorProto.DataType.FLOAT.getNumber()) return null;
        String x = nodes.get(cast).getInput(0);
        Set<Long> axes = new HashSet<>();
        while (producer.containsKey(x) && nodes.get(producer.get(x)).getOpType().equals("Unsqueeze")) {
            NodeProto u = nodes.get(producer.get(x));
            long[] a = u.getInputCount() > 1 ? constLongs(u.getInput(1))
                    : OnnxModels.attr(u, "axes").map(at -> at.getIntsList().stream().mapToLong(Long::longValue).toArray()).orElse(null);
            if (a == null) return null;
            for (long v : a) axes.add(v);
            x = u.getInput(0);
        }
        return graphInputs.contains(x) && axes.equals(Set.of(1L, 2L)) ? x : null;
    }

    /** The node producing {@code name} if it is an {@code op} whose output is read only once; else null. */
    private Integer single(String name, String op) {
        Integer p = producer.get(name);
        if (p == null || !nodes.get(p).getOpType().equals(op) || !once(name)) return null;
        return p;
    }

    private Integer onlyUser(String name, String op) {
        List<Integer> u = consumers.getOrDefault(name, List.of());
        if (u.size() != 1 || graphOutputs.contains(name) || !nodes.get(u.get(0)).getOpType().equals(op)) return null;
        return u.get(0);
    }

    private boolean once(String name) {
        return consumers.getOrDefault(name, List.of()).size() == 1 && !graphOutputs.contains(name);
    }

    private static boolean perm(NodeProto t, long... p) {
        return OnnxModels.attr(t, "perm").map(a -> a.getIntsList().equals(Arrays.stream(p).boxed().toList())).orElse(false);
    }

    private TensorProto tensor(String name) {
        return added.containsKey(name) ? added.get(name) : inits.get(name);
    }

    private long[] constLongs(String name) {
        TensorProto t = inits.get(name);
        if (t == null || t.getDataType() != TensorProto.DataType.INT64.getNumber()) return null;
        if (!t.hasRawData()) return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 8];
        b.asLongBuffer().get(v);
        return v;
    }

    private Float constScalar(String name) {
        TensorProto t = inits.get(name);
        if (t == null || t.getDataType() != TensorProto.DataType.FLOAT.getNumber() || OnnxModels.elements(t) != 1) return null;
        return OnnxModels.floats(t)[0];
    }

    private static boolean isOnnx(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    /** Drops nodes none of whose outputs is read (the mask arithmetic the fused operators no longer need), repeatedly. */
    private static void removeDead(List<NodeProto> nodes, Set<String> graphOutputs) {
        boolean changed = true;
        while (changed) {
            Set<String> read = new HashSet<>(graphOutputs);
            for (NodeProto n : nodes) read.addAll(n.getInputList());
            changed = nodes.removeIf(n -> n.getOutputList().stream().noneMatch(read::contains));
        }
    }
}
