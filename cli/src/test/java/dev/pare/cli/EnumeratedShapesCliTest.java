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

/** {@code pare compile --input-shape NAME=S1|S2}: enumerated Core ML input shapes, and their refusals. */
class EnumeratedShapesCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    @Test
    void enumeratedBatchSizesReachThePackageAndInspectShowsThem() {
        Path out = dir.resolve("m.mlpackage");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "input=1,1,28,28|4,1,28,28");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        CliRun inspect = pare("inspect", out.toString());
        assertEquals(ExitCodes.OK, inspect.exitCode(), inspect.err());
        assertTrue(inspect.out().contains("input   f32[?,1,28,28] shapes 1,1,28,28|4,1,28,28"), inspect.out());
    }

    @Test
    void aShapeContradictingTheModelIsAUsageErrorAndWritesNothing() {
        Path out = dir.resolve("m.mlpackage");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "input=1,1,28,29|1,1,28,28");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--input-shape: input 'input' dimension 3 is fixed to 28, not 29 in shape 1,1,28,29"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void enumeratedShapesForAnOnnxOutputAreAUsageError() {
        Path out = dir.resolve("m.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "input=1,1,28,28|2,1,28,28");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--input-shape input: enumerated shapes are a Core ML feature; for ONNX give one shape"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void anEmptyShapeIsAUsageError() {
        Path out = dir.resolve("m.mlpackage");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "input=1,1,28,28|");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--input-shape 'input=1,1,28,28|': shape 2 is empty"), r.err());
        assertFalse(Files.exists(out));
    }
}
