package ai.infer4j.finetune;

import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.optimize.OnnxModels;
import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a fine-tuned encoder as an export directory that {@code --backbone DIR}, {@code archive --backbone DIR} and
 * {@code serve} read like any other: {@code model.onnx} (a copy of the original graph whose initializers carry the new
 * weights; nothing else in the graph changes), {@code tokenizer.json} (copied) and {@code 1_Pooling/config.json}
 * (the backbone's pooling).
 */
public final class FineTunedExport {
    private FineTunedExport() {
    }

    /** Writes {@code dir}; the parameters of {@code bert}'s trained layers replace those of {@code weights}' model. */
    public static void write(BertWeights weights, TorchBert bert, Path tokenizer, PoolingMode pooling, Path dir) {
        Map<String, float[]> updated = new HashMap<>();
        for (String p : bert.trainable().keySet()) updated.put(weights.initializerOf(p), bert.values(p));
        ModelProto model = weights.model();
        GraphProto.Builder g = model.getGraph().toBuilder();
        int replaced = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            float[] v = updated.get(t.getName());
            if (v == null) continue;
            if (v.length != OnnxModels.elements(t))
                throw new IllegalStateException("parameter for '" + t.getName() + "' has " + v.length + " values, the tensor " + OnnxModels.elements(t));
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build());
            replaced++;
        }
        if (replaced != updated.size())
            throw new IllegalStateException("replaced " + replaced + " of " + updated.size() + " fine-tuned tensors");
        try {
            Files.createDirectories(dir.resolve("1_Pooling"));
            OnnxModels.write(model.toBuilder().setGraph(g).build(), dir.resolve("model.onnx"));
            Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            String cfg = "{\n  \"pooling_mode_cls_token\": " + (pooling == PoolingMode.CLS) + ",\n  \"pooling_mode_mean_tokens\": "
                    + (pooling == PoolingMode.MEAN) + "\n}\n";
            Files.writeString(dir.resolve("1_Pooling").resolve("config.json"), cfg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fine-tuned model to " + dir + ": " + e.getMessage(), e);
        }
    }
}
