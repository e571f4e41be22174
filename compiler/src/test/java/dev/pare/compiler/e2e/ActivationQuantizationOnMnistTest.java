package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.TensorData;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    /**
     * The same W8A8 model as a Core ML package for iOS17 (quantize/dequantize ops), read back and run
     * in the MIL reference interpreter, against ONNX Runtime on the QDQ ONNX model. ORT runs without
     * graph optimizations, so it computes QuantizeLinear/DequantizeLinear in float as the MIL ops
     * do (with them, ORT fuses QDQ into integer kernels that requantize differently). The two sum
     * convolutions in different orders, so an activation right at a rounding boundary may land one
     * quantization step apart; outputs agree to a small fraction of the logit range, and every
     * digit gets the same class.
     */
    @Test
    void w8a8CoreMlPackageAtIos17MatchesTheQdqModel() throws Exception {
        int n = 50;
        RawFloatSamples calibration = new RawFloatSamples(DIR.resolve("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, 100);
        CalibratedCompile.Compiled compiled = CalibratedCompile.compile(TestModels.MNIST, "W8A8", calibration);
        Model model = compiled.model();
        Path qdq = tmp.resolve("w8a8.onnx");
        new OnnxFormat().write(OnnxLowering.lower(model), qdq);

        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        pm.run(new PipelineCompiler(registry).parseInline("convert_to_mil{input_shapes=[\"input:" + n + ",1,28,28\"]}"), model);
        Path pkg = tmp.resolve("w8a8.mlpackage");
        model.setProperty(CoreMlTarget.PROPERTY, "ios16");
        ModelFormatException refused = assertThrows(ModelFormatException.class, () -> LoweredCoreMl.write(model, pkg));
        assertTrue(refused.getMessage().contains("activation quantization needs --target ios17 or later"), refused.getMessage());
        assertTrue(!Files.exists(pkg), "nothing written for ios16");
        model.setProperty(CoreMlTarget.PROPERTY, "ios17");
        LoweredCoreMl.write(model, pkg);

        Model read = new CoreMlFormat().read(pkg);
        long quantizeOps = read.graph().nodes().stream().filter(x -> x.op().equals("mil.quantize")).count();
        assertTrue(quantizeOps > 0, "no mil.quantize in the package");
        OrtRunner.Tensor images = dev.pare.compiler.testing.RealModelInputs.mnistTestImages(n).get("input");
        float[] expected = OrtRunner.runUnoptimized(qdq, Map.of("input", images)).get("logits").floats();
        float[] actual = MilTensor.of(new MilInterpreter(read.graph())
                .run(Map.of("input", TensorData.ofFloats(images.shape(), images.floats()))).get("logits")).toFloats();
        assertEquals(expected.length, actual.length);
        double maxAbs = 0;
        double range = 0;
        int sameClass = 0;
        for (int i = 0; i < n; i++) {
            int be = 0;
            int ba = 0;
            for (int c = 0; c < 10; c++) {
                int k = i * 10 + c;
                maxAbs = Math.max(maxAbs, Math.abs(expected[k] - actual[k]));
                range = Math.max(range, Math.abs(expected[k]));
                if (expected[k] > expected[i * 10 + be]) be = c;
                if (actual[k] > actual[i * 10 + ba]) ba = c;
            }
            if (be == ba) sameClass++;
        }
        System.out.printf(Locale.ROOT, "mnist_dwnet W8A8 ios17 package: %d quantize ops; MIL interpreter vs ORT QDQ on %d digits:"
                + " max abs %.4g (largest logit %.3g), same class %d/%d%n", quantizeOps, n, maxAbs, range, sameClass, n);
        assertEquals(n, sameClass);
        assertTrue(maxAbs <= 0.02 * range, "max abs " + maxAbs + " vs largest logit " + range);
    }
}
