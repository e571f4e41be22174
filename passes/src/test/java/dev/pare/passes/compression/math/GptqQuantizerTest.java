package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;
import org.junit.jupiter.api.Test;

class GptqQuantizerTest {

    private static final QuantGranularity CHANNEL = new QuantGranularity.PerChannel(0);

    @Test
    void matchesTheDenseReferenceForEveryBatchSizeAndWithActOrder() {
        ObsLayers.Layer layer = ObsLayers.layer(3, 6, 20, 60, -1);
        for (Mode mode : Mode.values()) {
            LinearQuantizerOptions o = new LinearQuantizerOptions(mode, DType.INT4, CHANNEL);
            LinearQuantization rtn = LinearQuantizer.quantize(layer.weight(), o);
            for (boolean actOrder : new boolean[] {false, true}) {
                int[] expected = new int[layer.w().length];
                ObsLayers.reference(layer, 0.01, actOrder, (column, current, chosen) -> {
                    for (int r = 0; r < layer.rows(); r++) {
                        int zp = rtn.hasZeroPoint() ? rtn.zeroPoints()[r] : 0;
                        float s = rtn.scales()[r];
                        int q = (int) Math.max(o.qmin(), Math.min(o.qmax(), Math.rint((float) current[r] / s) + zp));
                        expected[r * layer.cols() + column] = q;
                        chosen[r] = (float) (q - zp) * s;
                    }
                });
                for (int batch : new int[] {1, 3, 7, 128}) {
                    ObsFactor f = ObsFactor.of(layer.h(), layer.cols(), 0.01, actOrder);
                    LinearQuantization q = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(layer.rows(), layer.cols()), o, f, batch, null);
                    assertArrayEquals(expected, q.quantized(), mode + " act_order " + actOrder + " batch " + batch);
                    assertArrayEquals(rtn.scales(), q.scales(), "per-channel scales come from the original weights");
                }
            }
        }
    }

    @Test
    void neverWorseThanRoundToNearestAndKeepsTheEncoding() {
        ObsLayers.Layer layer = ObsLayers.layer(4, 16, 24, 80, -1);
        ObsFactor f = ObsFactor.of(layer.h(), layer.cols(), 0.01, false);
        ObsFactor act = ObsFactor.of(layer.h(), layer.cols(), 0.01, true);
        QuantGranularity[] granularities = {new QuantGranularity.PerTensor(), CHANNEL, new QuantGranularity.PerBlock(0, 1, 8)};
        for (DType dtype : new DType[] {DType.INT8, DType.UINT8, DType.INT4, DType.UINT4}) {
            for (Mode mode : Mode.values()) {
                for (QuantGranularity g : granularities) {
                    LinearQuantizerOptions o = new LinearQuantizerOptions(mode, dtype, g);
                    LinearQuantization rtn = LinearQuantizer.quantize(layer.weight(), o);
                    double rtnError = ObsLayers.outputError(layer, rtn.decompress());
                    for (ObsFactor factor : new ObsFactor[] {f, act}) {
                        LinearQuantization q = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(16, 24), o, factor, 8, null);
                        String what = dtype + " " + mode + " " + g;
                        assertTrue(ObsLayers.outputError(layer, q.decompress()) <= rtnError, what + ": gptq error above rtn");
                        assertArrayEquals(rtn.scaleShape(), q.scaleShape(), what);
                        assertArrayEquals(rtn.blockLengths(), q.blockLengths(), what);
                        assertEquals(rtn.hasZeroPoint(), q.hasZeroPoint(), what);
                        if (!(g instanceof QuantGranularity.PerBlock)) {
                            assertArrayEquals(rtn.scales(), q.scales(), what);
                            if (rtn.hasZeroPoint()) assertArrayEquals(rtn.zeroPoints(), q.zeroPoints(), what);
                        }
                        for (int code : q.quantized()) assertTrue(code >= o.qmin() && code <= o.qmax(), what + ": code " + code);
                    }
                }
            }
        }
        // int4 per-channel: a clear gain, not a tie
        LinearQuantizerOptions int4 = new LinearQuantizerOptions(Mode.LINEAR_SYMMETRIC, DType.INT4, CHANNEL);
        double rtn = ObsLayers.outputError(layer, LinearQuantizer.quantize(layer.weight(), int4).decompress());
        double gptq = ObsLayers.outputError(layer, GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(16, 24), int4, f, 8, null).decompress());
        assertTrue(gptq < 0.8 * rtn, "gptq " + gptq + " vs rtn " + rtn);
    }

    @Test
    void perBlockScalesComeFromTheCompensatedWeightsAndTheBatchSizeDoesNotMatter() {
        ObsLayers.Layer layer = ObsLayers.layer(5, 4, 12, 50, -1);
        LinearQuantizerOptions o = new LinearQuantizerOptions(Mode.LINEAR, DType.UINT4, new QuantGranularity.PerBlock(0, 1, 4));
        ObsFactor f = ObsFactor.of(layer.h(), 12, 0.01, true);
        LinearQuantization one = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(4, 12), o, f, 1, null);
        LinearQuantization wide = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(4, 12), o, f, 128, null);
        assertArrayEquals(one.quantized(), wide.quantized());
        assertArrayEquals(one.scales(), wide.scales(), 1e-6f);
        LinearQuantization rtn = LinearQuantizer.quantize(layer.weight(), o);
        assertTrue(!java.util.Arrays.equals(rtn.scales(), one.scales()), "later blocks see compensated weights");
        // the first block in processing order has rtn's parameters: nothing was compensated before it
        int firstColumn = f.order()[0];
        int block = firstColumn / 4;
        for (int r = 0; r < 4; r++) assertEquals(rtn.scales()[r * 3 + block], one.scales()[r * 3 + block]);
    }

    @Test
    void prunedWeightsStayZeroAndDeadInputsDecodeToZero() {
        ObsLayers.Layer layer = ObsLayers.layer(6, 8, 10, 40, 3);
        boolean[] keep = new boolean[80];
        for (int e = 0; e < 80; e++) keep[e] = e % 3 != 0;
        LinearQuantizerOptions o = new LinearQuantizerOptions(Mode.LINEAR, DType.UINT8, CHANNEL);
        ObsFactor f = ObsFactor.of(layer.h(), 10, 0.01, false);
        LinearQuantization q = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(8, 10), o, f, 4, keep);
        float[] dense = q.decompress();
        for (int e = 0; e < 80; e++) {
            if (!keep[e]) {
                assertEquals(0f, dense[e]);
                assertEquals(q.zeroPoints()[e / 10], q.quantized()[e]);
            }
            if (e % 10 == 3) assertEquals(0f, dense[e], "dead input");
        }
        LinearQuantization rtn = LinearQuantizer.quantize(layer.weight(), o, keep);
        assertTrue(ObsLayers.outputError(layer, dense) <= ObsLayers.outputError(layer, rtn.decompress()));
    }

    @Test
    void aPermutedMatrixViewGivesTheSameCodesAsTheTransposedTensor() {
        // an ONNX MatMul weight is [in, out]: the matrix is its transpose
        ObsLayers.Layer layer = ObsLayers.layer(7, 5, 7, 30, -1);
        float[] transposed = new float[35];
        int[] tensorIndex = new int[35];
        for (int r = 0; r < 5; r++) {
            for (int c = 0; c < 7; c++) {
                transposed[c * 5 + r] = layer.w()[r * 7 + c];
                tensorIndex[r * 7 + c] = c * 5 + r;
            }
        }
        ObsFactor f = ObsFactor.of(layer.h(), 7, 0.01, false);
        LinearQuantization direct = GptqQuantizer.quantize(layer.weight(), WeightMatrix.identity(5, 7),
                new LinearQuantizerOptions(Mode.LINEAR_SYMMETRIC, DType.INT4, new QuantGranularity.PerChannel(0)), f, 4, null);
        LinearQuantization viaView = GptqQuantizer.quantize(WeightTensor.of(transposed, new long[] {7, 5}, Precision.FLOAT32),
                new WeightMatrix(5, 7, tensorIndex),
                new LinearQuantizerOptions(Mode.LINEAR_SYMMETRIC, DType.INT4, new QuantGranularity.PerChannel(1)), f, 4, null);
        for (int r = 0; r < 5; r++) for (int c = 0; c < 7; c++) assertEquals(direct.quantized()[r * 7 + c], viaView.quantized()[c * 5 + r]);
        assertArrayEquals(direct.scales(), viaView.scales());
    }
}
