package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pare compile} refuses to write an ONNX model that ONNX Runtime would refuse: exit 4, one
 * line naming the node, and no file written (an existing output is left as it was).
 */
class InvalidOnnxOutputCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static ValueInfoProto floats(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor
                .newBuilder().setElemType(1).setShape(TensorShapeProto.newBuilder().addDim(
                        TensorShapeProto.Dimension.newBuilder().setDimValue(2))))).build();
    }

    /** A node of domain com.example in a model that imports only the default domain's opset. */
    private Path modelWithoutItsDomainsOpset() throws Exception {
        ModelProto m = ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(GraphProto.newBuilder().setName("g").addInput(floats("x"))
                        .addNode(NodeProto.newBuilder().setName("custom").setOpType("Swish").setDomain("com.example")
                                .addInput("x").addOutput("y"))
                        .addOutput(floats("y")))
                .build();
        return Files.write(dir.resolve("in.onnx"), m.toByteArray());
    }

    @Test
    void anOutputOnnxRuntimeWouldRefuseIsNotWritten() throws Exception {
        Path in = modelWithoutItsDomainsOpset();
        Path out = dir.resolve("out.onnx");
        CliRun r = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY");
        assertEquals(new CliRun(4, "", "pare: error: " + out + ": cannot write ONNX: the model would be invalid:"
                + " graph 'g': node 'custom' (com.example.Swish) uses domain 'com.example', which has no opset import\n"), r);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(in), files.toList(), "no output, no temporary file");
        }

        Files.writeString(out, "previous output");
        assertEquals(4, pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY", "--force").exitCode());
        assertEquals("previous output", Files.readString(out));
    }
}
