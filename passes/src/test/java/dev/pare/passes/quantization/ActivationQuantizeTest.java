package dev.pare.passes.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.TensorData;
import dev.pare.spi.BadDataFailure;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.PassFailure;
import dev.pare.testkit.PassRun;
import dev.pare.testkit.PassTester;
import dev.pare.testkit.TestCalibrationData;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Selection, calibration and the inserted quantize/dequantize pairs, on small graphs with a test executor. */
class ActivationQuantizeTest {

    private static final String RELU_TO_MATMUL_AND_GEMM = """
            graph g(%x: f32[1,4]) {
              %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
              %r: f32[1,4] = onnx.Relu(%x) @relu
              %y: f32[1,2] = onnx.MatMul(%r, %w) @mm
              %z: f32[1,2] = onnx.Gemm(%r, %w) @gemm
              %s: f32[1,4] = onnx.Sigmoid(%r) @sig
              return %y, %z, %s
            }
            """;

    private static Map<String, TensorData> x(float... v) { return Map.of("x", TensorData.ofFloats(new long[] {1, 4}, v)); }

    private static final TestCalibrationData TWO_SAMPLES = TestCalibrationData.of("two samples",
            List.of(x(-1, 0.5f, 2, 1), x(0.1f, 3, -2, 0)));

    private static PassTester<ActivationQuantize.Options> pass(ActivationQuantize.Options o, CalibrationData data) {
        return PassTester.of(new ActivationQuantize()).withOptions(o)
                .withService(CalibrationData.class, data).withService(ModelExecutor.class, new ReluExecutor());
    }

    private static ActivationQuantize.Options options(ActivationQuantize.Dtype dtype, boolean symmetric) {
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        return new ActivationQuantize.Options(dtype, symmetric, d.method(), d.percentile(), d.numSamples(), d.opTypes());
    }

    @Test
    void onePairPerTensorSharedByTheSelectedConsumers() {
        // r ranges over [0, 3]: asymmetric int8 scale 3/255, zero point -128; Sigmoid is not selected and keeps the float r.
        pass(new ActivationQuantize().defaults(), TWO_SAMPLES).assertTransforms(RELU_TO_MATMUL_AND_GEMM, """
                graph g(%x: f32[1,4]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %r_scale: f32[] = const dense<f32[]: [0.011764706]>
                  %r_zero_point: i8[] = const dense<i8[]: [-128]>
                  %r: f32[1,4] = onnx.Relu(%x) @relu
                  %r_quantized: i8[1,4] = pare.quantize(%r, %r_scale, %r_zero_point) @r_quantize
                  %r_dequantized: f32[1,4] = pare.dequantize(%r_quantized, %r_scale, %r_zero_point) @r_dequantize
                  %y: f32[1,2] = onnx.MatMul(%r_dequantized, %w) @mm
                  %z: f32[1,2] = onnx.Gemm(%r_dequantized, %w) @gemm
                  %s: f32[1,4] = onnx.Sigmoid(%r) @sig
                  return %y, %z, %s
                }
                """).assertStatistic("calibration_samples", 2).assertStatistic("tensors_quantized", 1);
    }

    @Test
    void symmetricUint8CentersTheZeroPoint() {
        // |r| <= 3: scale 6/255, zero point 128.
        String after = pass(options(ActivationQuantize.Dtype.UINT8, true), TWO_SAMPLES).run(RELU_TO_MATMUL_AND_GEMM).after();
        assertContains(after, "%r_scale: f32[] = const dense<f32[]: [0.023529412]>");
        assertContains(after, "%r_zero_point: u8[] = const dense<u8[]: [128]>");
    }

    @Test
    void graphInputsAreCalibratedFromTheSamplesAndAddNeedsTwoComputedInputs() {
        String ir = """
                graph g(%x: f32[1,4]) {
                  %b: f32[1,4] = const dense<f32[1,4]: [1, 1, 1, 1]>
                  %r: f32[1,4] = onnx.Relu(%x) @relu
                  %a1: f32[1,4] = onnx.Add(%x, %b) @add_bias
                  %a2: f32[1,4] = onnx.Add(%x, %r) @add_residual
                  return %a1, %a2
                }
                """;
        String after = pass(new ActivationQuantize().defaults(), TWO_SAMPLES).run(ir).after();
        // x spans [-2, 3]: scale 5/255, zero point round(-128 + 2 / (5/255)) = -26.
        assertContains(after, "%x_scale: f32[] = const dense<f32[]: [0.019607844]>");
        assertContains(after, "%x_zero_point: i8[] = const dense<i8[]: [-26]>");
        assertContains(after, "%a1: f32[1,4] = onnx.Add(%x, %b) @add_bias");
        assertContains(after, "%a2: f32[1,4] = onnx.Add(%x_dequantized, %r_dequantized) @add_residual");
    }

