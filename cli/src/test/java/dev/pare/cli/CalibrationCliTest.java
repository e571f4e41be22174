package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pare compile --calibration-data}: what W8A8 says without samples, a path that does not
 * exist, and samples that would make a wrong model (NaN, infinity, a huge outlier): refused with
 * exit code 3 and nothing written, or left out with {@code --skip-nonfinite-samples}.
 */
class CalibrationCliTest {

    private static final Path MNIST_CALIB = Path.of("../compiler/src/test/resources/models/mnist_dwnet/calib_x.f32");
    private static final int PIXELS = 784;

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    /** The first {@code samples} mnist calibration images as raw float32, changed by {@code edit}. */
    private Path calibration(String name, int samples, Consumer<float[]> edit) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(MNIST_CALIB)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[samples * PIXELS];
        b.asFloatBuffer().get(v);
        edit.accept(v);
        ByteBuffer out = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(v);
        return Files.write(dir.resolve(name), out.array());
    }

    private CliRun w8a8(Path data, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(),
                "--pipeline", "W8A8", "--calibration-data", data.toString(), "--calibration-spec=-1,1,28,28"));
        args.addAll(List.of(more));
        return pare(args.toArray(String[]::new));
    }

    private static final String AT = "pare: error[%s] pass 'activation_quantize' failed at <builtin>/W8A8.pipeline:7:5 "
            + "(from W8A8 at <pipeline>:1:1)%s: activation_quantize: ";

    private static void assertRefused(CliRun r, Path out, String code, String message) { assertRefused(r, out, code, "", message); }

    private static void assertRefused(CliRun r, Path out, String code, String node, String message) {
        assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.equals(String.format(AT, code, node) + message)), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void w8a8WithoutCalibrationDataSaysWhatToPass() {
        Path out = dir.resolve("w8a8.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline", "W8A8");
        assertEquals(ExitCodes.COMPILE_FAILED, r.exitCode(), r.err());
        assertTrue(r.err().contains("activation_quantize needs calibration data: pass --calibration-data DIR"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aMissingCalibrationPathIsAUsageError() {
        Path missing = dir.resolve("nope");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", dir.resolve("o.onnx").toString(), "--pipeline", "W8A8",
                "--calibration-data", missing.toString());
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--calibration-data " + missing + ": no such file or directory"), r.err());
    }

    @Test
    void dataThatDoesNotFitTheModelIsBadInput() throws IOException {
        Path data = calibration("short.f32", 1, v -> { });
        Path out = dir.resolve("w8a8.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--pipeline", "W8A8",
                "--calibration-data", data.toString(), "--calibration-spec=-1,1,28,27");
        assertRefused(r, out, "AQ005", "cannot read the calibration data: " + data + ": 3136 bytes are not a whole number "
                + "of float32 [-1,1,28,27] samples of 3024 bytes");
    }

    @Test
    void allNanSamplesAreRefusedAndWithTheFlagNothingIsLeft() throws IOException {
        Path data = calibration("nan.f32", 2, v -> java.util.Arrays.fill(v, Float.NaN));
        Path out = dir.resolve("w8a8.onnx");
        assertRefused(w8a8(data, out), out, "AQ007", "calibration sample " + data + " (sample 0), input 'input': "
                + "all 784 values are NaN or infinite (the first is element 0, NaN); --skip-nonfinite-samples leaves such samples out");
        assertRefused(w8a8(data, out, "--skip-nonfinite-samples"), out, "AQ008", "all 2 calibration samples of " + data
                + " hold NaN or infinity (2 in an input); none is left to calibrate on");
    }

    @Test
    void scatteredNanAndInfinityAreRefusedOrCountedInOneWarning() throws IOException {
        Path data = calibration("scattered.f32", 4, v -> {
            v[PIXELS + 5] = Float.NaN;
            v[3 * PIXELS + 7] = Float.POSITIVE_INFINITY;
            v[3 * PIXELS + 9] = Float.NEGATIVE_INFINITY;
        });
        Path out = dir.resolve("w8a8.onnx");
        assertRefused(w8a8(data, out), out, "AQ007", "calibration sample " + data + " (sample 1), input 'input': "
                + "element 5 of 784 is NaN; --skip-nonfinite-samples leaves such samples out");

        CliRun skipping = w8a8(data, out, "--skip-nonfinite-samples");
        assertEquals(ExitCodes.OK, skipping.exitCode(), skipping.err());
        List<String> warnings = skipping.err().lines().filter(l -> l.startsWith("pare: warning")).toList();
        assertEquals(List.of("pare: warning[AQ105] " + data + ": activation_quantize: left out 2 of 4 calibration samples of "
                + data + " holding NaN or infinity (2 in an input); calibrated on 2"), warnings);
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void oneHugeValueIsRefusedNamingTheTensorAndItsRange() throws IOException {
        Path data = calibration("outlier.f32", 4, v -> v[PIXELS + 100] = 3e38f);
        Path out = dir.resolve("w8a8.onnx");
        CliRun r = w8a8(data, out);
        // without the check, every pixel below 5.9e35 became code 0 and top-1 fell to 0.10
        assertRefused(r, out, "AQ009", " on node '/stem/Conv' (onnx.Conv)", "tensor 'input' cannot be quantized: its calibration range [0.000, 3.000e+38] "
                + "makes the int8 step 1.176e+36, which turns 99.83% of its non-zero values into 0; check the calibration "
                + "data for outliers, or clip them with method=percentile and a low enough percentile");
    }
}
