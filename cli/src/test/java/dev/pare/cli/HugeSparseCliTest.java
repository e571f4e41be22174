package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pruned weight stored sparse may declare far more elements than fit in memory; the default
 * pipeline compiles it without ever expanding it, and it is written back sparse.
 */
class HugeSparseCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    /** {@code y = x + w} where {@code w} is a sparse f32 initializer of shape {@code dims} with two non-zeros. */
    static ModelProto addSparse(long... dims) {
        long last = 1;
        for (long d : dims) last *= d;
        ByteBuffer values = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        TensorProto.Builder v = TensorProto.newBuilder().setName("w").setDataType(1).addDims(2)
                .setRawData(ByteString.copyFrom(values.array()));
        TensorProto.Builder ix = TensorProto.newBuilder().setDataType(7).addDims(2).addInt64Data(7).addInt64Data(last - 1);
        SparseTensorProto.Builder w = SparseTensorProto.newBuilder().setValues(v).setIndices(ix);
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            w.addDims(d);
            shape.addDimBuilder().setDimValue(d);
        }
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape)).build();
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(type))
                .addSparseInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(type))
                .build();
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
    }

    private void compilesAndStaysSparse(long... dims) throws Exception {
        Path in = Files.write(dir.resolve("in.onnx"), addSparse(dims).toByteArray());
        assertTrue(Files.size(in) < 200, "a hand-made file of " + Files.size(in) + " bytes");
        Path out = dir.resolve("out.onnx");
        CliRun r = pare("compile", in.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(1, written.getGraph().getSparseInitializerCount(), written.getGraph().toString());
        assertEquals(0, written.getGraph().getInitializerCount());
        SparseTensorProto w = written.getGraph().getSparseInitializer(0);
        assertEquals(java.util.Arrays.stream(dims).boxed().toList(), w.getDimsList());
        assertEquals(2, w.getValues().getDims(0));
    }

    @Test
    void fortyThousandSquared() throws Exception {
        compilesAndStaysSparse(40000, 40000);
    }

    @Test
    void twoToTheFortyElements() throws Exception {
        compilesAndStaysSparse(1L << 20, 1L << 20);
    }

    @Test
    void equalHugeSparseWeightsAreMergedWithoutExpanding() throws Exception {
        ModelProto one = addSparse(40000, 40000);
        GraphProto.Builder g = one.getGraph().toBuilder();
        SparseTensorProto copy = g.getSparseInitializer(0).toBuilder()
                .setValues(g.getSparseInitializer(0).getValues().toBuilder().setName("w2")).build();
        g.addSparseInitializer(copy)
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("y").addInput("w2").addOutput("z"))
                .setOutput(0, g.getOutput(0).toBuilder().setName("z"));
        Path in = Files.write(dir.resolve("two.onnx"), one.toBuilder().setGraph(g).build().toByteArray());
        Path out = dir.resolve("out.onnx");
        CliRun r = pare("compile", in.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        GraphProto written = ModelProto.parseFrom(Files.readAllBytes(out)).getGraph();
        assertEquals(1, written.getSparseInitializerCount(), "const_deduplication merged the equal sparse weights");
        assertEquals("w", written.getNode(1).getInput(1));
    }

    @Test
    void compressionPipelinesLeaveAHugeSparseWeightAsItIs() throws Exception {
        GraphProto.Builder g = addSparse(40000, 40000).getGraph().toBuilder();
        TypeProto row = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1)
                .setShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(40000)))).build();
        g.setInput(0, ValueInfoProto.newBuilder().setName("x").setType(row))
                .setNode(0, NodeProto.newBuilder().setName("mm").setOpType("MatMul").addInput("x").addInput("w").addOutput("y"))
                .setOutput(0, ValueInfoProto.newBuilder().setName("y").setType(row));
        Path in = Files.write(dir.resolve("mm.onnx"), addSparse(1).toBuilder().setGraph(g).build().toByteArray());
        for (String pipeline : new String[] {"PRUNE_50", "QUANTIZE_INT8", "PALETTIZE_4BIT"}) {
            Path out = dir.resolve(pipeline + ".onnx");
            CliRun r = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", pipeline);
            assertEquals(0, r.exitCode(), pipeline + ": " + r.err());
            assertEquals(1, ModelProto.parseFrom(Files.readAllBytes(out)).getGraph().getSparseInitializerCount(), pipeline);
        }
    }
}
