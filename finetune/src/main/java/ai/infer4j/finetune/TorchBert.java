package ai.infer4j.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT encoder as PyTorch tensors (through DJL): the forward pass of the exported {@code BertModel} graph, op for
 * op, so that the same weights give the same hidden states as ONNX Runtime does on the ONNX file. Embedding look-ups
 * run in Java ({@link #embed}); the embedding tables are never trained. Layers from {@code trainableFrom} up record
 * gradients. Every tensor a method makes belongs to the manager of its batch input (never to this model's manager),
 * so a caller frees a step's tensors by closing that step's manager.
 */
public final class TorchBert implements AutoCloseable {
    private final BertConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final float[] word, position, type;
    private final int trainableFrom;

    private TorchBert(BertConfig config, NDManager manager, float[] word, float[] position, float[] type, int trainableFrom) {
        this.config = config;
        this.manager = manager;
        this.word = word;
        this.position = position;
        this.type = type;
        this.trainableFrom = trainableFrom;
    }

    /** Copies the weights into tensors; layers {@code >= trainableFrom} (and only those) record gradients. */
    public static TorchBert load(BertWeights w, NDManager parent, int trainableFrom) {
        BertConfig c = w.config();
        if (trainableFrom < 0 || trainableFrom > c.layers())
            throw new IllegalArgumentException("trainableFrom must be in [0, " + c.layers() + "], got " + trainableFrom);
        NDManager m = parent.newSubManager();
        TorchBert bert = new TorchBert(c, m, w.values("embeddings.word_embeddings.weight"),
                w.values("embeddings.position_embeddings.weight"), w.values("embeddings.token_type_embeddings.weight"), trainableFrom);
        bert.put(m, w, "embeddings.LayerNorm.weight", false);
        bert.put(m, w, "embeddings.LayerNorm.bias", false);
        for (int i = 0; i < c.layers(); i++)
            for (String p : BertConfig.LAYER_PARAMS) bert.put(m, w, "encoder.layer." + i + "." + p, i >= trainableFrom);
        return bert;
    }

    private void put(NDManager m, BertWeights w, String name, boolean trainable) {
        NDArray a = m.create(w.values(name), new Shape(w.shape(name)));
        if (trainable) a.setRequiresGradient(true);
        params.put(name, a);
    }

    public BertConfig config() {
        return config;
    }

    public int trainableFrom() {
        return trainableFrom;
    }

    /** The parameters that record gradients, by name (layers {@code >= trainableFrom}). */
    public Map<String, NDArray> trainable() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = trainableFrom; i < config.layers(); i++)
            for (String p : BertConfig.LAYER_PARAMS) {
                String name = "encoder.layer." + i + "." + p;
                out.put(name, params.get(name));
            }
        return out;
    }

    /** Current values of a parameter (for writing back to ONNX). */
    public float[] values(String name) {
        NDArray a = params.get(name);
        if (a == null) throw new IllegalArgumentException("no parameter '" + name + "'");
        return a.toFloatArray();
    }

    /**
     * The embedding output {@code [n, len, hidden]} of a padded batch: word + position + token type, then LayerNorm.
     * Padded positions (beyond each row's length) use token 0, as the exported graph would; the mask hides them.
     */
    public NDArray embed(NDManager m, long[][] ids, long[][] types, int len) {
        int n = ids.length, h = config.hidden();
        float[] x = new float[n * len * h];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < len; t++) {
                int id = t < ids[i].length ? (int) ids[i][t] : 0;
                int tt = t < ids[i].length && types != null ? (int) types[i][t] : 0;
                int o = (i * len + t) * h;
                for (int d = 0; d < h; d++) x[o + d] = word[id * h + d] + type[tt * h + d] + position[t * h + d];
            }
        NDArray e = m.create(x, new Shape(n, len, h));
        return layerNorm(e, "embeddings.LayerNorm");
    }

    /** The additive attention mask {@code [n, 1, 1, len]}: 0 on real tokens, a large negative number on padding. */
    public NDArray maskBias(NDManager m, int[] lengths, int len) {
        float[] b = new float[lengths.length * len];
        for (int i = 0; i < lengths.length; i++)
            for (int t = lengths[i]; t < len; t++) b[i * len + t] = -10000f;
        return m.create(b, new Shape(lengths.length, 1, 1, len));
    }

    /** Layers {@code [from, to)} on hidden states {@code x}; dropout (rate {@code dropout}) only when {@code training}. */
    public NDArray layers(NDArray x, NDArray maskBias, int from, int to, boolean training, float dropout) {
        NDArray h = x;
        for (int i = from; i < to; i++) h = layer(i, h, maskBias, training, dropout);
        return h;
    }

    private NDArray layer(int i, NDArray x, NDArray maskBias, boolean training, float dropout) {
        String p = "encoder.layer." + i + ".";
        long n = x.getShape().get(0), len = x.getShape().get(1);
        int heads = config.heads(), hs = config.headSize();
        NDArray q = dense(x, p + "attention.self.query").reshape(n, len, heads, hs).transpose(0, 2, 1, 3);
        NDArray k = dense(x, p + "attention.self.key").reshape(n, len, heads, hs).transpose(0, 2, 3, 1);
        NDArray v = dense(x, p + "attention.self.value").reshape(n, len, heads, hs).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(k).div((float) Math.sqrt(hs)).add(maskBias);
        NDArray ctx = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(n, len, config.hidden());
        NDArray attn = drop(dense(ctx, p + "attention.output.dense"), training, dropout);
        NDArray x1 = layerNorm(attn.add(x), p + "attention.output.LayerNorm");
        NDArray inner = Activation.gelu(dense(x1, p + "intermediate.dense"));
        NDArray out = drop(dense(inner, p + "output.dense"), training, dropout);
        return layerNorm(out.add(x1), p + "output.LayerNorm");
    }

    private NDArray dense(NDArray x, String name) {
        return x.matMul(params.get(name + ".weight")).add(params.get(name + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(config.hidden()), params.get(name + ".weight"), params.get(name + ".bias"),
                config.layerNormEps()).singletonOrThrow();
    }

    private static NDArray drop(NDArray x, boolean training, float rate) {
        return training && rate > 0 ? Dropout.dropout(x, rate, true).singletonOrThrow() : x;
    }

    /** Names of all parameters held as tensors, in a fixed order. */
    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }

    @Override
    public void close() {
        manager.close();
    }
}
