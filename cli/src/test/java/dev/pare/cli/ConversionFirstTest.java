package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ONNX model written as Core ML is converted to MIL after the user's pipeline; a conversion
 * that will fail is tried on a copy first, so the compile fails before any weight is compressed
 * (on a 7B model that saves minutes of compression).
 */
class ConversionFirstTest {

    @TempDir Path dir;

    /** {@code y = Det(x · w)}: a 64 × 64 weight to palettize and an op with no MIL lowering. */
    private Path model() throws Exception {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", TensorType.of(DType.FLOAT32, 64, 64));
        float[] w = new float[64 * 64];
        for (int i = 0; i < w.length; i++) w[i] = (i * 37 % 101) / 100f;
        Value wv = r.addConstant("w", TensorData.ofFloats(new long[] {64, 64}, w));
        TensorType t = TensorType.of(DType.FLOAT32, 64, 64);
        Value h = r.createNode("mm", "onnx.MatMul", List.of(x, wv), List.of("h"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
        Value y = r.createNode("det", "onnx.Det", List.of(h), List.of("y"), List.of(TensorType.of(DType.FLOAT32)), Attributes.empty(),
                Location.UNKNOWN).result(0);
        r.addOutput(y);
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "8");
        Path in = dir.resolve("det.onnx");
        new OnnxFormat().write(m, in);
        return in;
    }

    private CliRun run(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), java.util.Map.of()), args);
    }

    @Test
    void aConversionThatWillFailFailsBeforeTheWeightsAreCompressed() throws Exception {
        Path in = model();
        Path out = dir.resolve("det.mlpackage");
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--pipeline", "PALETTIZE_4BIT", "--target", "ios18", "--timing");
        assertEquals(ExitCodes.COMPILE_FAILED, r.exitCode(), r.err());
        assertTrue(r.err().contains("pare: error[MIL001] pass 'convert_to_mil' failed at <pipeline>:1:1: convert_to_mil: no MIL lowering for 1 op type: Det (det)\n"), r.err());
        assertFalse(r.err().contains("palettize"), "palettize must not have run:\n" + r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void withoutAConversionTheSamePipelineRuns() throws Exception {
        Path out = dir.resolve("out.onnx");
        CliRun r = run("compile", model().toString(), "-o", out.toString(), "--pipeline", "PALETTIZE_4BIT", "--timing");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(r.err().contains("palettize"), r.err());
        assertTrue(Files.size(out) > 0);
    }
}
