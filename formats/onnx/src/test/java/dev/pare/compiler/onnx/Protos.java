package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small builders for hand-made ONNX protos in tests. */
final class Protos {

    private Protos() {}

    static ValueInfoProto tensorInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDimBuilder().setDimParam(s);
            else shape.addDimBuilder().setDimValue(((Number) d).longValue());
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
                .build();
    }

    static TensorProto floats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    static TensorProto longs(String name, long[] dims, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(7);
        for (long d : dims) t.addDims(d);
        for (long v : values) t.addInt64Data(v);
        return t.build();
    }

    static NodeProto node(String name, String op, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).addAllInput(inputs).addAllOutput(outputs);
        if (name != null) n.setName(name);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    static OperatorSetIdProto opset(String domain, long version) {
        return OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version).build();
    }

    static ModelProto.Builder model(int opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test").addOpsetImport(opset("", opset));
    }

    static Path save(ModelProto m, Path file) throws IOException {
        Files.write(file, m.toByteArray());
        return file;
    }
}
