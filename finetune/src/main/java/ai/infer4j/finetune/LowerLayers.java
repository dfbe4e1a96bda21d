package ai.infer4j.finetune;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import ai.infer4j.engine.optimize.proto.Onnx.TypeProto;
import ai.infer4j.engine.optimize.proto.Onnx.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The frozen lower layers run by ONNX Runtime: the backbone's graph cut after layer {@code from - 1} (its output is
 * that layer's hidden states; nodes and weights past it are dropped). ONNX Runtime runs this pass several times faster
 * than PyTorch's eager ops, and it is the runtime that serves the result.
 */
final class LowerLayers implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final boolean typeIds;

    LowerLayers(ModelProto model, int from, int threads) {
        ModelProto cut = cut(model, from);
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            session = env.createSession(cut.toByteArray(), so);
            typeIds = session.getInputNames().contains("token_type_ids");
        } catch (OrtException e) {
            throw new ModelLoadException("cannot load the lower " + from + " layers in ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** The model whose one output is the hidden state after encoder layer {@code from - 1} ({@code from = 0}: the embeddings). */
    static ModelProto cut(ModelProto model, int from) {
        GraphProto g = model.getGraph();
        String prefix = from == 0 ? "/embeddings/LayerNorm/" : "/encoder/layer." + (from - 1) + "/output/LayerNorm/";
        String out = null;
        for (NodeProto n : g.getNodeList()) if (n.getName().startsWith(prefix)) out = n.getOutput(0);
        if (out == null) throw new ModelLoadException("no node under " + prefix + " in the graph; cannot cut it after layer " + (from - 1));
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) producer.put(o, n);
        Set<NodeProto> keep = new HashSet<>();
        Set<String> used = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(out));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (!used.add(v)) continue;
            NodeProto p = producer.get(v);
            if (p != null && keep.add(p)) todo.addAll(p.getInputList());
        }
        GraphProto.Builder b = g.toBuilder().clearNode().clearInitializer().clearOutput().clearInput().clearValueInfo();
        for (NodeProto n : g.getNodeList()) if (keep.contains(n)) b.addNode(n);
        for (TensorProto t : g.getInitializerList()) if (used.contains(t.getName())) b.addInitializer(t);
        for (ValueInfoProto i : g.getInputList()) if (used.contains(i.getName())) b.addInput(i);
        b.addOutput(ValueInfoProto.newBuilder().setName(out).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()))));
        return model.toBuilder().setGraph(b).build();
    }

    /** Hidden states {@code [n * len * hidden]} of a batch padded to {@code len}. */
    float[] run(long[][] ids, long[][] types, int len) {
        int n = ids.length;
        long[][] pid = new long[n][len], mask = new long[n][len], pty = new long[n][len];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < ids[i].length; t++) {
                pid[i][t] = ids[i][t];
                mask[i][t] = 1;
                pty[i][t] = types[i][t];
            }
        try (OnnxTensor a = OnnxTensor.createTensor(env, pid); OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor ty = OnnxTensor.createTensor(env, pty)) {
            Map<String, OnnxTensor> in = new HashMap<>(Map.of("input_ids", a, "attention_mask", m));
            if (typeIds) in.put("token_type_ids", ty);
            try (OrtSession.Result r = session.run(in)) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] v = new float[fb.remaining()];
                fb.get(v);
                return v;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on the lower layers: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the lower layers' session", e);
        }
    }
}
