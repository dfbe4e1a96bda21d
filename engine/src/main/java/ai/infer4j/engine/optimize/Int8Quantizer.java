package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.OperatorSetIdProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import ai.infer4j.engine.optimize.proto.Onnx.ValueInfoProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Dynamic INT8 quantization of an ONNX graph's weight matrices, done in Java: every {@code MatMul}
 * (and plain {@code Gemm}) whose right-hand side is a 2-D float initializer becomes one ONNX Runtime
 * {@code com.microsoft.DynamicQuantizeMatMul}: weights stored as int8, symmetric, one scale per output
 * column (zero point 0); activations quantized to uint8 at run time, per tensor. A following
 * {@code Add} of a 1-D bias initializer is folded into the node. MatMuls that read the same activation
 * (Q, K and V of an attention block) can be merged into one over their concatenated weights, followed
 * by a {@code Split}; residual {@code Add + LayerNormalization} can be fused into
 * {@code SkipLayerNormalization}; large {@code Gather} tables (word embeddings) can be stored as int8
 * with one scale per row. Meant to run on a graph ONNX Runtime has already fused (LayerNorm, GELU), so
 * what is quantized is what runs. Everything else is kept as it is. Stateless and thread-safe.
 */
public final class Int8Quantizer {

    /**
     * How to quantize.
     *
     * @param reduceRange    use 7-bit weights ([-63, 63]): avoids int16 saturation of the u8s8 kernels on
     *                       AVX2/AVX-512 CPUs without VNNI, at a small precision cost
     * @param minElements    leave weight matrices with fewer elements in float
     * @param keepFloat      nodes whose name matches this regular expression stay in float (null: none)
     * @param keepWidest     the weight matrices with the widest input stay in float: in a transformer these are the
     *                       feed-forward down-projections (4 x hidden -> hidden), which read the long-tailed GELU
     *                       output and lose the most to 8-bit activations
     * @param mergeSiblings  MatMuls that read the same activation (attention Q, K, V) become one INT8 MatMul over
     *                       their concatenated weights and a {@code Split}: one activation quantization, one GEMM
     * @param fuse           after quantizing, fold residual {@code Add} + {@code LayerNormalization} into
     *                       {@code com.microsoft.SkipLayerNormalization}
     * @param fastGelu       replace exact (erf) {@code Gelu}/{@code BiasGelu} with the tanh approximation
     *                       {@code com.microsoft.FastGelu} (faster; changes outputs by up to ~1e-3)
     * @param embeddingRows  {@code Gather} tables with at least this many rows (the word embeddings) are stored as
     *                       int8 with one scale per row and dequantized after the look-up; 0 = keep tables in float
     * @param smoothAlpha    SmoothQuant migration strength in (0, 1]; 0 = no smoothing. With calibrated channel maxima
     *                       of an activation X, each input channel j gets s_j = max|X_j|^alpha / max|W_j|^(1-alpha):
     *                       a {@code Mul} divides X by s and the weight rows are multiplied by s (the product is
     *                       unchanged), which flattens activation outliers before the per-tensor 8-bit quantization
     * @param smoothAll      smooth every quantized MatMul with calibration data; false = only those with the widest
     *                       input (the feed-forward down-projections, which read the long-tailed GELU output)
     * @param tokenScale     the widest-input MatMuls get per-token activation ranges: each row of the activation is
     *                       divided by its own max |x| before the per-tensor quantization and the output row is
     *                       multiplied back (Abs, ReduceMax, Div, Mul around the quantized MatMul)
     * @param attention      {@code none}, {@code mha} or {@code qattention}: replace each self-attention subgraph with
     *                       ONNX Runtime's fused {@code MultiHeadAttention}, or with {@code QAttention} (int8 Q/K/V
     *                       projection and attention in one operator); see {@link AttentionFusion}
     * @param floatWidest    positions (0-based, in graph order) of the widest-input MatMuls to keep in float: in a
     *                       transformer, position i is layer i's feed-forward down-projection. Lets a model keep only
     *                       the one or two of them that its gate is sensitive to, instead of all ({@code keepWidest})
     */
    public record Options(boolean reduceRange, long minElements, String keepFloat, boolean keepWidest,
                          boolean mergeSiblings, boolean fuse, boolean fastGelu, int embeddingRows,
                          double smoothAlpha, boolean smoothAll, boolean tokenScale, String attention, List<Integer> floatWidest) {
        public Options {
            floatWidest = floatWidest == null ? List.of() : List.copyOf(floatWidest);
            if (floatWidest.stream().anyMatch(i -> i < 0)) throw new IllegalArgumentException("floatWidest positions must be >= 0, got " + floatWidest);
            attention = attention == null ? "none" : attention;
            AttentionFusion.Kind.parse(attention);
            if (!(smoothAlpha >= 0 && smoothAlpha <= 1)) throw new IllegalArgumentException("smoothAlpha must be in [0, 1], got " + smoothAlpha);
            if (minElements < 0) throw new IllegalArgumentException("minElements must be >= 0, got " + minElements);
            if (embeddingRows < 0) throw new IllegalArgumentException("embeddingRows must be >= 0, got " + embeddingRows);
            if (keepFloat != null) Pattern.compile(keepFloat);
        }

        /**
         * The fastest form measured (docs/perf.md): every constant MatMul/Gemm in INT8 with full-range 8-bit per-column
         * weights, each self-attention block one {@code QAttention} (int8 Q/K/V projection inside), residual LayerNorms
         * fused, the tanh GELU ({@code FastGelu}), word-embedding table in int8, per-tensor activation ranges
         * everywhere. {@link #withFastGelu}{@code (false)} keeps the exact GELU and {@link #withTokenScale} adds per-token
         * ranges for the feed-forward down-projections: closer to float, slower. Full range is exact on CPUs with
         * AVX-512 VNNI / AVX-VNNI (and on ARM); {@link #withReduceRange} gives 7-bit weights for older x86 CPUs.
         */
        public static Options defaults() {
            return new Options(false, 0, null, false, true, true, true, 4096, 0, false, false, "qattention", List.of());
        }

        public Options withKeepWidest(boolean k) {
            return new Options(reduceRange, minElements, keepFloat, k, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withReduceRange(boolean r) {
            return new Options(r, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withKeepFloat(String regex) {
            return new Options(reduceRange, minElements, regex, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withMergeSiblings(boolean m) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, m, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withFuse(boolean f) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, f, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withFastGelu(boolean f) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, f, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withEmbeddingRows(int rows) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, rows, smoothAlpha, smoothAll, tokenScale, attention, floatWidest);
        }

        public Options withSmoothing(double alpha, boolean all) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, alpha, all, tokenScale, attention, floatWidest);
        }

        public Options withTokenScale(boolean t) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, t, attention, floatWidest);
        }

        public Options withAttention(String a) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, a, floatWidest);
        }

        public Options withFloatWidest(List<Integer> positions) {
            return new Options(reduceRange, minElements, keepFloat, keepWidest, mergeSiblings, fuse, fastGelu, embeddingRows, smoothAlpha, smoothAll, tokenScale, attention, positions);
        }

        /** True when {@link #quantize(ModelProto, Map)} wants calibrated activation maxima. */
        public boolean smoothing() {
            return smoothAlpha > 0;
        }

        int qmax() {
            return reduceRange ? 63 : 127;
        }
    }

    /**
     * The outcome.
     *
     * @param model            the rewritten model
     * @param quantized        MatMul/Gemm nodes rewritten (each member of a merged group counts)
     * @param skipped          MatMul/Gemm nodes left in float (dynamic right-hand side, odd shapes), by reason
     * @param biasesFolded     Add nodes folded into the quantized node
     * @param floatWeightBytes bytes of the float weights (and embedding tables) replaced
     * @param int8WeightBytes  bytes of the int8 weights and scales that replaced them
     * @param rewrites         other graph rewrites done, by kind (merged Q/K/V groups, fused LayerNorms, ...)
     */
    public record Result(ModelProto model, int quantized, Map<String, Integer> skipped, int biasesFolded,
                         long floatWeightBytes, long int8WeightBytes, Map<String, Integer> rewrites) { }

    private final Options options;

    public Int8Quantizer(Options options) {
        this.options = options;
    }

    public Result quantize(ModelProto model) {
        return quantize(model, Map.of());
    }

    /**
     * Quantizes, smoothing the activations that {@code channelMax} has calibrated maxima for (see
     * {@link Options#smoothAlpha}; {@link ActivationStats#channelMax} measures them on the float model).
     */
    public Result quantize(ModelProto model, Map<String, float[]> channelMax) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) inits.put(t.getName(), t);
        Map<String, List<Integer>> consumers = consumers(g.getNodeList());
        Set<String> graphOutputs = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) graphOutputs.add(o.getName());
        long opset = model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OperatorSetIdProto::getVersion).max().orElse(11);

        List<NodeProto> nodes = new ArrayList<>(g.getNodeList());
        long widestK = widestInput(nodes, inits);
        long widest = options.keepWidest() ? widestK : Long.MAX_VALUE;
        Set<Integer> floatPositions = new HashSet<>();
        List<Integer> widestNodes = widestNodes(nodes, inits, widestK);
        for (int p : options.floatWidest()) if (p < widestNodes.size()) floatPositions.add(widestNodes.get(p));
        Set<Integer> dropped = new HashSet<>();
        Map<Integer, List<NodeProto>> before = new HashMap<>(); // nodes to insert right before index i (smoothing, token scales)
        Map<Integer, List<NodeProto>> after = new HashMap<>(); // nodes to insert right after index i (Split, token rescale)
        Map<String, TensorProto> added = new LinkedHashMap<>();
        Map<String, Integer> skipped = new LinkedHashMap<>();
        Map<String, Integer> rewrites = new LinkedHashMap<>();
        int quantized = 0, folded = 0;
        long floatBytes = 0, int8Bytes = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (dropped.contains(i)) continue;
            NodeProto n = nodes.get(i);
            if (!isOnnx(n) || !n.getOpType().equals("MatMul") && !n.getOpType().equals("Gemm")) continue;
            Weight w = weight(n, inits, skipped);
            if (w == null) continue;
            if (w.k >= widest) {
                skipped.merge("widest input kept in float", 1, Integer::sum);
                continue;
            }
            if (floatPositions.contains(i)) {
                skipped.merge("widest input kept in float at the positions asked for", 1, Integer::sum);
                continue;
            }
            // the group: this MatMul and (when merging) the later MatMuls reading the same activation with weights as wide
            List<Integer> group = new ArrayList<>(List.of(i));
            List<Weight> weights = new ArrayList<>(List.of(w));
            if (options.mergeSiblings() && w.bias == null && n.getOpType().equals("MatMul"))
                for (int j : consumers.getOrDefault(n.getInput(0), List.of())) {
                    NodeProto s = nodes.get(j);
                    if (j <= i || dropped.contains(j) || floatPositions.contains(j) || !isOnnx(s) || !s.getOpType().equals("MatMul")
                            || !s.getInput(0).equals(n.getInput(0))) continue;
                    Weight sw = weight(s, inits, new HashMap<>());
                    if (sw == null || sw.k != w.k || sw.k >= widest) continue;
                    group.add(j);
                    weights.add(sw);
                }
            int total = weights.stream().mapToInt(Weight::n).sum();
            String[] bias = new String[group.size()], outputs = new String[group.size()];
            for (int m = 0; m < group.size(); m++) {
                NodeProto member = nodes.get(group.get(m));
                bias[m] = weights.get(m).bias;
                outputs[m] = member.getOutput(0);
                if (bias[m] == null) {
                    int add = foldableAdd(nodes, consumers, outputs[m], graphOutputs, inits, weights.get(m).n);
                    if (add >= 0 && !dropped.contains(add)) {
                        NodeProto a = nodes.get(add);
                        bias[m] = a.getInput(0).equals(outputs[m]) ? a.getInput(1) : a.getInput(0);
                        outputs[m] = a.getOutput(0);
                        dropped.add(add);
                        folded++;
                    }
                }
            }
            String base = uniqueBase(n, i) + (group.size() > 1 ? "_merged" : "");
            float[] values = group.size() == 1 ? w.values.clone() : concatColumns(weights, w.k, total);
            String input = n.getInput(0);
            float[] xMax = channelMax.get(input);
            if (options.smoothing() && xMax != null && xMax.length == w.k && (options.smoothAll() || w.k == widestK)) {
                float[] inv = smooth(values, w.k, total, xMax, options.smoothAlpha());
                TensorProto t = OnnxModels.floatTensor(base + "_smooth_inv", new long[] {w.k}, inv);
                added.put(t.getName(), t);
                before.computeIfAbsent(i, x -> new ArrayList<>()).add(NodeProto.newBuilder().setOpType("Mul").setName(base + "_smooth").addInput(input)
                        .addInput(t.getName()).addOutput(base + "_smoothed").build());
                input = base + "_smoothed";
                rewrites.merge("activations smoothed (SmoothQuant)", 1, Integer::sum);
            }
            Quantized q = quantizeColumns(values, w.k, total, options.qmax());
            TensorProto qb = OnnxModels.int8Tensor(base + "_W_int8", new long[] {w.k, total}, q.values);
            TensorProto scale = OnnxModels.floatTensor(base + "_W_scale", new long[] {total}, q.scales);
            TensorProto zero = OnnxModels.int8Tensor(base + "_W_zero_point", new long[] {total}, new byte[total]);
            added.put(qb.getName(), qb);
            added.put(scale.getName(), scale);
            added.put(zero.getName(), zero);
            floatBytes += 4L * w.k * total;
            int8Bytes += (long) w.k * total + 5L * total;

            String biasName = null;
            if (group.size() == 1) biasName = bias[0];
            else if (Arrays.stream(bias).anyMatch(b -> b != null)) {
                float[] merged = new float[total];
                for (int m = 0, off = 0; m < group.size(); off += weights.get(m).n, m++)
                    if (bias[m] != null) System.arraycopy(OnnxModels.floats(inits.get(bias[m])), 0, merged, off, weights.get(m).n);
                TensorProto b = OnnxModels.floatTensor(base + "_bias", new long[] {total}, merged);
                added.put(b.getName(), b);
                biasName = b.getName();
            }
            String out = group.size() == 1 ? outputs[0] : base + "_out";
            if (options.tokenScale() && group.size() == 1 && w.k == widestK) {
                // y = (x / m) W * m + b with m = max |x| of each row: the per-tensor quantization sees rows of range 1
                TensorProto eps = OnnxModels.floatTensor(base + "_eps", new long[] {}, new float[] {1e-6f});
                added.put(eps.getName(), eps);
                NodeProto.Builder max = NodeProto.newBuilder().setOpType("ReduceMax").setName(base + "_rowmax").addInput(base + "_abs")
                        .addOutput(base + "_m0").addAttribute(GraphBuilder.intAttr("keepdims", 1));
                if (opset >= 18) {
                    TensorProto axes = OnnxModels.int64Tensor(base + "_axes", new long[] {1}, new long[] {-1});
                    added.put(axes.getName(), axes);
                    max.addInput(axes.getName());
                } else {
                    max.addAttribute(GraphBuilder.intsAttr("axes", -1));
                }
                before.computeIfAbsent(i, x -> new ArrayList<>()).addAll(List.of(
                        NodeProto.newBuilder().setOpType("Abs").setName(base + "_abs").addInput(input).addOutput(base + "_abs").build(),
                        max.build(),
                        NodeProto.newBuilder().setOpType("Add").setName(base + "_m").addInput(base + "_m0").addInput(eps.getName())
                                .addOutput(base + "_m").build(),
                        NodeProto.newBuilder().setOpType("Div").setName(base + "_rows").addInput(input).addInput(base + "_m")
                                .addOutput(base + "_rows").build()));
                input = base + "_rows";
                String scaled = biasName == null ? out : base + "_scaled";
                List<NodeProto> post = new ArrayList<>(List.of(NodeProto.newBuilder().setOpType("Mul").setName(base + "_unrows")
                        .addInput(base + "_q").addInput(base + "_m").addOutput(scaled).build()));
                if (biasName != null)
                    post.add(NodeProto.newBuilder().setOpType("Add").setName(base + "_bias").addInput(scaled).addInput(biasName).addOutput(out).build());
                after.computeIfAbsent(i, x -> new ArrayList<>()).addAll(post);
                out = base + "_q";
                biasName = null;
                rewrites.merge("per-token activation ranges", 1, Integer::sum);
            }
            NodeProto.Builder qn = NodeProto.newBuilder().setOpType("DynamicQuantizeMatMul").setDomain(OnnxModels.MS_DOMAIN)
                    .setName(base + "_quant").addInput(input).addInput(qb.getName()).addInput(scale.getName())
                    .addInput(zero.getName());
            if (biasName != null) qn.addInput(biasName);
            qn.addOutput(out);
            nodes.set(i, qn.build());
            if (group.size() > 1) {
                long[] sizes = weights.stream().mapToLong(Weight::n).toArray();
                NodeProto.Builder split = NodeProto.newBuilder().setOpType("Split").setName(base + "_split").addInput(out)
                        .addAllOutput(List.of(outputs)).addAttribute(GraphBuilder.intAttr("axis", -1));
                if (opset >= 13) {
                    TensorProto t = OnnxModels.int64Tensor(base + "_split_sizes", new long[] {sizes.length}, sizes);
                    added.put(t.getName(), t);
                    split.addInput(t.getName());
                } else {
                    split.addAttribute(GraphBuilder.intsAttr("split", sizes));
                }
                after.computeIfAbsent(i, x -> new ArrayList<>()).add(split.build());
                for (int m = 1; m < group.size(); m++) dropped.add(group.get(m));
                rewrites.merge("MatMuls merged (groups reading one activation)", 1, Integer::sum);
            }
            quantized += group.size();
        }

        List<NodeProto> result = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (before.containsKey(i)) result.addAll(before.get(i));
            if (!dropped.contains(i)) result.add(nodes.get(i));
            if (after.containsKey(i)) result.addAll(after.get(i));
        }
        if (options.embeddingRows() > 0) {
            long[] bytes = quantizeEmbeddings(result, inits, added, rewrites);
            floatBytes += bytes[0];
            int8Bytes += bytes[1];
        }
        if (options.fuse()) fuseSkipLayerNorm(result, inits, graphOutputs, rewrites);
        if (options.fastGelu()) fastGelu(result, rewrites);
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfoProto in : g.getInputList()) graphInputs.add(in.getName());
        int attention = AttentionFusion.fuse(AttentionFusion.Kind.parse(options.attention()), result, inits, added, graphInputs, graphOutputs);
        if (attention > 0) rewrites.merge("self-attention fused (" + options.attention() + ")", attention, Integer::sum);

        GraphProto.Builder out = g.toBuilder().clearNode().addAllNode(result);
        Set<String> used = new HashSet<>();
        for (NodeProto n : out.getNodeList()) used.addAll(n.getInputList());
        used.addAll(graphOutputs);
        out.clearInitializer();
        for (TensorProto t : inits.values()) if (used.contains(t.getName())) out.addInitializer(t);
        for (TensorProto t : added.values()) if (used.contains(t.getName())) out.addInitializer(t); // fusions may drop some
        // Old exports (IR < 4) list initializers as graph inputs too; drop those that are gone.
        List<ValueInfoProto> inputs = new ArrayList<>(out.getInputList());
        out.clearInput();
        for (ValueInfoProto in : inputs) if (!inits.containsKey(in.getName()) || used.contains(in.getName())) out.addInput(in);

        ModelProto.Builder m = model.toBuilder().setGraph(out);
        boolean contrib = out.getNodeList().stream().anyMatch(x -> x.getDomain().equals(OnnxModels.MS_DOMAIN));
        if (contrib && m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(OnnxModels.MS_DOMAIN)))
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(OnnxModels.MS_DOMAIN).setVersion(1));
        if (m.getIrVersion() < 4) m.setIrVersion(4);
        return new Result(m.build(), quantized, skipped, folded, floatBytes, int8Bytes, rewrites);
    }

    private static boolean isOnnx(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    /**
     * SmoothQuant: s_j = max|X_j|^alpha / max|W_j,:|^(1 - alpha) per input channel j; multiplies row j of the
     * [k, n] weights by s_j in place and returns 1 / s (what the activation is multiplied by).
     */
    static float[] smooth(float[] w, int k, int n, float[] xMax, double alpha) {
        float[] inv = new float[k];
        for (int j = 0; j < k; j++) {
            float wMax = 0;
            for (int c = 0; c < n; c++) wMax = Math.max(wMax, Math.abs(w[j * n + c]));
            double s = xMax[j] > 0 && wMax > 0 ? Math.pow(xMax[j], alpha) / Math.pow(wMax, 1 - alpha) : 1;
            s = Math.max(1e-4, Math.min(1e4, s));
            for (int c = 0; c < n; c++) w[j * n + c] *= (float) s;
            inv[j] = (float) (1 / s);
        }
        return inv;
    }

    /** The [k, n] matrices of a group side by side: [k, total]. */
    private static float[] concatColumns(List<Weight> weights, int k, int total) {
        float[] v = new float[k * total];
        for (int r = 0; r < k; r++)
            for (int m = 0, off = 0; m < weights.size(); off += weights.get(m).n, m++)
                System.arraycopy(weights.get(m).values, r * weights.get(m).n, v, r * total + off, weights.get(m).n);
        return v;
    }

    /**
     * {@code Gather} from a float table of at least {@link Options#embeddingRows} rows becomes a look-up in an int8
     * table (symmetric, one scale per row) and in its [rows, 1] scale column, then {@code Cast} and {@code Mul}.
     * Returns {float bytes replaced, int8 bytes written}.
     */
    private long[] quantizeEmbeddings(List<NodeProto> nodes, Map<String, TensorProto> inits, Map<String, TensorProto> added,
                                      Map<String, Integer> rewrites) {
        long[] bytes = new long[2];
        Map<String, String[]> done = new HashMap<>(); // table -> {int8 name, scale name}
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!isOnnx(n) || !n.getOpType().equals("Gather") || OnnxModels.intAttr(n, "axis", 0) != 0) continue;
            TensorProto t = inits.get(n.getInput(0));
            if (t == null || t.getDataType() != TensorProto.DataType.FLOAT.getNumber() || t.getDimsCount() != 2
                    || t.getDims(0) < options.embeddingRows()) continue;
            if (options.keepFloat() != null && n.getName().matches(options.keepFloat())) continue;
            String[] q = done.get(t.getName());
            if (q == null) {
                int rows = (int) t.getDims(0), cols = (int) t.getDims(1);
                Quantized rq = quantizeRows(OnnxModels.floats(t), rows, cols);
                String base = t.getName().replaceAll("[^A-Za-z0-9_./-]", "_");
                TensorProto qt = OnnxModels.int8Tensor(base + "_int8", new long[] {rows, cols}, rq.values);
                TensorProto st = OnnxModels.floatTensor(base + "_row_scale", new long[] {rows, 1}, rq.scales);
                added.put(qt.getName(), qt);
                added.put(st.getName(), st);
                q = new String[] {qt.getName(), st.getName()};
                done.put(t.getName(), q);
                bytes[0] += 4L * rows * cols;
                bytes[1] += (long) rows * cols + 4L * rows;
                rewrites.merge("embedding tables in int8", 1, Integer::sum);
            }
            String base = uniqueBase(n, i), out = n.getOutput(0);
            List<NodeProto> repl = List.of(
                    NodeProto.newBuilder().setOpType("Gather").setName(base + "_int8").addInput(q[0]).addInput(n.getInput(1))
                            .addOutput(base + "_q").build(),
                    NodeProto.newBuilder().setOpType("Gather").setName(base + "_scale").addInput(q[1]).addInput(n.getInput(1))
                            .addOutput(base + "_s").build(),
                    NodeProto.newBuilder().setOpType("Cast").setName(base + "_cast").addInput(base + "_q").addOutput(base + "_qf")
                            .addAttribute(GraphBuilder.intAttr("to", TensorProto.DataType.FLOAT.getNumber())).build(),
                    NodeProto.newBuilder().setOpType("Mul").setName(base + "_dequant").addInput(base + "_qf").addInput(base + "_s")
                            .addOutput(out).build());
            nodes.remove(i);
            nodes.addAll(i, repl);
            i += repl.size() - 1;
        }
        return bytes;
    }

    /**
     * A residual {@code Add} of two activations (a projection's output and a LayerNorm's output) read only by a
     * {@code LayerNormalization} becomes one {@code com.microsoft.SkipLayerNormalization}.
     */
    private static void fuseSkipLayerNorm(List<NodeProto> nodes, Map<String, TensorProto> inits, Set<String> graphOutputs,
                                          Map<String, Integer> rewrites) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) for (String o : nodes.get(i).getOutputList()) producer.put(o, i);
        Map<String, List<Integer>> consumers = consumers(nodes);
        Set<Integer> dropped = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto ln = nodes.get(i);
            if (!ln.getOpType().equals("LayerNormalization") || !(isOnnx(ln) || ln.getDomain().equals(OnnxModels.MS_DOMAIN))) continue;
            if (ln.getInputCount() != 3 || OnnxModels.intAttr(ln, "axis", -1) != -1) continue;
            if (ln.getOutputList().stream().skip(1).anyMatch(o -> !o.isEmpty() && consumers.containsKey(o))) continue;
            TensorProto gamma = inits.get(ln.getInput(1)), beta = inits.get(ln.getInput(2));
            if (gamma == null || beta == null || gamma.getDimsCount() != 1 || beta.getDimsCount() != 1) continue;
            Integer addIdx = producer.get(ln.getInput(0));
            if (addIdx == null) continue;
            NodeProto add = nodes.get(addIdx);
            if (!isOnnx(add) || !add.getOpType().equals("Add") || add.getInputCount() != 2) continue;
            if (consumers.getOrDefault(add.getOutput(0), List.of()).size() != 1 || graphOutputs.contains(add.getOutput(0))) continue;
            String a = add.getInput(0), b = add.getInput(1);
            if (!isActivation(a, nodes, producer, inits) || !isActivation(b, nodes, producer, inits)) continue;
            // SkipLayerNormalization wants the residual second; either order adds the same
            NodeProto skip = NodeProto.newBuilder().setOpType("SkipLayerNormalization").setDomain(OnnxModels.MS_DOMAIN)
                    .setName(ln.getName() + "_skip").addInput(a).addInput(b).addInput(ln.getInput(1)).addInput(ln.getInput(2))
                    .addOutput(ln.getOutput(0)).addAttribute(GraphBuilder.floatAttr("epsilon", OnnxModels.floatAttr(ln, "epsilon", 1e-5f)))
                    .build();
            nodes.set(i, skip);
            dropped.add(addIdx);
            rewrites.merge("Add + LayerNormalization fused (SkipLayerNormalization)", 1, Integer::sum);
        }
        List<NodeProto> kept = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) if (!dropped.contains(i)) kept.add(nodes.get(i));
        nodes.clear();
        nodes.addAll(kept);
    }

    /** A full-width hidden state: the output of a (quantized) projection, of its bias add, or of a LayerNorm. */
    private static boolean isActivation(String name, List<NodeProto> nodes, Map<String, Integer> producer, Map<String, TensorProto> inits) {
        Integer p = producer.get(name);
        if (p == null) return false;
        NodeProto n = nodes.get(p);
        String op = n.getOpType();
        if (op.equals("Add") && n.getInputCount() == 2) {
            TensorProto bias = inits.containsKey(n.getInput(0)) ? inits.get(n.getInput(0)) : inits.get(n.getInput(1));
            String other = inits.containsKey(n.getInput(0)) ? n.getInput(1) : n.getInput(0);
            return bias != null && bias.getDimsCount() == 1 && isActivation(other, nodes, producer, inits);
        }
        return op.equals("DynamicQuantizeMatMul") || op.equals("MatMul") || op.equals("LayerNormalization")
                || op.equals("SkipLayerNormalization") || op.equals("Mul") && n.getName().endsWith("_unrows");
    }

    /** Exact {@code com.microsoft.Gelu}/{@code BiasGelu} to the tanh-approximation {@code FastGelu} (same inputs). */
    private static void fastGelu(List<NodeProto> nodes, Map<String, Integer> rewrites) {
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!n.getDomain().equals(OnnxModels.MS_DOMAIN) || !n.getOpType().equals("Gelu") && !n.getOpType().equals("BiasGelu")) continue;
            nodes.set(i, n.toBuilder().setOpType("FastGelu").setName(n.getName() + "_fast").build());
            rewrites.merge("Gelu to FastGelu", 1, Integer::sum);
        }
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

    /**
     * How many weight MatMuls have the widest input (in a transformer: one feed-forward down-projection per layer), the
     * positions {@link Options#floatWidest} counts; 0 when all weight matrices have the same input width.
     */
    public int widestCount(ModelProto model) {
        List<NodeProto> nodes = model.getGraph().getNodeList();
        Map<String, TensorProto> inits = new HashMap<>();
        for (TensorProto t : model.getGraph().getInitializerList()) inits.put(t.getName(), t);
        return widestNodes(nodes, inits, widestInput(nodes, inits)).size();
    }

    /** Indices, in graph order, of the weight MatMuls whose input width is {@code widestK}. */
    private List<Integer> widestNodes(List<NodeProto> nodes, Map<String, TensorProto> inits, long widestK) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (!isOnnx(n) || !n.getOpType().equals("MatMul") && !n.getOpType().equals("Gemm")) continue;
            Weight w = weight(n, inits, new HashMap<>());
            if (w != null && w.k == widestK) out.add(i);
        }
        return out;
    }

    /** The largest input width (k) among the weight matrices this quantizer would rewrite. */
    private long widestInput(List<NodeProto> nodes, Map<String, TensorProto> inits) {
        long widest = 0, narrowest = Long.MAX_VALUE;
        for (NodeProto n : nodes) {
            if (!isOnnx(n) || !n.getOpType().equals("MatMul") && !n.getOpType().equals("Gemm")) continue;
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

    /** int8 values and per-row scales of a [rows, cols] row-major table (full 8-bit range: no GEMM reads it). */
    static Quantized quantizeRows(float[] w, int rows, int cols) {
        float[] scales = new float[rows];
        byte[] q = new byte[w.length];
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, Math.abs(w[r * cols + c]));
            scales[r] = max == 0 ? 1f : max / 127;
            for (int c = 0; c < cols; c++)
                q[r * cols + c] = (byte) Math.max(-127, Math.min(127, (long) Math.rint(w[r * cols + c] / scales[r])));
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

    private static Map<String, List<Integer>> consumers(List<NodeProto> nodes) {
        Map<String, List<Integer>> c = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++)
            for (String in : nodes.get(i).getInputList()) c.computeIfAbsent(in, x -> new ArrayList<>()).add(i);
        return c;
    }

    private static String uniqueBase(NodeProto n, int index) {
        String name = n.getName().isEmpty() ? n.getOpType() : n.getName();
        return name.replaceAll("[^A-Za-z0-9_./-]", "_") + "_" + index;
    }
}
