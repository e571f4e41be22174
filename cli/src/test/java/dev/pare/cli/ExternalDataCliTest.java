package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --external-data-threshold}, a stale {@code OUT.data} under {@code --force}, and an ONNX file over 2 GiB. */
class ExternalDataCliTest {

    static final Path MNIST = Path.of("../compiler/src/test/resources/models/mnist_dwnet/model.onnx");

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    @Test
    void theThresholdSplitsTheOutputAndForceWithoutItLeavesNoStaleData() throws Exception {
        Path out = dir.resolve("out.onnx");
        Path data = dir.resolve("out.onnx.data");
        CliRun split = pare("compile", MNIST.toString(), "-o", out.toString(), "--pipeline", "EMPTY",
                "--external-data-threshold", "4096");
        assertEquals(0, split.exitCode(), split.err());
        assertTrue(Files.size(data) > Files.size(out), "the weights went to out.onnx.data");
        // the summary's output size counts the data file too: about the input's 2.1 MiB
        assertTrue(split.out().contains("file 2.1 MiB -> 2.1 MiB"), split.out());
        assertEquals(0, pare("inspect", out.toString()).exitCode());

        CliRun inline = pare("compile", MNIST.toString(), "-o", out.toString(), "--pipeline", "EMPTY", "--force");
        assertEquals(0, inline.exitCode(), inline.err());
        assertFalse(Files.exists(data), "out.onnx.data of the earlier output was left behind");
        assertEquals(Files.size(MNIST), Files.size(out));
    }

    @Test
    void aBadThresholdIsAUsageError() {
        String out = dir.resolve("out.onnx").toString();
        assertEquals(new CliRun(2, "", "pare: error: --external-data-threshold -1: give a byte count of 0 or more\n"),
                pare("compile", MNIST.toString(), "-o", out, "--external-data-threshold", "-1"));
        Path pkg = dir.resolve("out.mlpackage");
        assertEquals(new CliRun(2, "", "pare: error: --external-data-threshold applies to ONNX outputs (.onnx), not "
                        + pkg + "\n"),
                pare("compile", MNIST.toString(), "-o", pkg.toString(), "--external-data-threshold", "1024"));
        assertFalse(Files.exists(pkg));
    }

    @Test
    void anOnnxFileOverTwoGibIsBadInputNamingTheLimit() throws Exception {
        Path big = dir.resolve("big.onnx");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30);   // sparse: no disk used
        }
        try {
            CliRun r = pare("inspect", big.toString());
            assertEquals(new CliRun(3, "", "pare: error: " + big + ": the file is 3221225472 bytes, over the 2 GiB "
                    + "protobuf limit (2147483647 bytes) an ONNX model file can hold; its weights must be stored as "
                    + "external data (re-save it with onnx.save_model(model, path, save_as_external_data=True))\n"), r);
        } finally {
            Files.delete(big);
        }
    }
}
