package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare inspect} and {@code pare compile} on Core ML packages (the coremltools fixtures). */
class CoreMlCliTest {

    static final Path FIXTURES = Path.of("../compiler/src/test/resources/models/coreml");

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    @Test
    void inspectAPalettizedPackage() {
        Path pkg = FIXTURES.resolve("mnist_dwnet_pal4_ios16.mlpackage");
        CliRun r = pare("inspect", pkg.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("Model " + pkg + " (coreml)\n"), r.out());
        assertTrue(r.out().contains("\nWeights: 47 tensors, 276,922 parameters, 279.9 KiB\n"), r.out());
        assertTrue(r.out().contains("\nCompressed weights: 11 tensors, 261.5 KiB stored for 1.0 MiB dense (x4.0)\n"), r.out());
        assertTrue(r.out().contains("  palettized 4-bit (constexpr_lut_to_dense, iOS16)\n"), r.out());
    }

    @Test
    void inspectJsonNamesTheMethod() {
        CliRun r = pare("inspect", "--json", FIXTURES.resolve("mnist_dwnet_int4b32_ios18.mlpackage").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("\"method\": \"int4 per-block 1x32 (constexpr_blockwise_shift_scale, iOS18)\""), r.out());
        assertTrue(r.out().contains("\"storage\": \"blob file\""), r.out());
    }

    @Test
    void neuralNetworkModelIsABadInput() throws Exception {
        Path file = dir.resolve("old.mlmodel");
        // specificationVersion 4, then field 500 (neuralNetwork) as an empty message.
        Files.write(file, new byte[] {0x08, 0x04, (byte) 0xA2, 0x1F, 0x00});
        CliRun r = pare("inspect", file.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode());
        assertEquals("pare: error: " + file.toAbsolutePath() + ": is a neuralNetwork model (specificationVersion 4); "
                + "Pare needs an ML Program (convert with coremltools using convert_to=\"mlprogram\")\n", r.err());
    }

    @Test
    void compileReadsThePackageAndWritesItBack() {
        Path out = dir.resolve("out.mlpackage");
        CliRun r = pare("compile", FIXTURES.resolve("block_fp32_ios18.mlpackage").toString(), "-o", out.toString(),
                "--pipeline", "EMPTY");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("Manifest.json")));
        CliRun again = pare("inspect", out.toString());
        assertEquals(ExitCodes.OK, again.exitCode(), again.err());
    }

    @Test
    void palettizingAnInt8PackageDecompressesItFirstAndInspectSaysSo() {
        Path out = dir.resolve("pal4.mlpackage");
        CliRun r = pare("compile", FIXTURES.resolve("mnist_dwnet_int8_ios16.mlpackage").toString(), "-o", out.toString(),
                "--pipeline", "PALETTIZE_4BIT");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(r.err().contains("pare: 18 notes (CW001 x7, CW005 x11); --verbose lists them"), r.err());
        CliRun inspect = pare("inspect", out.toString());
        assertEquals(ExitCodes.OK, inspect.exitCode(), inspect.err());
        String row = inspect.out().lines().filter(l -> l.startsWith("  fc_weight_to_fp16_quantized ")).reduce("", (a, b) -> b);
        assertTrue(row.endsWith("palettized 4-bit (constexpr_lut_to_dense, iOS16)  int8-quantized (constexpr_affine_dequantize)"),
                inspect.out());
        assertTrue(inspect.out().contains(" method ") && inspect.out().contains("decompressed from\n"), inspect.out());
    }

    @Test
    void aCompressionTheTargetLacksIsRefusedAndNothingIsWritten() {
        Path out = dir.resolve("ios16.mlpackage");
        CliRun r = pare("compile", FIXTURES.resolve("mnist_dwnet_prune50_ios16.mlpackage").toString(), "-o", out.toString(),
                "--pipeline", "PALETTIZE_4BIT", "--target", "ios16");
        assertEquals(ExitCodes.OUTPUT_FAILED, r.exitCode(), r.err());
        assertTrue(r.err().contains("pare: error[CL001] pass 'lower_to_coreml' failed at <pipeline>:1:1: lower_to_coreml: "
                + "weight 'const_8_to_fp16_sparsified' (node y_1_cast_fp16): joint sparse + palettized compression needs --target ios18"),
                r.err());
        assertFalse(Files.exists(out));
        assertEquals(1, dir.toFile().list().length == 0 ? 1 : 0, String.join(",", dir.toFile().list()));
    }

    @Test
    void compareRunsAnOnnxModelAgainstACoreMlPackage() {
        Path mnist = Path.of("../compiler/src/test/resources/models/mnist_dwnet");
        CliRun r = pare("compare", mnist.resolve("model.onnx").toString(), FIXTURES.resolve("mnist_dwnet_int8_ios16.mlpackage").toString(),
                "--data", mnist.resolve("test_x.f32").toString(), "--data-spec", "-1,1,28,28",
                "--labels", mnist.resolve("test_y.u8").toString(), "--samples", "20");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(r.out().contains("\n  logits  float32/float16 [1,10]  "), r.out());
        assertTrue(r.out().contains("\n  logits      20  "), r.out());
    }
}
