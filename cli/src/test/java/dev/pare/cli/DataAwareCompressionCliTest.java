package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bias_correction} and {@code calibration} of the weight-compression passes on the command line. */
class DataAwareCompressionCliTest {

    @TempDir Path dir;

    private static final Path CALIB = Path.of("../compiler/src/test/resources/models/mnist_dwnet/calib_x.f32");

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    /** The first {@code n} calibration images (28 × 28 float32 each), so that sequential runs stay quick. */
    private Path calibration(int n) throws Exception {
        byte[] all = Files.readAllBytes(CALIB);
        return Files.write(dir.resolve("calib" + n + ".f32"), Arrays.copyOf(all, n * 28 * 28 * 4));
    }

    @Test
    void aDataAwareOptionWithoutCalibrationDataFailsNamingTheFlag() {
        Path out = dir.resolve("p.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline", "palettize{nbits=2, bias_correction=own}");
        assertEquals(ExitCodes.COMPILE_FAILED, r.exitCode(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.equals("pare: error[CW013] pass 'palettize' failed at <pipeline>:1:1 on node "
                + "'/blocks/blocks.1/pw/Conv' (onnx.Conv): palettize: bias_correction=own needs calibration data and none was given; "
                + "pass --calibration-data")), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void sequentialBiasCorrectionGivesTheSameBytesForAnyThreadCount() throws Exception {
        Path data = calibration(16);
        byte[] first = null;
        for (int threads : new int[] {1, 2}) {
            Path out = dir.resolve("t" + threads + ".onnx");
            CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline",
                    "prune{mode=magnitude, target_sparsity=0.5, bias_correction=total}", "--calibration-data", data.toString(),
                    "--calibration-spec=-1,1,28,28", "--threads", String.valueOf(threads), "--verbose");
            assertEquals(ExitCodes.OK, r.exitCode(), r.err());
            assertTrue(r.err().contains("prune: corrected the biases of 11 layers (bias_correction=total)"), r.err());
            byte[] bytes = Files.readAllBytes(out);
            if (first == null) first = bytes;
            else assertArrayEquals(first, bytes, threads + " threads");
        }
    }

    @Test
    void outputErrorAllocationKeepsTheStepsSparsityAndNotesEachLayersShare() throws Exception {
        Path data = calibration(16);
        byte[] first = null;
        for (int threads : new int[] {1, 2}) {
            Path out = dir.resolve("a" + threads + ".onnx");
            CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline",
                    "prune{mode=magnitude, target_sparsity=0.75, algorithm=sparsegpt, sparsity_allocation=output_error}",
                    "--calibration-data", data.toString(), "--calibration-spec=-1,1,28,28", "--threads", String.valueOf(threads), "--verbose");
            assertEquals(ExitCodes.OK, r.exitCode(), r.err());
            // the 11 layers of more than 2,048 weights: 534,528 weights, 75 % of them zero in total
            Map<String, Integer> sizes = Map.ofEntries(Map.entry("onnx::Conv_261", 4096), Map.entry("onnx::Conv_267", 8192),
                    Map.entry("onnx::Conv_273", 16384), Map.entry("onnx::Conv_279", 32768), Map.entry("onnx::Conv_282", 2304),
                    Map.entry("onnx::Conv_285", 65536), Map.entry("onnx::Conv_288", 2304), Map.entry("onnx::Conv_291", 131072),
                    Map.entry("onnx::Conv_294", 4608), Map.entry("onnx::Conv_297", 262144), Map.entry("fc.weight", 5120));
            double zeros = 0;
            int notes = 0;
            java.util.regex.Pattern note = java.util.regex.Pattern.compile(
                    "pare: note\\[CW017\\] .*prune: weight '([^']+)': sparsegpt output error (\\d\\.\\d{4}) \\(magnitude (\\d\\.\\d{4})\\), sparsity (\\d\\.\\d{3})");
            for (String line : r.err().lines().toList()) {
                java.util.regex.Matcher m = note.matcher(line);
                if (!m.find()) continue;
                notes++;
                assertTrue(Double.parseDouble(m.group(2)) <= Double.parseDouble(m.group(3)), line);
                double sparsity = Double.parseDouble(m.group(4));
                assertTrue(sparsity >= 0 && sparsity <= 0.95, line);
                zeros += sparsity * sizes.get(m.group(1));
            }
            assertEquals(11, notes, r.err());
            assertEquals(0.75, zeros / 534528, 0.0005, "the notes' sparsities, rounded to 3 digits, over the 11 layers");
            byte[] bytes = Files.readAllBytes(out);
            if (first == null) first = bytes;
            else assertArrayEquals(first, bytes, threads + " threads");
        }
    }
}
