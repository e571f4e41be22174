package dev.pare.passes.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.TensorData;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.PassFailure;
import dev.pare.testkit.PassTester;
import dev.pare.testkit.TestCalibrationData;
import java.util.List;
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
        ActivationQuantize.Options two = new ActivationQuantize.Options(d.dtype(), d.symmetric(), d.method(), d.percentile(), 2, d.opTypes());
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

    private static void assertContains(String text, String line) {
        if (!text.contains(line)) throw new AssertionError("missing line:\n" + line + "\nin:\n" + text);
    }
}
