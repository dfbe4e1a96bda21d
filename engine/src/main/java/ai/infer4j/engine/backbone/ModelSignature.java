package ai.infer4j.engine.backbone;

import ai.infer4j.engine.error.ModelLoadException;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The inputs and output of an encoder model, read once at load time.
 *
 * @param inputIds      name of the token id input
 * @param attentionMask name of the attention mask input
 * @param tokenTypeIds  name of the segment id input, or null (RoBERTa, DistilBERT have none)
 * @param output        name of the output used
 * @param kind          what that output holds
 * @param width         width of the vector per input: hidden size (embeddings; twice it for [cls, mean] pooling) or number of labels (logits)
 */
public record ModelSignature(String inputIds, String attentionMask, String tokenTypeIds, String output,
                             OutputKind kind, int width) {

    /** What the chosen output holds. */
    public enum OutputKind {
        /** {@code [batch, tokens, hidden]}: mean-pooled over the attention mask, then L2-normalised. */
        TOKEN_EMBEDDINGS,
        /** {@code [batch, hidden]}: already pooled; L2-normalised. */
        SENTENCE_EMBEDDING,
        /** {@code [batch, labels]}: a full classifier's logits. */
        LOGITS
    }

    /** Reads and checks a session's inputs and outputs; refuses a model that does not fit, naming what it has. */
    public static ModelSignature of(OrtSession session) {
        try {
            Map<String, NodeInfo> in = session.getInputInfo();
            Map<String, NodeInfo> out = session.getOutputInfo();
            String ids = require(in, "input_ids");
            String mask = require(in, "attention_mask");
            String types = in.containsKey("token_type_ids") ? "token_type_ids" : null;
            Set<String> known = types == null ? Set.of(ids, mask) : Set.of(ids, mask, types);
            for (String name : in.keySet())
                if (!known.contains(name))
                    throw new ModelLoadException("model has an input '" + name + "' infer4j cannot fill; inputs are " + in.keySet());
            if (out.containsKey("logits")) return new ModelSignature(ids, mask, types, "logits", OutputKind.LOGITS, lastDim(out, "logits"));
            for (String name : new String[] {"last_hidden_state", "token_embeddings"})
                if (out.containsKey(name))
                    return new ModelSignature(ids, mask, types, name, OutputKind.TOKEN_EMBEDDINGS, lastDim(out, name));
            for (String name : new String[] {"sentence_embedding", "pooler_output"})
                if (out.containsKey(name))
                    return new ModelSignature(ids, mask, types, name, OutputKind.SENTENCE_EMBEDDING, lastDim(out, name));
            // exports with generic names (e.g. output_0): the first [batch, tokens, hidden] output holds token embeddings
            for (var e : out.entrySet())
                if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3 && t.type == OnnxJavaType.FLOAT)
                    return new ModelSignature(ids, mask, types, e.getKey(), OutputKind.TOKEN_EMBEDDINGS, lastDim(out, e.getKey()));
            throw new ModelLoadException("model has no output infer4j knows (logits, last_hidden_state, token_embeddings, "
                    + "sentence_embedding, pooler_output, or a [batch, tokens, hidden] float tensor); outputs are " + out.keySet());
        } catch (OrtException e) {
            throw new ModelLoadException("cannot read model inputs/outputs: " + e.getMessage(), e);
        }
    }

    private static String require(Map<String, NodeInfo> in, String name) {
        if (!in.containsKey(name)) throw new ModelLoadException("model has no input '" + name + "'; inputs are " + in.keySet());
        return name;
    }

    private static int lastDim(Map<String, NodeInfo> out, String name) {
        if (!(out.get(name).getInfo() instanceof TensorInfo t))
            throw new ModelLoadException("model output '" + name + "' is not a tensor");
        long[] shape = t.getShape();
        long last = shape[shape.length - 1];
        if (last <= 0) throw new ModelLoadException("model output '" + name + "' has no fixed last dimension: " + Arrays.toString(shape));
        return (int) last;
    }
}
