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

/** {@code pare compile --calibration-data}: what W8A8 says without samples, and a path that does not exist. */
class CalibrationCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
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
}
