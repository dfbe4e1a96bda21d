package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.OperatorSetIdProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import ai.infer4j.engine.optimize.proto.Onnx.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic INT8 quantization of an ONNX graph's weight matrices, done in Java: every {@code MatMul}
 * (and plain {@code Gemm}) whose right-hand side is a 2-D float initializer becomes one ONNX Runtime
 * {@code com.microsoft.DynamicQuantizeMatMul}: weights stored as int8, symmetric, one scale per output
 * column (zero point 0); activations quantized to uint8 at run time, per tensor. A following
 * {@code Add} of a 1-D bias initializer is folded into the node. Everything else is kept as it is.
 * Stateless and thread-safe.
 */
public final class Int8Quantizer {

    /**
     * How to quantize.
     *
     * @param reduceRange use 7-bit weights ([-63, 63]): avoids int16 saturation of the u8s8 kernels on
     *                    AVX2/AVX-512 CPUs without VNNI, at a small precision cost
     * @param minElements leave weight matrices with fewer elements in float
     * @param keepFloat   nodes whose name matches this regular expression stay in float (null: none)
     * @param keepWidest  the weight matrices with the widest input stay in float: in a transformer these are the
     *                    feed-forward down-projections (4 x hidden -> hidden), which read the long-tailed GELU
     *                    output and lose the most to 8-bit activations
     */
    public record Options(boolean reduceRange, long minElements, String keepFloat, boolean keepWidest) {
        public Options {
            if (minElements < 0) throw new IllegalArgumentException("minElements must be >= 0, got " + minElements);
            if (keepFloat != null) java.util.regex.Pattern.compile(keepFloat);
        }

        /**
         * Every constant MatMul/Gemm in INT8 with 7-bit weights: safe on every x86 CPU (ONNX Runtime's
         * u8s8 kernels can saturate with full-range weights where VNNI is missing, and an archive may be
         * served on another machine than the one that built it).
         */
        public static Options defaults() {
            return new Options(true, 0, null, false);
        }

        public Options withKeepWidest(boolean k) {
            return new Options(reduceRange, minElements, keepFloat, k);
        }

        int qmax() {
            return reduceRange ? 63 : 127;
        }
    }

    /**
     * The outcome.
     *
     * @param model            the rewritten model
     * @param quantized        MatMul/Gemm nodes rewritten
     * @param skipped          MatMul/Gemm nodes left in float (dynamic right-hand side, odd shapes), by reason
     * @param biasesFolded     Add nodes folded into the quantized node
     * @param floatWeightBytes bytes of the float weights replaced
     * @param int8WeightBytes  bytes of the int8 weights and scales that replaced them
     */
    public record Result(ModelProto model, int quantized, Map<String, Integer> skipped, int biasesFolded,
                         long floatWeightBytes, long int8WeightBytes) { }

    private final Options options;

    public Int8Quantizer(Options options) {
        this.options = options;
    }

