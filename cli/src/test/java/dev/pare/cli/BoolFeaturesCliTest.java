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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ONNX model with a bool input and a bool output, compiled to an .mlpackage (whose features are
 * int32: Core ML has no bool features) and compared with the ONNX model: compare feeds the same
 * truth values to both and reports the bool output as bool.
 */
class BoolFeaturesCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static final int FLOAT = 1;
    private static final int BOOL = 9;

    private static ValueInfoProto info(String name, int type) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        s.addDimBuilder().setDimValue(2);
        s.addDimBuilder().setDimValue(3);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    private static NodeProto node(String op, String out, String... in) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out).addAllInput(java.util.List.of(in)).build();
    }

    /** y = where(mask, x, -x); flipped = not(mask). */
    private Path model() throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("bool_io")
                .addInput(info("x", FLOAT)).addInput(info("mask", BOOL))
                .addNode(node("Neg", "minus_x", "x")).addNode(node("Where", "y", "mask", "x", "minus_x"))
                .addNode(node("Not", "flipped", "mask"))
                .addOutput(info("y", FLOAT)).addOutput(info("flipped", BOOL)).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        Path p = dir.resolve("bool_io.onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void aBoolInputModelCompilesToInt32FeaturesAndComparesAsBool() throws Exception {
        Path onnx = model();
        Path pkg = dir.resolve("bool_io.mlpackage");
        CliRun c = pare("compile", onnx.toString(), "-o", pkg.toString(), "--pipeline", "EMPTY", "--verbose");
        assertEquals(0, c.exitCode(), c.err());
        CliRun r = pare("compare", onnx.toString(), pkg.toString(), "--samples", "4", "--seed", "3");
        assertEquals(EXPECTED_COMPILE_ERR, c.err());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("compare " + onnx + " (A) with " + pkg + " (B): 4 samples generated with seed 3\n" + EXPECTED_COMPARE, r.out());
        // the other way round: the package's inputs are generated as the ONNX model's (mask as bool)
        CliRun back = pare("compare", pkg.toString(), onnx.toString(), "--samples", "4", "--seed", "3");
        assertEquals(0, back.exitCode(), back.err());
        assertEquals("", back.err());
        assertEquals("compare " + pkg + " (A) with " + onnx + " (B): 4 samples generated with seed 3\n" + EXPECTED_COMPARE, back.out());
    }

    private static final String EXPECTED_COMPILE_ERR = "pare: note[MIL004] bool_io.onnx: convert_to_mil: input 'mask' is bool, which a "
            + "Core ML feature cannot be: it becomes an int32 input (0 = false, 1 = true) cast to bool in the program\n"
            + "pare: note[MIL004] bool_io.onnx: convert_to_mil: output 'flipped' is bool, which a Core ML feature cannot be: "
            + "the program casts it to int32 (0 = false, 1 = true)\n";
    private static final String EXPECTED_COMPARE = "  generated x: float32 [2,3] uniform [0, 1)\n"
            + "  generated mask: bool [2,3] random true/false\n"
            + "  output   shape          SNR dB    cosine  max abs err  mean abs err   top-1  top-5\n"
            + "  y        float32 [2,3]     inf  1.000000            0             0  1.0000      -\n"
            + "  flipped  bool [2,3]        inf  1.000000            0             0  1.0000      -\n";
}
