package ai.infer4j.finetune;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.optimize.OnnxModels;
import ai.infer4j.engine.optimize.proto.Onnx.AttributeProto;
import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights of a BERT encoder exported to ONNX by PyTorch (the Hugging Face {@code BertModel} graph, output
 * {@code last_hidden_state}), under their Hugging Face parameter names. Exporters store each dense layer's weight as
 * an anonymous {@code onnx::MatMul_NNN} initializer in {@code [in, out]} order; its name comes from the MatMul node
 * that reads it ({@code /encoder/layer.3/attention/self/query/MatMul} gives
 * {@code encoder.layer.3.attention.self.query.weight}), and it stays {@code [in, out]} here. Biases, LayerNorm and
 * embedding tables keep their own names. {@link #initializerOf(String)} maps back, to write fine-tuned values into a
 * copy of the file.
 */
public final class BertWeights {
    private static final Pattern MATMUL = Pattern.compile("^/((?:encoder/layer\\.\\d+|pooler)/[A-Za-z0-9_./]+)/MatMul$");
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private final ModelProto model;
    private final BertConfig config;
    private final Map<String, String> initializerOf;
    private final Map<String, TensorProto> tensors;

    private BertWeights(ModelProto model, BertConfig config, Map<String, String> initializerOf, Map<String, TensorProto> tensors) {
        this.model = model;
        this.config = config;
        this.initializerOf = initializerOf;
        this.tensors = tensors;
    }

    /** Reads an ONNX BERT encoder; refuses a graph that is not the exported {@code BertModel} layout, saying what is missing. */
    public static BertWeights read(Path onnx) {
        ModelProto model = OnnxModels.read(onnx);
        GraphProto g = model.getGraph();
        Map<String, TensorProto> byInit = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) byInit.put(t.getName(), t);
        Map<String, String> initializerOf = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList())
            if (t.getName().startsWith("embeddings.") || t.getName().startsWith("encoder.layer."))
                initializerOf.put(t.getName(), t.getName());
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("MatMul") || n.getInputCount() != 2 || !byInit.containsKey(n.getInput(1))) continue;
            Matcher m = MATMUL.matcher(n.getName());
            if (m.matches()) initializerOf.put(m.group(1).replace('/', '.') + ".weight", n.getInput(1));
        }
        int layers = 0;
        for (String p : initializerOf.keySet()) {
            Matcher m = LAYER.matcher(p);
            if (m.find()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        if (layers == 0 || !initializerOf.containsKey("embeddings.word_embeddings.weight"))
            throw new ModelLoadException("model " + onnx + " is not an exported BERT encoder (no 'embeddings.word_embeddings.weight' "
                    + "or 'encoder.layer.N.*' weights); fine-tuning reads Hugging Face BertModel exports");
        Map<String, TensorProto> tensors = new HashMap<>();
        for (Map.Entry<String, String> e : initializerOf.entrySet()) tensors.put(e.getKey(), byInit.get(e.getValue()));
        for (int i = 0; i < layers; i++)
            for (String suffix : BertConfig.LAYER_PARAMS) {
                String p = "encoder.layer." + i + "." + suffix;
                if (!tensors.containsKey(p))
                    throw new ModelLoadException("model " + onnx + " has no weight for '" + p + "'; fine-tuning reads Hugging Face "
                            + "BertModel exports whose dense layers are MatMul nodes named /encoder/layer.N/.../MatMul");
            }
        long[] word = dims(tensors.get("embeddings.word_embeddings.weight"));
        int hidden = (int) word[1];
        int intermediate = (int) dims(tensors.get("encoder.layer.0.intermediate.dense.weight"))[1];
        float scale = constantInput(g, "/encoder/layer.0/attention/self/", "Div")
                .orElseThrow(() -> new ModelLoadException("model " + onnx + " has no attention scale (Div by a constant under "
                        + "/encoder/layer.0/attention/self/); cannot tell the number of heads"));
        int headDim = Math.round(scale * scale);
        if (headDim < 1 || hidden % headDim != 0)
            throw new ModelLoadException("model " + onnx + ": attention scale " + scale + " gives head size " + headDim
                    + ", which does not divide the hidden size " + hidden);
        float eps = layerNormEpsilon(g).orElse(1e-12f);
        BertConfig config = new BertConfig(layers, hidden, hidden / headDim, intermediate, (int) word[0],
                (int) dims(tensors.get("embeddings.position_embeddings.weight"))[0], eps);
        return new BertWeights(model, config, initializerOf, tensors);
    }

    public BertConfig config() {
        return config;
    }

    /** The parsed model, to copy with new weights. */
    public ModelProto model() {
        return model;
    }

    /** The values of a parameter by its Hugging Face name (dense weights in {@code [in, out]} order). */
    public float[] values(String param) {
        return OnnxModels.floats(tensor(param));
    }

    /** The shape of a parameter as stored. */
    public long[] shape(String param) {
        return dims(tensor(param));
    }

    /** The ONNX initializer that holds a parameter. */
    public String initializerOf(String param) {
        String name = initializerOf.get(param);
        if (name == null) throw new IllegalArgumentException("no parameter '" + param + "' in this model");
        return name;
    }

    private TensorProto tensor(String param) {
        TensorProto t = tensors.get(param);
        if (t == null) throw new IllegalArgumentException("no parameter '" + param + "' in this model");
        return t;
    }

    private static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The scalar constant that a node of type {@code op} under {@code prefix} takes as its second input. */
    private static Optional<Float> constantInput(GraphProto g, String prefix, String op) {
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) producer.put(o, n);
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals(op) || !n.getName().startsWith(prefix) || n.getInputCount() != 2) continue;
            NodeProto c = producer.get(n.getInput(1));
            if (c == null || !c.getOpType().equals("Constant")) continue;
            for (AttributeProto a : c.getAttributeList())
                if (a.getName().equals("value") && a.getT().getDataType() == TensorProto.DataType.FLOAT.getNumber()
                        && OnnxModels.elements(a.getT()) == 1)
                    return Optional.of(OnnxModels.floats(a.getT())[0]);
        }
        return Optional.empty();
    }

    /** The epsilon the embedding LayerNorm adds to the variance (an {@code Add} of a constant in the exported graph). */
    private static Optional<Float> layerNormEpsilon(GraphProto g) {
        for (NodeProto n : g.getNodeList())
            if (n.getOpType().equals("LayerNormalization") && n.getName().startsWith("/embeddings/"))
                return Optional.of(OnnxModels.floatAttr(n, "epsilon", 1e-5f));
        return constantInput(g, "/embeddings/LayerNorm/", "Add");
    }
}