    @Test
    void coreMlProgramsSelectTheMilOpsByParameter() {
        // Gemm selects mil.linear (its x), Add selects mil.add only when x and y are both computed
        pass(new ActivationQuantize().defaults(), TWO_SAMPLES).assertTransforms("""
                graph g(%x: f32[1,4]) {
                  %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %b: f32[1,4] = const dense<f32[1,4]: [1, 1, 1, 1]>
                  %r: f32[1,4] = mil.relu(%x) {params=["x"]} @relu
                  %y: f32[1,2] = mil.linear(%w, %r) {params=["weight", "x"]} @fc
                  %a: f32[1,4] = mil.add(%r, %b) {params=["x", "y"]} @add_bias
                  %s: f32[1,4] = mil.sigmoid(%r) {params=["x"]} @sig
                  return %y, %a, %s
                }
                """, """
                graph g(%x: f32[1,4]) {
                  %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %b: f32[1,4] = const dense<f32[1,4]: [1, 1, 1, 1]>
                  %r_scale: f32[] = const dense<f32[]: [0.011764706]>
                  %r_zero_point: i8[] = const dense<i8[]: [-128]>
                  %r: f32[1,4] = mil.relu(%x) {params=["x"]} @relu
                  %r_quantized: i8[1,4] = pare.quantize(%r, %r_scale, %r_zero_point) @r_quantize
                  %r_dequantized: f32[1,4] = pare.dequantize(%r_quantized, %r_scale, %r_zero_point) @r_dequantize
                  %y: f32[1,2] = mil.linear(%w, %r_dequantized) {params=["weight", "x"]} @fc
                  %a: f32[1,4] = mil.add(%r, %b) {params=["x", "y"]} @add_bias
                  %s: f32[1,4] = mil.sigmoid(%r) {params=["x"]} @sig
                  return %y, %a, %s
                }
                """);
    }

    @Test
    void fp16ActivationsOfACoreMlProgramGetAnFp16Scale() {
        String after = pass(new ActivationQuantize().defaults(), TWO_SAMPLES).run("""
                graph g(%x: f32[1,4]) {
                  %w: f16[2,4] = const dense<f16[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %r: f16[1,4] = mil.relu(%x) {params=["x"]} @relu
                  %y: f16[1,2] = mil.linear(%r, %w) {params=["x", "weight"]} @fc
                  return %y
                }
                """).after();
        assertContains(after, "%r_scale: f16[] = const dense<f16[]: [0.011764526]>");
        assertContains(after, "%r_dequantized: f16[1,4] = pare.dequantize(%r_quantized, %r_scale, %r_zero_point) @r_dequantize");
    }

    @Test
    void onAndExceptSelectorsNarrowTheOps() {
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        ActivationQuantize.Options onlyGemm = new ActivationQuantize.Options(d.dtype(), d.symmetric(), d.method(), d.percentile(),
                d.numSamples(), List.of("Gemm"));
        String after = pass(onlyGemm, TWO_SAMPLES).run(RELU_TO_MATMUL_AND_GEMM).after();
        assertContains(after, "%y: f32[1,2] = onnx.MatMul(%r, %w) @mm");
        assertContains(after, "%z: f32[1,2] = onnx.Gemm(%r_dequantized, %w) @gemm");
    }

    @Test
    void numSamplesLimitsTheSamplesRead() {
        TestCalibrationData data = TestCalibrationData.of("three", List.of(x(1, 1, 1, 1), x(2, 2, 2, 2), x(9, 9, 9, 9)));
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        ActivationQuantize.Options two = new ActivationQuantize.Options(d.dtype(), d.symmetric(), d.method(), d.percentile(), Optional.of(2), d.opTypes());
        String after = pass(two, data).run(RELU_TO_MATMUL_AND_GEMM).after();
        assertEquals(2, data.reads());
        assertContains(after, "%r_scale: f32[] = const dense<f32[]: [0.007843138]>"); // [0, 2] / 255
    }

