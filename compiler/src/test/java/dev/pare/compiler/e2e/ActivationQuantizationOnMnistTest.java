package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.spi.Diagnostic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * W8A8 on the MNIST depthwise net, calibrated on its 500 calibration images (one per sample) and
 * measured on the 2000 labelled test digits in ONNX Runtime: accuracy within 1 point of float.
 */
class ActivationQuantizationOnMnistTest {

    private static final Path DIR = Path.of("src/test/resources/models/mnist_dwnet");

    @TempDir Path tmp;

    private static double accuracy(Path model, OrtRunner.Tensor images, byte[] labels) throws Exception {
        float[] logits = OrtRunner.run(model, Map.of("input", images)).get("logits").floats();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct / (double) labels.length;
    }

    @Test
    void w8a8KeepsTestAccuracyWithinOnePoint() throws Exception {
        RawFloatSamples calibration = new RawFloatSamples(DIR.resolve("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, 500);
        Path out = tmp.resolve("w8a8.onnx");
        RunReport report = CalibratedCompile.compile(TestModels.MNIST, "W8A8", calibration, out);

        Model written = new OnnxFormat().read(out);
        long q = written.graph().nodes().stream().filter(n -> n.op().equals("onnx.QuantizeLinear")).count();
        long dq = written.graph().nodes().stream().map(Node::op).filter("onnx.DequantizeLinear"::equals).count();
        assertTrue(q > 0 && dq > q, "QuantizeLinear " + q + ", DequantizeLinear " + dq);
        assertTrue(report.diagnostics().stream().map(Diagnostic::message)
                .anyMatch(m -> m.equals("activation_quantize: calibrated 500/500 samples of " + calibration.source() + " (" + q + " tensors)")),
                report.diagnostics().toString());

        byte[] labels = Files.readAllBytes(DIR.resolve("test_y.u8"));
        OrtRunner.Tensor images = dev.pare.compiler.testing.RealModelInputs.mnistTestImages().get("input");
        double fp = accuracy(TestModels.MNIST, images, labels);
        double w8a8 = accuracy(out, images, labels);
        System.out.printf(Locale.ROOT, "mnist_dwnet W8A8: %d activation QDQ pairs, test accuracy %.4f (float %.4f)%n", q, w8a8, fp);
        assertEquals(0.9830, fp, 1e-9);
        assertTrue(Math.abs(w8a8 - fp) <= 0.01, "W8A8 accuracy " + w8a8 + " vs float " + fp);
    }
}
