package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.compare.CompareReport;
import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.compare.OutputComparison;
import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * W8A8 on packages Core ML Tools wrote (its {@code linear_quantize_activations} workflow, without a
 * Mac): calibration runs the program in the MIL interpreter, quantize/dequantize pairs go before the
 * convs and the linear, and the written package keeps its accuracy on the test digits.
 */
class ActivationQuantizationOnCoreMlTest {

    private static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet");
    private static final Path FIXTURES = Path.of("src/test/resources/models/coreml");
    private static final CoreMlFormat COREML = new CoreMlFormat();

    @TempDir Path tmp;

    private static RawFloatSamples calibration(int n) throws Exception {
        return new RawFloatSamples(MNIST.resolve("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, n);
    }

    private static int count(Model m, String op) {
        int n = 0;
        for (Node node : m.graph().nodes()) if (node.op().equals(op)) n++;
        return n;
    }

    @Test
    void fp32ProgramKeepsItsAccuracy() throws Exception {
        Path original = FIXTURES.resolve("mnist_dwnet_fp32_ios18.mlpackage");
        CalibratedCompile.Compiled c = CalibratedCompile.compile(COREML.read(original), "W8A8", calibration(100));
        assertTrue(c.report().diagnostics().stream().map(Diagnostic::message)
                .anyMatch("activation_quantize: 18 tensors quantized (minmax 18), 0 left float"::equals), c.report().diagnostics().toString());
        Path out = tmp.resolve("w8a8.mlpackage");
        LoweredCoreMl.write(c.model(), out);
        Model back = COREML.read(out);
        assertEquals(18, count(back, "mil.quantize"));
        assertEquals(18, count(back, "mil.dequantize"));
        assertEquals(11, count(back, "mil.constexpr_blockwise_shift_scale")); // int8 weights at iOS18

        CompareReport r = new ModelComparison(ModelFormats.discover()).run(new CompareRequest(original, out,
                MNIST.resolve("test_x.f32"), "-1,1,28,28", MNIST.resolve("test_y.u8"), 0, 300, Map.of(), 1));
        OutputComparison o = r.outputs().get(0);
        System.out.printf("W8A8 on mnist_dwnet_fp32_ios18: accuracy %.4f -> %.4f on 300 digits, SNR %.2f dB%n",
                o.classification().accuracyA(), o.classification().accuracyB(), o.snrDb());
        // measured with all 500 calibration images on 2000 digits: 0.9830 -> 0.9840, SNR 42.7 dB
        assertTrue(o.snrDb() > 30, "SNR " + o.snrDb());
        assertEquals(o.classification().accuracyA(), o.classification().accuracyB(), 0.01);
    }

    @Test
    void fp16ProgramGetsFp16ScalesAndNeedsIos17() throws Exception {
        Model model = COREML.read(FIXTURES.resolve("mnist_dwnet_fp16_ios16.mlpackage"));
        CalibratedCompile.Compiled c = CalibratedCompile.compile(model, "W8A8", calibration(20));
        Node q = c.model().graph().nodes().stream().filter(n -> n.op().equals("pare.quantize")).findFirst().orElseThrow();
        assertEquals("f16[]", q.operand(1).tensorType().toString().replace(" ", ""));
        Path refused = tmp.resolve("ios16.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoweredCoreMl.write(c.model(), refused));
        assertTrue(e.getMessage().contains("activation quantization needs --target ios17 or later"), e.getMessage());
        assertFalse(Files.exists(refused));
        c.model().setProperty(CoreMlTarget.PROPERTY, "ios17");
        Path out = tmp.resolve("ios17.mlpackage");
        LoweredCoreMl.write(c.model(), out);
        assertEquals(18, count(COREML.read(out), "mil.quantize"));
    }
}
