package ai.infer4j.engine;

import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.optimize.GraphBuilder;
import ai.infer4j.engine.optimize.OnnxModels;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static ai.infer4j.engine.optimize.GraphBuilder.intAttr;

/**
 * Tiny ONNX models built in tests with the engine's own ONNX builder, next to the embedded
 * {@code tokenizer.json}: nothing binary is committed, and each model is a few lines to read.
 */
public final class TinyModels {
    private static final int VOCAB = 30522;

    private TinyModels() {
    }

    /**
     * A Hugging Face style full sequence classifier export ({@code model.onnx} with
     * {@code input_ids}, {@code attention_mask} -> {@code logits [batch, 2]}, {@code tokenizer.json},
     * {@code config.json} with {@code id2label} NEGATIVE/POSITIVE): each "good" token adds {@code weight}
     * to POSITIVE, each "bad" token adds it to NEGATIVE, through a 2x2 MatMul with {@code mix} as its
     * off-diagonal entries (0 gives a clean classifier; a large value scrambles it).
     */
    public static Path sentimentClassifier(Path dir, float weight, float mix) throws IOException {
        return build(dir, weight, mix, "logits");
    }

    /** The same graph as an embedding model: its 2-wide output is named {@code sentence_embedding}. */
    public static Path sentimentEmbedder(Path dir, float weight, float mix) throws IOException {
        return build(dir, weight, mix, "sentence_embedding");
    }

    private static Path build(Path dir, float weight, float mix, String output) throws IOException {
        Files.createDirectories(dir);
        Path tokenizer = BackboneFiles.builtin(TestEngine.options().cacheDir()).tokenizer();
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        var vocab = new ObjectMapper().readTree(tokenizer.toFile()).path("model").path("vocab");
        int good = vocab.path("good").asInt(), bad = vocab.path("bad").asInt();
        float[] table = new float[VOCAB * 2];
        table[good * 2 + 1] = weight;
        table[bad * 2] = weight;
        var model = new GraphBuilder("sentiment")
                .input("input_ids", DataType.INT64, "batch", "sequence")
                .input("attention_mask", DataType.INT64, "batch", "sequence")
                .initializer(OnnxModels.floatTensor("embeddings", new long[] {VOCAB, 2}, table))
                .initializer(OnnxModels.int64Tensor("axis2", new long[] {1}, new long[] {2}))
                .initializer(OnnxModels.int64Tensor("axis1", new long[] {1}, new long[] {1}))
                .initializer(OnnxModels.floatTensor("mix", new long[] {2, 2}, new float[] {1, mix, mix, 1}))
                .initializer(OnnxModels.floatTensor("bias", new long[] {2}, new float[] {0.5f, 0}))
                .node("Gather", List.of("embeddings", "input_ids"), List.of("emb"))
                .node("Cast", List.of("attention_mask"), List.of("mask_f"), intAttr("to", DataType.FLOAT.getNumber()))
                .node("Unsqueeze", List.of("mask_f", "axis2"), List.of("mask_3d"))
                .node("Mul", List.of("emb", "mask_3d"), List.of("masked"))
                .node("ReduceSum", List.of("masked", "axis1"), List.of("pooled"), intAttr("keepdims", 0))
                .node("MatMul", List.of("pooled", "mix"), List.of("mixed"))
                .node("Add", List.of("mixed", "bias"), List.of(output))
                .output(output, DataType.FLOAT, "batch", 2L)
                .build();
        OnnxModels.write(model, dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"TinySentiment\"], "
                + "\"id2label\": {\"0\": \"NEGATIVE\", \"1\": \"POSITIVE\"}, \"label2id\": {\"NEGATIVE\": 0, \"POSITIVE\": 1}}");
        return dir;
    }
}
