package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration memory does not grow with the samples: W8A8 on PP-OCRv4 det with 100 generated
 * 320x320 images runs in a child JVM limited to a 512 MiB heap, and reports its progress.
 */
class ActivationQuantizationOnOcrDetTest {

    private static final int IMAGES = 100;

    @TempDir Path tmp;

    @Test
    void calibratesOneHundredImagesInA512MiBHeap() throws Exception {
        Path out = tmp.resolve("det-w8a8.onnx");
        Path log = tmp.resolve("child.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The JVM's default 1 MiB stack and this long -cp: ONNX Runtime's environment is created by
        // OrtEnvironments on a thread of its own (it used to die of a SIGSEGV here without -Xss16m)
        Process child = new ProcessBuilder(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                DetCalibrationMain.class.getName(), Integer.toString(IMAGES), out.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = child.waitFor(10, TimeUnit.MINUTES);
        if (!done) child.destroyForcibly();
        String output = read(log);
        System.out.print(output);
        assertTrue(done, "the child JVM did not finish:\n" + output);
        assertEquals(0, child.exitValue(), output);
        for (int n = IMAGES / 10; n <= IMAGES; n += IMAGES / 10) {
            assertTrue(output.contains("activation_quantize: calibrated " + n + "/" + IMAGES + " samples of generated det images"),
                    "progress note for " + n + " missing:\n" + output);
        }
        assertTrue(output.contains("samples read " + IMAGES + ", max heap"), output);
        long q = new OnnxFormat().read(out).graph().nodes().stream().filter(n -> n.op().equals("onnx.QuantizeLinear")).count();
        assertTrue(q > 50, "QuantizeLinear nodes: " + q);
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }
}
