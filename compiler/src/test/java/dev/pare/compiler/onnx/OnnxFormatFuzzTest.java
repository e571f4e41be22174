package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the ONNX read path (run by {@code scripts/fuzz.sh onnx}; a plain test
 * run replays the inputs under {@code src/test/resources/dev/pare/compiler/onnx/OnnxFormatFuzzTestInputs}).
 * The input is a whole {@code .onnx} file, alone in a temporary folder (external data can only name
 * files that are not there). Reading, inspecting and writing back either work or fail with a
 * {@link ModelFormatException}, never another exception.
 */
class OnnxFormatFuzzTest {

    private static Path dir;
    private static int cases;

    @FuzzTest(maxDuration = "30s")
    void bytesReadOrFailWithAFormatError(byte[] input) throws IOException {
        if (dir == null) dir = Files.createTempDirectory("pare-fuzz-onnx");
        // a fresh file each time: the reader maps the file, and an old mapping must not see it change
        Path file = Files.write(dir.resolve("case" + cases++ + ".onnx"), input);
        Path out = dir.resolve("out.onnx");
        OnnxFormat onnx = new OnnxFormat();
        try {
            Model m = onnx.read(file);
            ModelInspector.inspect(m);
            onnx.write(m, out);
        } catch (ModelFormatException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "empty message");
        } finally {
            Files.delete(file);
            Files.deleteIfExists(out);
        }
    }
}
