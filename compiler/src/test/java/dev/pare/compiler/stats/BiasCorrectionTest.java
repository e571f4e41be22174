package dev.pare.compiler.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.text.IrParser;
import dev.pare.passes.compression.Palettize;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.ScopedOptions;
import dev.pare.testkit.TestCalibrationData;
import dev.pare.testkit.TestPassContext;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code bias_correction} on 2-bit palettization of a small two-layer net (Gemm with a bias, ReLU,
 * Gemm without one) plus a MatMul that reads its weight as A: the compressed layers' output means
 * over the calibration samples, measured in ONNX Runtime, against the float model's.
 */
class BiasCorrectionTest {

    private static final int SAMPLES = 24;

    private static String floats(SplittableRandom r, int n, double scale) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", r.nextGaussian() * scale));
        return sb.toString();
    }

    private static Model model() {
        SplittableRandom r = new SplittableRandom(3);
        Graph g = IrParser.parse("graph g(%x: f32[1,8], %x2: f32[8,3]) {\n"
                + "  %w1: f32[16,8] = const dense<f32[16,8]: [" + floats(r, 128, 0.6) + "]>\n"
                + "  %b1: f32[16] = const dense<f32[16]: [" + floats(r, 16, 0.1) + "]>\n"
                + "  %w2: f32[4,16] = const dense<f32[4,16]: [" + floats(r, 64, 0.5) + "]>\n"
                + "  %wa: f32[6,8] = const dense<f32[6,8]: [" + floats(r, 48, 0.5) + "]>\n"
                + "  %h1: f32[1,16] = onnx.Gemm(%x, %w1, %b1) {transB=1} @gemm1\n"
                + "  %r1: f32[1,16] = onnx.Relu(%h1) @relu\n"
                + "  %y: f32[1,4] = onnx.Gemm(%r1, %w2) {transB=1} @gemm2\n"
                + "  %z: f32[6,3] = onnx.MatMul(%wa, %x2) @mm\n"
                + "  return %y, %z\n}\n", "net.ir");
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        return m;
    }

    private static List<Map<String, TensorData>> samples() {
        SplittableRandom r = new SplittableRandom(11);
        List<Map<String, TensorData>> out = new ArrayList<>();
        for (int s = 0; s < SAMPLES; s++) {
            float[] x = new float[8];
            float[] x2 = new float[24];
            for (int i = 0; i < 8; i++) x[i] = (float) (r.nextGaussian() + 0.5);
            for (int i = 0; i < 24; i++) x2[i] = (float) r.nextGaussian();
            out.add(Map.of("x", TensorData.ofFloats(new long[] {1, 8}, x), "x2", TensorData.ofFloats(new long[] {8, 3}, x2)));
        }
        return out;
    }

    private static TestPassContext context(Model m) {
        return new TestPassContext(5, Map.of(ModelExecutor.class, new OrtModelExecutor(m, 1),
                CalibrationData.class, TestCalibrationData.of("samples", samples())));
    }

    private static Model compress(Calibration calibration, BiasCorrection bias, TestPassContext[] seen) throws Exception {
        Model m = model();
        Palettize.Options o = new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(2), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1,
                List.of(), 0, false, calibration, bias);
        TestPassContext c = context(m);
        new Palettize().create(ScopedOptions.uniform(o)).run(m.graph(), c);
        if (seen != null) seen[0] = c;
        return m;
    }

    /** Mean per channel of {@code value} over the calibration samples, run in ONNX Runtime. */
    private static double[] mean(Model m, String value) throws Exception {
        var v = m.graph().value(value).orElseThrow();
        boolean output = m.graph().isOutput(v);
        double[] sum = null;
        try (ModelExecutor.Session s = new OrtModelExecutor(m, 1).open(m.graph(), output ? List.of() : List.of(v))) {
            for (Map<String, TensorData> sample : samples()) {
                FloatBuffer b = s.run(sample).get(value).bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                if (sum == null) sum = new double[b.remaining()];
                for (int i = 0; i < sum.length; i++) sum[i] += b.get(i) / (double) SAMPLES;
            }
        }
        return sum;
    }

    private static double maxDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @Test
    void ownCorrectionPutsTheFirstLayersOutputMeanBackAndTotalTheLastOnes() throws Exception {
        Model f = model();
        double[] floatH1 = mean(f, "h1");
        double[] floatY = mean(f, "y");
        Model none = compress(Calibration.ONE_SHOT, BiasCorrection.NONE, null);
        Model own = compress(Calibration.ONE_SHOT, BiasCorrection.OWN, null);
        Model total = compress(Calibration.ONE_SHOT, BiasCorrection.TOTAL, null);
        double rtnError = maxDiff(floatH1, mean(none, "h1"));
        assertTrue(rtnError > 1e-2, "2-bit palettization moves gemm1's output mean: " + rtnError);
        // gemm1 reads the model input: its own error is all of its drift, and own removes it
        assertTrue(maxDiff(floatH1, mean(own, "h1")) < 1e-5, "own: " + maxDiff(floatH1, mean(own, "h1")));
        // gemm2 reads a drifted input; total corrects what reaches it, so the model output's mean is the float one
        assertTrue(maxDiff(floatY, mean(none, "y")) > 1e-2, "rtn output mean error " + maxDiff(floatY, mean(none, "y")));
        assertTrue(maxDiff(floatY, mean(total, "y")) < 1e-5, "total: " + maxDiff(floatY, mean(total, "y")));
        // gemm2 had no bias: one was added after it, and the output keeps its name
        assertEquals("onnx.Add", total.graph().outputs().get(0).producer().op());
        assertEquals("y", total.graph().outputs().get(0).name());
    }

    @Test
    void sequentialStatisticsSeeTheCompressedLayersBefore() throws Exception {
        Model oneShot = compress(Calibration.ONE_SHOT, BiasCorrection.OWN, null);
        Model sequential = compress(Calibration.SEQUENTIAL, BiasCorrection.OWN, null);
        // gemm1 reads the input: the same correction either way; gemm2's input mean differs once gemm1 is compressed
        assertEquals(maxDiff(mean(oneShot, "h1"), mean(sequential, "h1")), 0.0, 1e-7);
        float[] a = bias(oneShot);
        float[] b = bias(sequential);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        assertTrue(d > 1e-4, "gemm2's correction differs between one_shot and sequential: " + d);
    }

    /** The bias added after gemm2. */
    private static float[] bias(Model m) {
        var add = m.graph().outputs().get(0).producer();
        FloatBuffer b = add.operand(1).data().bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        return v;
    }

    @Test
    void aWeightReadAsMatMulsAIsCompressedRoundToNearestWithANote() throws Exception {
        TestPassContext[] seen = new TestPassContext[1];
        compress(Calibration.ONE_SHOT, BiasCorrection.OWN, seen);
        List<String> notes = seen[0].reportedDiagnostics().stream().filter(d -> d.code().equals("CW008")).map(Diagnostic::message).toList();
        assertEquals(List.of("palettize: weight 'wa' is compressed round-to-nearest: it is read as MatMul's A by 'mm'"), notes);
        assertEquals(3L, seen[0].reportedStatistics().get("weights_compressed"));
        assertEquals(2L, seen[0].reportedStatistics().get("biases_corrected"));
    }

    @Test
    void withoutCalibrationDataTheRunFailsBeforeAnyWork() {
        Model m = model();
        Palettize.Options o = new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(2), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1,
                List.of(), 0, false, Calibration.ONE_SHOT, BiasCorrection.TOTAL);
        String before = dev.pare.ir.IrPrinter.print(m.graph());
        dev.pare.spi.PassFailure e = org.junit.jupiter.api.Assertions.assertThrows(dev.pare.spi.PassFailure.class,
                () -> new Palettize().create(ScopedOptions.uniform(o)).run(m.graph(), new TestPassContext()));
        assertEquals("CW013", e.code());
        assertEquals("palettize: bias_correction=total needs calibration data and none was given; pass --calibration-data", e.getMessage());
        assertEquals(before, dev.pare.ir.IrPrinter.print(m.graph()));
    }
}
