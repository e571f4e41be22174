package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps that change nothing say so on stderr without {@code --verbose}, one warning line per step:
 * a selector that matches no node (M015), a compression pass that skipped every weight (CW007), an
 * activation quantization that found no float32 activation (AQ103).
 */
class NoOpStepWarningsCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static List<String> warnings(CliRun r) {
        return r.err().lines().filter(l -> l.startsWith("pare: warning")).toList();
    }

    @Test
    void aSelectorThatMatchesNoNodeIsNamedWithItsStep() {
        Path out = dir.resolve("p.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline", "palettize on op_name(\"x*\")");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertEquals(List.of("pare: warning[M015] <pipeline>:1:1: step 'palettize': on op_name(\"x*\") matches no node, "
                + "so the step applies to none"), warnings(r));
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void onlyThePatternsThatMatchNothingAreNamedInOneLine() {
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", dir.resolve("p.onnx").toString(), "--pipeline",
                "CLEANUP,\nquantize_weights on op_type(conv, convolution) except op_type(gelu) where { op_name(\"head*\") -> skip; }");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertEquals(List.of("pare: warning[M015] <pipeline>:2:1: step 'quantize_weights': on op_type(convolution), "
                + "except op_type(gelu), where op_name(\"head*\") (at <pipeline>:2:77) match no node"), warnings(r));
    }

    @Test
    void aCompressionStepThatSkipsEveryWeightCountsTheReasons() {
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", dir.resolve("p.onnx").toString(), "--pipeline",
                "palettize{weight_threshold=100000000}");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertEquals(List.of("pare: warning[CW007] model.onnx: palettize compressed no weight: 18 weights left as they are: "
                + "18 not more than weight_threshold elements (CW001)"), warnings(r));
    }

    @Test
    void w8a8OnFp16ActivationsSaysItQuantizedNoActivation() throws Exception {
        Path in = dir.resolve("fp16.onnx");
        new OnnxFormat().write(fp16MatMul(), in);
        Path out = dir.resolve("w8a8.onnx");
        // no --calibration-data needed: the pass stops before calibrating
        CliRun r = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "W8A8");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertEquals(List.of("pare: warning[AQ103] fp16.onnx: activation_quantize quantized no activation: the 1 selected op "
                + "reads only f16 activations; activation_quantize quantizes float32 activations (and fp16 ones in Core ML programs)"),
                warnings(r));
        assertTrue(Files.isRegularFile(out));
    }

    /** {@code y = x · w} in float16, w [64, 64] (large enough for quantize_weights). */
    private static Model fp16MatMul() {
        Graph g = new Graph("fp16");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", TensorType.of(DType.FLOAT16, 1, 64));
        byte[] w = new byte[64 * 64 * 2];
        for (int i = 0; i < 64 * 64; i++) {
            short h = Float16.fromFloat((i % 7 - 3) * 0.1f);
            w[2 * i] = (byte) h;
            w[2 * i + 1] = (byte) (h >> 8);
        }
        Value weight = r.addConstant("w", TensorData.of(TensorType.of(DType.FLOAT16, 64, 64), w));
        Value y = r.createNode("mm", "onnx.MatMul", List.of(x, weight), List.of("y"), List.of(TensorType.of(DType.FLOAT16, 1, 64)),
                Attributes.empty(), Location.UNKNOWN).result(0);
        r.addOutput(y);
        Model m = new Model("fp16", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 17)));
        m.setProperty("ir_version", "8");
        return m;
    }
}
