package ai.infer4j.engine.optimize;

import ai.infer4j.engine.error.ModelExecutionException;
import ai.infer4j.engine.backbone.ModelSignature;
import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import ai.infer4j.engine.optimize.proto.Onnx.ValueInfoProto;
import ai.infer4j.engine.tokenize.Tokens;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calibration for smoothing (SmoothQuant): the largest absolute value of each channel (last dimension) of
 * the activations that weight MatMuls read, over a sample of real inputs, from the float model. The
 * chosen activations are exposed as extra graph outputs of an in-memory copy of the model.
 */
public final class ActivationStats {
    private ActivationStats() {
    }

    /** Inputs of the MatMuls whose right-hand side is a 2-D float initializer: what {@link Int8Quantizer} rewrites. */
    public static Set<String> weightMatMulInputs(ModelProto model) {
        Map<String, TensorProto> inits = new HashMap<>();
        for (TensorProto t : model.getGraph().getInitializerList()) inits.put(t.getName(), t);
        Set<String> names = new LinkedHashSet<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!(n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")) || !n.getOpType().equals("MatMul")) continue;
            TensorProto w = n.getInputCount() == 2 ? inits.get(n.getInput(1)) : null;
            if (w != null && w.getDimsCount() == 2 && w.getDataType() == TensorProto.DataType.FLOAT.getNumber()
                    && !inits.containsKey(n.getInput(0)))
                names.add(n.getInput(0));
        }
        return names;
    }

    /**
     * Per-channel max |x| of each named activation over {@code inputs}, run in length-sorted batches.
     *
     * @param signature the model's input names (from the loaded float backbone)
     */
    public static Map<String, float[]> channelMax(ModelProto model, Set<String> tensors, ModelSignature signature,
                                                  List<Tokens> inputs, int batchSize) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) outputs.add(o.getName());
        for (String t : tensors) if (!outputs.contains(t)) g.addOutput(ValueInfoProto.newBuilder().setName(t));
        byte[] bytes = model.toBuilder().setGraph(g).build().toByteArray();

        List<Tokens> sorted = new ArrayList<>(inputs);
        sorted.sort(Comparator.comparingInt(Tokens::length));
        Map<String, float[]> max = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT); // keep the named tensors as they are
            try (OrtSession session = env.createSession(bytes, so)) {
                for (int from = 0; from < sorted.size(); from += batchSize) {
                    List<Tokens> batch = sorted.subList(from, Math.min(sorted.size(), from + batchSize));
                    run(env, session, signature, batch, tensors, max);
                }
            }
        } catch (OrtException e) {
            throw new ModelExecutionException("calibration run failed: " + e.getMessage(), e);
        }
        return max;
    }

    private static void run(OrtEnvironment env, OrtSession session, ModelSignature sig, List<Tokens> batch, Set<String> tensors,
                            Map<String, float[]> max) throws OrtException {
        int n = batch.size(), len = batch.get(n - 1).length();
        long[] ids = new long[n * len], mask = new long[n * len], types = new long[n * len];
        for (int i = 0; i < n; i++) {
            Tokens t = batch.get(i);
            System.arraycopy(t.ids(), 0, ids, i * len, t.length());
            System.arraycopy(t.typeIds(), 0, types, i * len, t.length());
            for (int j = 0; j < t.length(); j++) mask[i * len + j] = 1;
        }
        long[] shape = {n, len};
        try (OnnxTensor tIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor tMask = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor tTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put(sig.inputIds(), tIds);
            in.put(sig.attentionMask(), tMask);
            if (sig.tokenTypeIds() != null) in.put(sig.tokenTypeIds(), tTypes);
            try (OrtSession.Result r = session.run(in, tensors)) {
                for (String name : tensors) {
                    OnnxTensor v = (OnnxTensor) r.get(name).orElseThrow();
                    long[] dims = v.getInfo().getShape();
                    int c = (int) dims[dims.length - 1];
                    float[] m = max.computeIfAbsent(name, k -> new float[c]);
                    FloatBuffer fb = v.getFloatBuffer();
                    for (int i = 0; fb.hasRemaining(); i = (i + 1) % c) m[i] = Math.max(m[i], Math.abs(fb.get()));
                }
            }
        }
    }
}
