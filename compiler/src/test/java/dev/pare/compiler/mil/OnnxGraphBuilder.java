package dev.pare.compiler.mil;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small ONNX graphs (and subgraphs) for tests, built with the protobuf builders: nodes by op type,
 * inputs and outputs with element type and dims (a String dim is symbolic, null unknown).
 */
final class OnnxGraphBuilder {

    static final int FLOAT = 1;
    static final int INT64 = 7;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT32 = 6;
    static final int BOOL = 9;
    static final int FLOAT16 = 10;

    private final GraphProto.Builder g;
    private int counter;

    OnnxGraphBuilder(String name) { this.g = GraphProto.newBuilder().setName(name); }

    OnnxGraphBuilder input(String name, int elemType, Object... dims) {
        g.addInput(info(name, elemType, dims));
        return this;
    }

    OnnxGraphBuilder output(String name, int elemType, Object... dims) {
        g.addOutput(info(name, elemType, dims));
        return this;
    }

    /** An output whose type is left to the runtime (element type only). */
    OnnxGraphBuilder outputAnyShape(String name, int elemType) {
        g.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType))));
        return this;
    }

    OnnxGraphBuilder floats(String name, long[] shape, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        g.addInitializer(tensor(name, FLOAT, shape, b.array()));
        return this;
    }

    OnnxGraphBuilder longs(String name, long[] shape, long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        g.addInitializer(tensor(name, INT64, shape, b.array()));
        return this;
    }

    /** A float16 initializer from float values (each rounded to the nearest float16). */
    OnnxGraphBuilder halves(String name, long[] shape, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putShort(dev.pare.ir.Float16.fromFloat(x));
        g.addInitializer(tensor(name, FLOAT16, shape, b.array()));
        return this;
    }

    /** An 8-bit initializer (elemType UINT8 or INT8), one byte per value. */
    OnnxGraphBuilder bytes(String name, int elemType, long[] shape, byte... v) {
        g.addInitializer(tensor(name, elemType, shape, v));
        return this;
    }

    /** A node {@code outputs = op(inputs)}; "" is an absent optional input. */
    OnnxGraphBuilder node(String op, String[] inputs, String[] outputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + counter++);
        for (String i : inputs) n.addInput(i);
        for (String o : outputs) n.addOutput(o);
        for (AttributeProto a : attrs) n.addAttribute(a);
        g.addNode(n);
        return this;
    }

    /** A node of ONNX Runtime's com.microsoft domain (the model then imports that domain). */
    OnnxGraphBuilder msNode(String op, String[] inputs, String[] outputs, AttributeProto... attrs) {
        node(op, inputs, outputs, attrs);
        g.getNodeBuilder(g.getNodeCount() - 1).setDomain("com.microsoft");
        return this;
    }

    /** A one-output node. */
    OnnxGraphBuilder node(String op, String output, String... inputs) {
        return node(op, inputs, new String[] {output});
    }

    GraphProto build() { return g.build(); }

    static AttributeProto graph(String name, GraphProto sub) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(sub).build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto str(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    /** Writes the graph as an opset-17 model. */
    static Path write(GraphProto graph, Path file) throws Exception {
        return write(graph, file, 17);
    }

    /** Writes the graph at this ai.onnx opset (and com.microsoft 1 when a node uses that domain). */
    static Path write(GraphProto graph, Path file, int opset) throws Exception {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(graph);
        if (graph.getNodeList().stream().anyMatch(n -> n.getDomain().equals("com.microsoft"))) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
        }
        Files.write(file, m.build().toByteArray());
        return file;
    }

    private static TensorProto tensor(String name, int type, long[] shape, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(raw));
        for (long d : shape) t.addDims(d);
        return t.build();
    }

    static ValueInfoProto info(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String sym) s.addDimBuilder().setDimParam(sym);
            else if (d == null) s.addDimBuilder();
            else s.addDimBuilder().setDimValue(((Number) d).longValue());
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }
}