    public Result quantize(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) inits.put(t.getName(), t);
        Map<String, List<Integer>> consumers = consumers(g);
        Set<String> graphOutputs = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) graphOutputs.add(o.getName());

        List<NodeProto> nodes = new ArrayList<>(g.getNodeList());
        long widest = options.keepWidest() ? widestInput(nodes, inits) : Long.MAX_VALUE;
        Set<Integer> dropped = new HashSet<>();
        Map<String, TensorProto> added = new LinkedHashMap<>();
        Map<String, Integer> skipped = new LinkedHashMap<>();
        int quantized = 0, folded = 0;
        long floatBytes = 0, int8Bytes = 0;
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) continue;
            if (!n.getOpType().equals("MatMul") && !n.getOpType().equals("Gemm")) continue;
            Weight w = weight(n, inits, skipped);
            if (w == null) continue;
            if (w.k >= widest) {
                skipped.merge("widest input kept in float", 1, Integer::sum);
                continue;
            }
            String base = uniqueBase(n, i);
            Quantized q = quantizeColumns(w.values, w.k, w.n, options.qmax());
            TensorProto qb = OnnxModels.int8Tensor(base + "_W_int8", new long[] {w.k, w.n}, q.values);
            TensorProto scale = OnnxModels.floatTensor(base + "_W_scale", new long[] {w.n}, q.scales);
            TensorProto zero = OnnxModels.int8Tensor(base + "_W_zero_point", new long[] {w.n}, new byte[w.n]);
            added.put(qb.getName(), qb);
            added.put(scale.getName(), scale);
            added.put(zero.getName(), zero);
            floatBytes += 4L * w.k * w.n;
            int8Bytes += (long) w.k * w.n + 5L * w.n;

            String bias = w.bias;
            String output = n.getOutput(0);
            if (bias == null) {
                int add = foldableAdd(nodes, consumers, output, graphOutputs, inits, w.n);
                if (add >= 0) {
                    NodeProto a = nodes.get(add);
                    bias = a.getInput(0).equals(output) ? a.getInput(1) : a.getInput(0);
                    output = a.getOutput(0);
                    dropped.add(add);
                    folded++;
                }
            }
            NodeProto.Builder qn = NodeProto.newBuilder().setOpType("DynamicQuantizeMatMul").setDomain(OnnxModels.MS_DOMAIN)
                    .setName(base + "_quant").addInput(n.getInput(0)).addInput(qb.getName()).addInput(scale.getName())
                    .addInput(zero.getName());
            if (bias != null) qn.addInput(bias);
            qn.addOutput(output);
            nodes.set(i, qn.build());
            quantized++;
        }

        GraphProto.Builder out = g.toBuilder().clearNode();
        for (int i = 0; i < nodes.size(); i++) if (!dropped.contains(i)) out.addNode(nodes.get(i));
        Set<String> used = new HashSet<>();
        for (NodeProto n : out.getNodeList()) used.addAll(n.getInputList());
        used.addAll(graphOutputs);
        out.clearInitializer();
        for (TensorProto t : inits.values()) if (used.contains(t.getName())) out.addInitializer(t);
        out.addAllInitializer(added.values());
        // Old exports (IR < 4) list initializers as graph inputs too; drop those that are gone.
        List<ValueInfoProto> inputs = new ArrayList<>(out.getInputList());
        out.clearInput();
        for (ValueInfoProto in : inputs) if (!inits.containsKey(in.getName()) || used.contains(in.getName())) out.addInput(in);

        ModelProto.Builder m = model.toBuilder().setGraph(out);
        if (quantized > 0 && m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(OnnxModels.MS_DOMAIN)))
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.MS_DOMAIN).setVersion(1));
        if (m.getIrVersion() < 4) m.setIrVersion(4);
        return new Result(m.build(), quantized, skipped, folded, floatBytes, int8Bytes);
    }

    /** A weight matrix laid out [k, n] (input width, output width), with an optional bias from Gemm's C. */
    private record Weight(float[] values, int k, int n, String bias) { }

    private Weight weight(NodeProto node, Map<String, TensorProto> inits, Map<String, Integer> skipped) {
        boolean gemm = node.getOpType().equals("Gemm");
        TensorProto b = node.getInputCount() > 1 ? inits.get(node.getInput(1)) : null;
        if (b == null) return skip(skipped, "right-hand side is not a constant");
        if (b.getDataType() != TensorProto.DataType.FLOAT.getNumber()) return skip(skipped, "weights are not float");
        if (b.getDimsCount() != 2) return skip(skipped, "weights are not 2-D");
        if (OnnxModels.elements(b) < options.minElements()) return skip(skipped, "weights smaller than minElements");
        if (inits.containsKey(node.getInput(0))) return skip(skipped, "left-hand side is a constant");
        if (options.keepFloat() != null && node.getName().matches(options.keepFloat())) return skip(skipped, "kept in float by name");
        int rows = (int) b.getDims(0), cols = (int) b.getDims(1);
        float[] v = OnnxModels.floats(b);
        if (!gemm) return new Weight(v, rows, cols, null);
        if (OnnxModels.intAttr(node, "transA", 0) != 0 || OnnxModels.floatAttr(node, "alpha", 1f) != 1f
                || OnnxModels.floatAttr(node, "beta", 1f) != 1f)
            return skip(skipped, "Gemm with transA, alpha or beta");
        String bias = null;
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            TensorProto c = inits.get(node.getInput(2));
            int n = OnnxModels.intAttr(node, "transB", 0) != 0 ? rows : cols;
            if (c == null || c.getDimsCount() != 1 || c.getDims(0) != n) return skip(skipped, "Gemm bias is not a 1-D constant");
            bias = c.getName();
        }
        if (OnnxModels.intAttr(node, "transB", 0) == 0) return new Weight(v, rows, cols, bias);
        float[] t = new float[v.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = v[r * cols + c];
        return new Weight(t, cols, rows, bias);
    }

    /** The largest input width (k) among the weight matrices this quantizer would rewrite. */
    private long widestInput(List<NodeProto> nodes, Map<String, TensorProto> inits) {
        long widest = 0, narrowest = Long.MAX_VALUE;
        for (NodeProto n : nodes) {
            if (!n.getDomain().isEmpty() || !n.getOpType().equals("MatMul") && !n.getOpType().equals("Gemm")) continue;
            Weight w = weight(n, inits, new HashMap<>());
            if (w == null) continue;
            widest = Math.max(widest, w.k);
            narrowest = Math.min(narrowest, w.k);
        }
        return widest > narrowest ? widest : Long.MAX_VALUE; // all alike: keeping "the widest" would keep everything
    }

    private static Weight skip(Map<String, Integer> skipped, String reason) {
        skipped.merge(reason, 1, Integer::sum);
        return null;
    }

    /** int8 values and per-column scales of a [k, n] row-major matrix. */
    record Quantized(byte[] values, float[] scales) { }

    static Quantized quantizeColumns(float[] w, int k, int n, int qmax) {
        float[] scales = new float[n];
        for (int c = 0; c < n; c++) {
            float max = 0;
            for (int r = 0; r < k; r++) max = Math.max(max, Math.abs(w[r * n + c]));
            scales[c] = max == 0 ? 1f : max / qmax;
        }
        byte[] q = new byte[w.length];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++) {
                long v = (long) Math.rint(w[r * n + c] / scales[c]); // half to even, as ONNX QuantizeLinear
                q[r * n + c] = (byte) Math.max(-qmax, Math.min(qmax, v));
            }
        return new Quantized(q, scales);
    }

    /** Index of the one Add that consumes {@code output} with a 1-D bias of width {@code n}, or -1. */
    private static int foldableAdd(List<NodeProto> nodes, Map<String, List<Integer>> consumers, String output,
                                   Set<String> graphOutputs, Map<String, TensorProto> inits, int n) {
        List<Integer> users = consumers.getOrDefault(output, List.of());
        if (users.size() != 1 || graphOutputs.contains(output)) return -1;
        NodeProto a = nodes.get(users.get(0));
        if (!a.getOpType().equals("Add") || !a.getDomain().isEmpty() || a.getInputCount() != 2) return -1;
        String other = a.getInput(0).equals(output) ? a.getInput(1) : a.getInput(0);
        TensorProto bias = inits.get(other);
        if (bias == null || bias.getDataType() != TensorProto.DataType.FLOAT.getNumber() || bias.getDimsCount() != 1
                || bias.getDims(0) != n) return -1;
        return users.get(0);
    }

    private static Map<String, List<Integer>> consumers(GraphProto g) {
        Map<String, List<Integer>> c = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++)
            for (String in : g.getNode(i).getInputList()) c.computeIfAbsent(in, x -> new ArrayList<>()).add(i);
        return c;
    }

    private static String uniqueBase(NodeProto n, int index) {
        String name = n.getName().isEmpty() ? n.getOpType() : n.getName();
        return name.replaceAll("[^A-Za-z0-9_./-]", "_") + "_" + index;
    }
}
