package ai.infer4j.finetune;

import java.util.List;

/** The shape of a BERT encoder as read from its ONNX file. */
public record BertConfig(int layers, int hidden, int heads, int intermediate, int vocab, int maxPositions, float layerNormEps) {
    /** Parameters of each {@code encoder.layer.N}, by their Hugging Face names (dense weights stored {@code [in, out]}). */
    public static final List<String> LAYER_PARAMS = List.of(
            "attention.self.query.weight", "attention.self.query.bias",
            "attention.self.key.weight", "attention.self.key.bias",
            "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias",
            "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias");

    public BertConfig {
        if (layers < 1 || hidden < 1 || heads < 1 || hidden % heads != 0 || intermediate < 1 || vocab < 1 || maxPositions < 1)
            throw new IllegalArgumentException("inconsistent BERT shape: layers " + layers + ", hidden " + hidden + ", heads " + heads
                    + ", intermediate " + intermediate + ", vocab " + vocab + ", positions " + maxPositions);
        if (!(layerNormEps > 0)) throw new IllegalArgumentException("layerNormEps must be > 0, got " + layerNormEps);
    }

    public int headSize() {
        return hidden / heads;
    }
}