    @Test
    void failsWithoutCalibrationData() {
        PassFailure f = PassTester.of(new ActivationQuantize()).withService(ModelExecutor.class, new ReluExecutor())
                .assertFails(RELU_TO_MATMUL_AND_GEMM);
        assertEquals("activation_quantize needs calibration data: pass --calibration-data DIR", f.getMessage());
        assertEquals("AQ001", f.code());
    }

    @Test
    void executorFailuresNameTheProblem() {
        String ir = """
                graph g(%x: f32[1,4]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %t: f32[1,4] = onnx.Tanh(%x) @tanh
                  %y: f32[1,2] = onnx.MatMul(%t, %w) @mm
                  return %y
                }
                """;
        PassFailure f = pass(new ActivationQuantize().defaults(), TWO_SAMPLES).assertFails(ir);
        assertEquals("activation_quantize: cannot run the model on the calibration data: ReluExecutor cannot compute 't'", f.getMessage());
    }

    // ---- data that would make a wrong model

    /** ReluExecutor, except that an input whose first value is 42 makes every captured value NaN (the model's doing). */
    private static final class NanOn42Executor implements ModelExecutor {
        private final ReluExecutor relu = new ReluExecutor();

        @Override public Session open(dev.pare.ir.Graph graph, List<dev.pare.ir.Value> captured) throws ModelExecutionException {
            Session inner = relu.open(graph, captured);
            return new Session() {
                @Override public Map<String, TensorData> run(Map<String, TensorData> inputs) throws ModelExecutionException {
                    Map<String, TensorData> out = inner.run(inputs);
                    if (inputs.get("x").bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0) != 42f) return out;
                    Map<String, TensorData> nan = new java.util.LinkedHashMap<>();
                    out.forEach((k, v) -> nan.put(k, TensorData.ofFloats(v.type().shape(), Float.NaN, Float.NaN, Float.NaN, Float.NaN)));
                    return nan;
                }

                @Override public void close() { inner.close(); }
            };
        }
    }

    private static final TestCalibrationData NAN_AT_R = TestCalibrationData.of("three",
            List.of(x(-1, 0.5f, 2, 1), x(42, 1, 1, 1), x(0.1f, 3, -2, 0)));

    @Test
    void aNanTheModelComputesIsAnErrorNamingTheSampleAndTheTensor() {
        PassFailure f = PassTester.of(new ActivationQuantize()).withService(CalibrationData.class, NAN_AT_R)
                .withService(ModelExecutor.class, new NanOn42Executor()).assertFails(RELU_TO_MATMUL_AND_GEMM);
        assertEquals("AQ007", f.code());
        assertEquals(BadDataFailure.class, f.getClass());
        assertEquals("activation_quantize: calibration sample three (sample 1) made tensor 'r' not finite: all 4 values are NaN "
                + "or infinite (the first is element 0, NaN); --skip-nonfinite-samples leaves such samples out", f.getMessage());
    }

    @Test
    void withTheSkipPolicyNonFiniteSamplesAreLeftOutAndCountedInOneWarning() {
        TestCalibrationData data = TestCalibrationData.of("four",
                List.of(x(-1, 0.5f, 2, 1), x(42, 1, 1, 1), x(Float.NaN, 9, 9, 9), x(0.1f, 3, -2, 0)));
        PassRun run = PassTester.of(new ActivationQuantize()).withService(CalibrationData.class, data)
                .withService(ModelExecutor.class, new NanOn42Executor())
                .withService(CalibrationPolicy.class, new CalibrationPolicy(true)).run(RELU_TO_MATMUL_AND_GEMM);
        // r spans [0, 3] from samples 0 and 3 only: the 42 and the 9s of the skipped samples are not in the range
        assertContains(run.after(), "%r_scale: f32[] = const dense<f32[]: [0.011764706]>");
        assertEquals(List.of("warning[AQ105]: activation_quantize: left out 2 of 4 calibration samples of four holding NaN or "
                + "infinity (1 in an input, 1 at a tensor the model computed); calibrated on 2"), warnings(run));
        assertEquals(2, run.statistic("samples_skipped_nonfinite"));
    }

    @Test
    void aNonFiniteInputIsAnErrorBeforeTheModelRuns() {
        PassFailure f = pass(new ActivationQuantize().defaults(), TestCalibrationData.of("two",
                List.of(x(1, 2, 3, 4), x(1, Float.NEGATIVE_INFINITY, 3, 4)))).assertFails(RELU_TO_MATMUL_AND_GEMM);
        assertEquals("AQ007", f.code());
        assertEquals("activation_quantize: calibration sample two (sample 1), input 'x': element 1 of 4 is -Inf; "
                + "--skip-nonfinite-samples leaves such samples out", f.getMessage());
    }

    /** {@code x [1, n]} read directly by a MatMul: x itself is the calibrated tensor. */
    private static String matmulOfInput(int n) {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < n; i++) w.append(i == 0 ? "" : ", ").append(i % 3 - 1);
        return "graph g(%x: f32[1," + n + "]) {\n"
                + "  %w: f32[" + n + ",1] = const dense<f32[" + n + ",1]: [" + w + "]>\n"
                + "  %y: f32[1,1] = onnx.MatMul(%x, %w) @mm\n"
                + "  return %y\n}\n";
    }

    private static TestCalibrationData row(String name, int n, int small, float smallValue, float big) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 0, small, smallValue);
        java.util.Arrays.fill(v, small, n, big);
        return TestCalibrationData.of(name, List.of(Map.of("x", TensorData.ofFloats(new long[] {1, n}, v))));
    }

    @Test
    void aRangeWhoseWidthOverflowsFloat32IsRefused() {
        PassFailure f = pass(new ActivationQuantize().defaults(), TestCalibrationData.of("huge",
                List.of(x(-3e38f, 1, 2, 3e38f)))).assertFails(matmulOfInput(4));
        assertEquals("AQ009", f.code());
        assertEquals("activation_quantize: tensor 'x' cannot be quantized: its calibration range [-3.000e+38, 3.000e+38] is too "
                + "wide, its width overflows float32; check the calibration data for outliers", f.getMessage());
        assertEquals("its width overflows float32", QuantParams.overflow(-3e38, 3e38, false));
        assertEquals("its width overflows float32", QuantParams.overflow(0, 2e38, true));
        assertEquals(null, QuantParams.overflow(0, 3e38, false));
        assertEquals(null, QuantParams.overflow(-1, 1, true));
    }

    @Test
    void anOutlierThatTurnsNearlyEveryValueIntoZeroIsRefused() {
        // 999 values of 0.01 and one of 1000: the int8 step 3.9 rounds all the 0.01s to code 0
        PassFailure f = pass(new ActivationQuantize().defaults(), row("outlier", 1000, 999, 0.01f, 1000f))
                .assertFails(matmulOfInput(1000));
        assertEquals("AQ009", f.code());
        assertEquals("activation_quantize: tensor 'x' cannot be quantized: its calibration range [0.01000, 1000] makes the int8 "
                + "step 3.922, which turns 99.90% of its non-zero values into 0; check the calibration data for outliers, or clip them "
                + "with method=percentile and a low enough percentile", f.getMessage());
        // percentile 99 clips the outlier (1 value in 1000), as the message says
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        ActivationQuantize.Options percentile = new ActivationQuantize.Options(d.dtype(), d.symmetric(),
                ActivationQuantize.Method.PERCENTILE, 99.0, Optional.empty(), d.opTypes());
        assertEquals(List.of(), warnings(pass(percentile, row("outlier", 1000, 999, 0.01f, 1000f)).run(matmulOfInput(1000))));
    }

    @Test
    void aRangeWhereMostValuesBecomeZeroIsAWarning() {
        // 95 of 100 values round to 0: quantized, with one warning naming the tensor
        PassRun run = pass(new ActivationQuantize().defaults(), row("spiky", 100, 95, 0.01f, 100f)).run(matmulOfInput(100));
        assertEquals(List.of("warning[AQ104]: activation_quantize: 1 tensor has a range set by outliers, so most of their values "
                + "quantize to 0: 'x' [0.01000, 100.0] 95.00%; method=percentile clips outliers"), warnings(run));
        assertEquals(1, run.statistic("tensors_quantized"));
    }

    @Test
    void quantizingNoActivationIsAWarningThatSaysWhy() {
        String fp16 = """
                graph g(%x: f16[1,4]) {
                  %w: f16[4,2] = const dense<f16[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f16[1,2] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """;
        PassRun run = pass(new ActivationQuantize().defaults(), TWO_SAMPLES).assertUnchanged(fp16);
        assertEquals(List.of("warning[AQ103]: activation_quantize quantized no activation: the 1 selected op reads only f16 "
                + "activations; activation_quantize quantizes float32 activations (and fp16 ones in Core ML programs)"), warnings(run));
        PassRun none = pass(new ActivationQuantize().defaults(), TWO_SAMPLES).assertUnchanged("""
                graph g(%x: f32[1,4]) {
                  %r: f32[1,4] = onnx.Relu(%x) @relu
                  return %r
                }
                """);
        assertEquals(List.of("warning[AQ103]: activation_quantize quantized no activation: no op in its scope is one of op_types "
                + "(Conv, ConvTranspose, MatMul, Gemm, AveragePool, MaxPool, GlobalAveragePool, Add)"), warnings(none));
    }

    @Test
    void whenEveryCalibratedTensorStaysFloatTheWarningSaysWhy() {
        java.nio.ByteBuffer f64 = java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (double v : new double[] {1, 2, 3, 4}) f64.putDouble(v);
        TestCalibrationData doubles = TestCalibrationData.of("doubles", List.of(Map.of("x",
                TensorData.of(dev.pare.ir.TensorType.of(dev.pare.ir.DType.FLOAT64, 1, 4), f64.array()))));
        PassRun run = pass(new ActivationQuantize().defaults(), doubles).assertUnchanged(matmulOfInput(4));
        assertEquals(List.of("warning[AQ103]: activation_quantize quantized no activation: the 1 selected tensor stays float; "
                + "'x': it is f64, not f32"), warnings(run));
    }

    private static List<String> warnings(PassRun run) {
        return run.diagnostics().stream().filter(d -> d.severity() == dev.pare.spi.Severity.WARNING)
                .map(d -> d.severity().name().toLowerCase(java.util.Locale.ROOT) + "[" + d.code() + "]: " + d.message()).toList();
    }

    @Test
    void reduceRangeUsesSevenBitCodes() {
        // r ranges over [0, 3]: 7-bit codes -64..63, so the step is 3/127 and 0 is code -64
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        ActivationQuantize.Options reduced = new ActivationQuantize.Options(d.dtype(), d.symmetric(), d.method(), d.percentile(),
                d.numSamples(), d.opTypes(), true, ActivationQuantize.BiasCorrection.NONE);
        String after = pass(reduced, TWO_SAMPLES).run(RELU_TO_MATMUL_AND_GEMM).after();
        assertContains(after, "%r_scale: f32[] = const dense<f32[]: [0.023622047]>");
        assertContains(after, "%r_zero_point: i8[] = const dense<i8[]: [-64]>");
    }

    @Test
    void mseTakesTheRangeWithTheLeastSquaredErrorOfTheCalibratedHistogram() {
        // Relu of Laplace(0, 1) values: a long tail that minmax keeps whole and mse clips
        List<Map<String, TensorData>> samples = new java.util.ArrayList<>();
        RangeCollector expected = new RangeCollector(true);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < 500; i++) {
            float[] v = new float[4];
            for (int j = 0; j < 4; j++) {
                double u = random.nextDouble() - 0.5;
                v[j] = (float) (-Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
            }
            samples.add(x(v));
            float[] relu = new float[4];
            for (int j = 0; j < 4; j++) relu[j] = Math.max(0f, v[j]);
            expected.add(java.nio.FloatBuffer.wrap(relu));
        }
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        ActivationQuantize.Options mse = new ActivationQuantize.Options(d.dtype(), d.symmetric(), ActivationQuantize.Method.MSE,
                d.percentile(), d.numSamples(), d.opTypes());
        String after = pass(mse, TestCalibrationData.of("relu of laplace", samples)).run(RELU_TO_MATMUL_AND_GEMM).after();
        float scale = Float.parseFloat(after.lines().filter(l -> l.contains("%r_scale")).findFirst().orElseThrow()
                .replaceAll(".*\\[(.*)\\]>.*", "$1"));
        double[] range = expected.mseRange(true, false, false);
        assertEquals(QuantParams.of(range[0], range[1], true, false).scale(), scale);
        assertTrue(range[1] < expected.max(), "mse clips the tail: " + range[1] + " of " + expected.max());
        assertContains(after, "%r_zero_point: i8[] = const dense<i8[]: [-128]>");
    }

    /** A Relu into a Gemm with a bias, beta 2. */
    private static final String RELU_TO_GEMM_WITH_BIAS = """
            graph g(%x: f32[1,4]) {
              %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
              %b: f32[2] = const dense<f32[2]: [0.5, -0.25]>
              %r: f32[1,4] = onnx.Relu(%x) @relu
              %y: f32[1,2] = onnx.Gemm(%r, %w, %b) {beta=2.0} @gemm
              return %y
            }
            """;

    /** The mean of the Gemm's output per channel over the samples, as the graph now computes it. */
    private static double[] meanOutput(dev.pare.ir.Graph g, List<Map<String, TensorData>> samples) throws Exception {
        dev.pare.ir.Value y = g.outputs().get(0);
        double[] sum = new double[2];
        try (ModelExecutor.Session s = new ReluGemmExecutor().open(g, List.of(y))) {
            for (Map<String, TensorData> sample : samples) {
                java.nio.FloatBuffer out = s.run(sample).get(y.name()).bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                sum[0] += out.get(0);
                sum[1] += out.get(1);
            }
        }
        return new double[] {sum[0] / samples.size(), sum[1] / samples.size()};
    }

    @Test
    void biasCorrectionRemovesTheMeanDriftOnTheCalibrationData() throws Exception {
        // Coarse 7-bit codes of values up to 5 make the quantized Gemm's mean drift; bias_correction=total moves b by it.
        List<Map<String, TensorData>> samples = new java.util.ArrayList<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < 64; i++) {
            samples.add(x((float) (random.nextDouble() * 5 - 1), (float) (random.nextDouble() * 0.3), (float) (random.nextDouble() * 5),
                    (float) (random.nextDouble() * 0.2)));
        }
        ActivationQuantize.Options d = new ActivationQuantize().defaults();
        dev.pare.ir.Graph before = dev.pare.ir.text.IrParser.parse(RELU_TO_GEMM_WITH_BIAS);
        double[] reference = meanOutput(before, samples);
        PassRun plain = PassTester.of(new ActivationQuantize()).withOptions(new ActivationQuantize.Options(d.dtype(), d.symmetric(),
                        d.method(), d.percentile(), Optional.empty(), d.opTypes(), true, ActivationQuantize.BiasCorrection.NONE))
                .withService(CalibrationData.class, TestCalibrationData.of("64", samples))
                .withService(ModelExecutor.class, new ReluGemmExecutor()).run(RELU_TO_GEMM_WITH_BIAS);
        double[] drift = meanOutput(plain.graph(), samples);
        double driftBefore = Math.max(Math.abs(drift[0] - reference[0]), Math.abs(drift[1] - reference[1]));
        assertTrue(driftBefore > 1e-3, "drift without correction " + driftBefore);

        PassRun corrected = PassTester.of(new ActivationQuantize()).withOptions(new ActivationQuantize.Options(d.dtype(), d.symmetric(),
                        d.method(), d.percentile(), Optional.empty(), d.opTypes(), true, ActivationQuantize.BiasCorrection.TOTAL))
                .withService(CalibrationData.class, TestCalibrationData.of("64", samples))
                .withService(ModelExecutor.class, new ReluGemmExecutor()).run(RELU_TO_GEMM_WITH_BIAS);
        double[] after = meanOutput(corrected.graph(), samples);
        assertEquals(reference[0], after[0], 1e-5);
        assertEquals(reference[1], after[1], 1e-5);
        // the bias moved by the drift divided by beta, and only the bias changed
        java.nio.FloatBuffer b = corrected.graph().nodes().stream().filter(n -> n.name().equals("gemm")).findFirst().orElseThrow().operand(2).data().bytes().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertEquals(0.5 - (drift[0] - reference[0]) / 2, b.get(0), 1e-5);
        assertEquals(-0.25 - (drift[1] - reference[1]) / 2, b.get(1), 1e-5);
        corrected.assertStatistic("biases_corrected", 1);
        assertEquals(plain.after().replaceAll("%b: f32\\[2\\] = const dense<[^>]*>", ""),
                corrected.after().replaceAll("%b: f32\\[2\\] = const dense<[^>]*>", ""));
        assertTrue(corrected.diagnostics().stream().anyMatch(x -> x.message().startsWith(
                "activation_quantize: bias_correction moved the bias of 1 layer in 1 run over 64 calibration samples; largest mean drift per channel ")),
                corrected.diagnostics().toString());
    }

    private static void assertContains(String text, String line) {
        if (!text.contains(line)) throw new AssertionError("missing line:\n" + line + "\nin:\n" + text);
    }
}
