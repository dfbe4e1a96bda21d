package ai.infer4j.engine.optimize;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.optimize.proto.Onnx.AttributeProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads, writes and inspects ONNX models as protobuf messages: tensors to and from Java arrays,
 * attribute look-ups. Models must keep their weights inside the file (no external data).
 */
public final class OnnxModels {
    /** Operator domain of ONNX Runtime's contrib operators. */
    public static final String MS_DOMAIN = "com.microsoft";

    private OnnxModels() {
    }

    /** Parses an ONNX model file; refuses one whose weights live in external data files. */
    public static ModelProto read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream cin = CodedInputStream.newInstance(in);
            cin.setSizeLimit(Integer.MAX_VALUE);
            cin.setRecursionLimit(1000);
            ModelProto m = ModelProto.parseFrom(cin);
            for (TensorProto t : m.getGraph().getInitializerList())
                if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL)
                    throw new ModelLoadException("model " + file + " keeps tensor '" + t.getName()
                            + "' in external data; infer4j rewrites only self-contained models (< 2 GB)");
            return m;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes a model atomically (temp file + rename). */
    public static void write(ModelProto model, Path file) {
        try {
            AtomicFiles.write(file, model::writeTo);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    /** A float tensor, stored little-endian in {@code raw_data}. */
    public static TensorProto floatTensor(String name, long[] dims, float[] values) {
        checkSize(name, dims, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return tensor(name, dims, TensorProto.DataType.FLOAT, b.array());
    }

    /** An int8 tensor in {@code raw_data}. */
    public static TensorProto int8Tensor(String name, long[] dims, byte[] values) {
        checkSize(name, dims, values.length);
        return tensor(name, dims, TensorProto.DataType.INT8, values);
    }

    /** An int64 tensor in {@code raw_data}. */
    public static TensorProto int64Tensor(String name, long[] dims, long[] values) {
        checkSize(name, dims, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return tensor(name, dims, TensorProto.DataType.INT64, b.array());
    }

    private static TensorProto tensor(String name, long[] dims, TensorProto.DataType type, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(ByteString.copyFrom(raw));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static void checkSize(String name, long[] dims, int n) {
        long size = 1;
        for (long d : dims) size *= d;
        if (size != n) throw new IllegalArgumentException("tensor '" + name + "' has " + n + " values but dims give " + size);
    }

    /** Values of a float tensor, from {@code raw_data} or {@code float_data}. */
    public static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber())
            throw new IllegalArgumentException("tensor '" + t.getName() + "' is not float (data_type " + t.getDataType() + ")");
        if (!t.hasRawData()) {
            float[] v = new float[t.getFloatDataCount()];
            for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
            return v;
        }
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** Number of elements a tensor's dims describe. */
    public static long elements(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) n *= d;
        return n;
    }

    /** An integer attribute of a node, or {@code dflt} when absent. */
    public static long intAttr(NodeProto node, String name, long dflt) {
        return attr(node, name).map(AttributeProto::getI).orElse(dflt);
    }

    /** A float attribute of a node, or {@code dflt} when absent. */
    public static float floatAttr(NodeProto node, String name, float dflt) {
        return attr(node, name).map(AttributeProto::getF).orElse(dflt);
    }

    static Optional<AttributeProto> attr(NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
    }

    /** Counts of each operator type ({@code domain.op} for non-ONNX domains), for reports and logs. */
    public static SortedMap<String, Integer> opCounts(ModelProto m) {
        SortedMap<String, Integer> counts = new TreeMap<>();
        for (NodeProto n : m.getGraph().getNodeList())
            counts.merge(n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") ? n.getOpType() : n.getDomain() + "." + n.getOpType(), 1, Integer::sum);
        return counts;
    }
}
