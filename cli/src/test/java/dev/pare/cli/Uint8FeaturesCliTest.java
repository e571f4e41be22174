package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ONNX model with a uint8 input and a uint8 output, compiled to an .mlpackage (whose features
 * are int32: Core ML has no uint8 features) and compared with the ONNX model both ways: compare
 * generates the input as uint8 for both and reports the uint8 output as uint8.
 */
class Uint8FeaturesCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static final int FLOAT = 1;
    private static final int UINT8 = 2;

    private static ValueInfoProto info(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDimBuilder().setDimValue(d);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    /** scaled = float(pix); flipped = transpose(pix) (uint8). */
    private Path model() throws Exception {
        NodeProto cast = NodeProto.newBuilder().setOpType("Cast").setName("to_float").addInput("pix").addOutput("scaled")
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(FLOAT)).build();
        NodeProto transpose = NodeProto.newBuilder().setOpType("Transpose").setName("flip").addInput("pix").addOutput("flipped")
                .addAttribute(AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(0))
                .build();
        GraphProto g = GraphProto.newBuilder().setName("u8_io").addInput(info("pix", UINT8, 2, 3))
                .addNode(cast).addNode(transpose)
                .addOutput(info("scaled", FLOAT, 2, 3)).addOutput(info("flipped", UINT8, 3, 2)).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        Path p = dir.resolve("u8_io.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void aUint8InputModelCompilesToInt32FeaturesAndComparesAsUint8() throws Exception {
        Path onnx = model();
        Path pkg = dir.resolve("u8_io.mlpackage");
        CliRun c = pare("compile", onnx.toString(), "-o", pkg.toString(), "--pipeline", "EMPTY", "--verbose");
        assertEquals(0, c.exitCode(), c.err());
        assertEquals(EXPECTED_COMPILE_ERR, c.err());
        CliRun r = pare("compare", onnx.toString(), pkg.toString(), "--samples", "4", "--seed", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("compare " + onnx + " (A) with " + pkg + " (B): 4 samples generated with seed 3\n" + EXPECTED_COMPARE, r.out());
        CliRun back = pare("compare", pkg.toString(), onnx.toString(), "--samples", "4", "--seed", "3");
        assertEquals(0, back.exitCode(), back.err());
        assertEquals("", back.err());
        assertEquals("compare " + pkg + " (A) with " + onnx + " (B): 4 samples generated with seed 3\n" + EXPECTED_COMPARE, back.out());
    }

    private static final String EXPECTED_COMPILE_ERR = "pare: note[MIL004] u8_io.onnx: convert_to_mil: input 'pix' is u8, which a "
            + "Core ML feature cannot be: it becomes an int32 input (0 to 255) cast to u8 in the program\n"
            + "pare: note[MIL004] u8_io.onnx: convert_to_mil: output 'flipped' is u8, which a Core ML feature cannot be: "
            + "the program casts it to int32\n";
    private static final String EXPECTED_COMPARE = "  generated pix: uint8 [2,3] uniform integers [0, 256)\n"
            + "  output   shape          SNR dB    cosine  max abs err  mean abs err   top-1  top-5\n"
            + "  scaled   float32 [2,3]     inf  1.000000            0             0  1.0000      -\n"
            + "  flipped  uint8 [3,2]       inf  1.000000            0             0  1.0000      -\n";
}
