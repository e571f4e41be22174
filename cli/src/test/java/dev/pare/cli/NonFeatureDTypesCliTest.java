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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX models with bool and with uint8 inputs and outputs, compiled to an .mlpackage (whose
 * features are int32: Core ML has neither bool nor uint8 features) and compared with the ONNX model
 * both ways: compare generates each input in its ONNX type for both sides and reports each output
 * in its ONNX type.
 */
class NonFeatureDTypesCliTest {

    @TempDir Path dir;

    private static final int FLOAT = 1;
    private static final int UINT8 = 2;
    private static final int BOOL = 9;

    @Test
    void aBoolInputModelCompilesToInt32FeaturesAndComparesAsBool() throws Exception {
        // y = where(mask, x, -x); flipped = not(mask)
        GraphProto g = GraphProto.newBuilder().setName("bool_io")
                .addInput(info("x", FLOAT, 2, 3)).addInput(info("mask", BOOL, 2, 3))
                .addNode(node("Neg", "minus_x", "x")).addNode(node("Where", "y", "mask", "x", "minus_x"))
                .addNode(node("Not", "flipped", "mask"))
                .addOutput(info("y", FLOAT, 2, 3)).addOutput(info("flipped", BOOL, 2, 3)).build();
        compilesAndComparesBothWays(g,
                "pare: note[MIL004] bool_io.onnx: convert_to_mil: input 'mask' is bool, which a "
                        + "Core ML feature cannot be: it becomes an int32 input (0 = false, 1 = true) cast to bool in the program\n"
                        + "pare: note[MIL004] bool_io.onnx: convert_to_mil: output 'flipped' is bool, which a Core ML feature cannot be: "
                        + "the program casts it to int32 (0 = false, 1 = true)\n",
                "  generated x: float32 [2,3] uniform [0, 1)\n"
                        + "  generated mask: bool [2,3] random true/false\n"
                        + "  output   shape          SNR dB    cosine  max abs err  mean abs err   top-1  top-5\n"
                        + "  y        float32 [2,3]     inf  1.000000            0             0  1.0000      -\n"
                        + "  flipped  bool [2,3]        inf  1.000000            0             0  1.0000      -\n");
    }

    @Test
    void aUint8InputModelCompilesToInt32FeaturesAndComparesAsUint8() throws Exception {
        // scaled = float(pix); flipped = transpose(pix) (uint8)
        NodeProto cast = node("Cast", "scaled", "pix").toBuilder().setName("to_float")
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(FLOAT)).build();
        NodeProto transpose = node("Transpose", "flipped", "pix").toBuilder().setName("flip")
                .addAttribute(AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(0))
                .build();
        GraphProto g = GraphProto.newBuilder().setName("u8_io").addInput(info("pix", UINT8, 2, 3))
                .addNode(cast).addNode(transpose)
                .addOutput(info("scaled", FLOAT, 2, 3)).addOutput(info("flipped", UINT8, 3, 2)).build();
        compilesAndComparesBothWays(g,
                "pare: note[MIL004] u8_io.onnx: convert_to_mil: input 'pix' is u8, which a "
                        + "Core ML feature cannot be: it becomes an int32 input (0 to 255) cast to u8 in the program\n"
                        + "pare: note[MIL004] u8_io.onnx: convert_to_mil: output 'flipped' is u8, which a Core ML feature cannot be: "
                        + "the program casts it to int32\n",
                "  generated pix: uint8 [2,3] uniform integers [0, 256)\n"
                        + "  output   shape          SNR dB    cosine  max abs err  mean abs err   top-1  top-5\n"
                        + "  scaled   float32 [2,3]     inf  1.000000            0             0  1.0000      -\n"
                        + "  flipped  uint8 [3,2]       inf  1.000000            0             0  1.0000      -\n");
    }

    /** Writes {@code graph} as NAME.onnx, compiles it to NAME.mlpackage and compares the two in both orders. */
    private void compilesAndComparesBothWays(GraphProto graph, String expectedCompileErr, String expectedCompare) throws Exception {
        Path onnx = dir.resolve(graph.getName() + ".onnx");
        Files.write(onnx, ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(graph).build().toByteArray());
        Path pkg = dir.resolve(graph.getName() + ".mlpackage");
        CliRun c = pare("compile", onnx.toString(), "-o", pkg.toString(), "--pipeline", "EMPTY", "--verbose");
        assertEquals(0, c.exitCode(), c.err());
        assertEquals(expectedCompileErr, c.err());
        CliRun r = pare("compare", onnx.toString(), pkg.toString(), "--samples", "4", "--seed", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("compare " + onnx + " (A) with " + pkg + " (B): 4 samples generated with seed 3\n" + expectedCompare, r.out());
        // the other way round: the package's inputs are generated as the ONNX model's
        CliRun back = pare("compare", pkg.toString(), onnx.toString(), "--samples", "4", "--seed", "3");
        assertEquals(0, back.exitCode(), back.err());
        assertEquals("", back.err());
        assertEquals("compare " + pkg + " (A) with " + onnx + " (B): 4 samples generated with seed 3\n" + expectedCompare, back.out());
    }

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static ValueInfoProto info(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDimBuilder().setDimValue(d);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    private static NodeProto node(String op, String out, String... in) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out).addAllInput(List.of(in)).build();
    }
}
