package ai.infer4j.engine.optimize;

import ai.infer4j.engine.optimize.proto.Onnx.AttributeProto;
import ai.infer4j.engine.optimize.proto.Onnx.GraphProto;
import ai.infer4j.engine.optimize.proto.Onnx.ModelProto;
import ai.infer4j.engine.optimize.proto.Onnx.NodeProto;
import ai.infer4j.engine.optimize.proto.Onnx.OperatorSetIdProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto;
import ai.infer4j.engine.optimize.proto.Onnx.TensorShapeProto;
import ai.infer4j.engine.optimize.proto.Onnx.TypeProto;
import ai.infer4j.engine.optimize.proto.Onnx.ValueInfoProto;

import java.util.List;

/**
 * Builds small ONNX models in code (tests, fixtures, tools). Dimensions are {@code Long} sizes or
 * {@code String} symbolic names such as {@code "batch"}. Not thread-safe; one builder per model.
 *
 * <pre>
 * ModelProto m = new GraphBuilder("mlp")
 *     .input("x", TensorProto.DataType.FLOAT, "batch", 16L)
 *     .initializer(OnnxModels.floatTensor("w", new long[] {16, 4}, weights))
 *     .node("MatMul", List.of("x", "w"), List.of("y"))
 *     .output("y", TensorProto.DataType.FLOAT, "batch", 4L)
 *     .build();
 * </pre>
 */
public final class GraphBuilder {
    /** ONNX opset the built models import (ONNX Runtime 1.23 runs it). */
    public static final int OPSET = 17;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(8).setProducerName("infer4j");
    private int nodes;

    public GraphBuilder(String name) {
        graph.setName(name);
        model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    }

    public GraphBuilder input(String name, TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(name, type, dims));
        return this;
    }

    public GraphBuilder output(String name, TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(name, type, dims));
        return this;
    }

    public GraphBuilder initializer(TensorProto t) {
        graph.addInitializer(t);
        return this;
    }

    /** Adds an ONNX operator; {@code attributes} are built with {@link #intAttr}, {@link #intsAttr}, ... */
    public GraphBuilder node(String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op + "_" + nodes++).addAllInput(inputs)
                .addAllOutput(outputs).addAllAttribute(List.of(attributes)));
        return this;
    }

    public static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    public static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    public ModelProto build() {
        return model.setGraph(graph).build();
    }

    static ValueInfoProto valueInfo(String name, TensorProto.DataType type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            else shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }
}
