package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import org.junit.jupiter.api.Test;

/** The contract evaluator on hand-computed cases. */
class PareDialectEvaluatorTest {

    @Test
    void affineDequantizeUsesBlocksAndZeroPoints() {
        TensorData data = Tensors.ofInts(DType.UINT4, new long[] {2, 4}, new int[] {0, 1, 2, 3, 15, 14, 13, 12});
        TensorData scale = Tensors.ofFloats(DType.FLOAT32, new long[] {1, 2}, new float[] {0.5f, 2f});
        TensorData zp = Tensors.ofInts(DType.UINT4, new long[] {1, 2}, new int[] {1, 3});
        TensorData out = PareDialectEvaluator.affineDequantize(data, scale, zp);
        assertEquals(DType.FLOAT32, out.dtype());
        assertArrayEquals(new float[] {-0.5f, 0f, -2f, 0f, 7f, 6.5f, 20f, 18f}, Tensors.floats(out));
    }

    @Test
    void affineDequantizeRoundsToFp16WhenTheScaleIsFp16() {
        float s = Float16.toFloat(Float16.fromFloat(0.1f));
        TensorData out = PareDialectEvaluator.affineDequantize(Tensors.ofInts(DType.INT8, new long[] {1}, new int[] {3}),
                Tensors.ofFloats(DType.FLOAT16, new long[] {1}, new float[] {s}), null);
        assertEquals(DType.FLOAT16, out.dtype());
        assertEquals(Float16.toFloat(Float16.fromFloat(3 * s)), Tensors.floats(out)[0]);
    }

    @Test
    void lutToDenseWithGroupsAndVectors() {
        // indices [2,2] (vectors of 2 along axis 0 → output [4,2]); one 2-entry LUT per index row
        TensorData indices = Tensors.ofInts(DType.UINT1, new long[] {2, 2}, new int[] {0, 1, 1, 0});
        TensorData lut = Tensors.ofFloats(DType.FLOAT32, new long[] {2, 1, 2, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
        TensorData out = PareDialectEvaluator.lutToDense(indices, lut, 0);
        assertArrayEquals(new long[] {4, 2}, out.type().shape());
        // row r = 2*vector + component; group = vector; value = lut[group][index][component]
        assertArrayEquals(new float[] {1, 3, 2, 4, 7, 5, 8, 6}, Tensors.floats(out));
    }

    @Test
    void sparseToDenseTakesPackedOrFullValues() {
        TensorData mask = Tensors.ofMask(new long[] {4}, new boolean[] {false, true, false, true});
        assertArrayEquals(new float[] {0, 5, 0, 6},
                Tensors.floats(PareDialectEvaluator.sparseToDense(mask, Tensors.ofFloats(DType.FLOAT32, new long[] {2}, new float[] {5, 6}))));
        assertArrayEquals(new float[] {0, 2, 0, 4}, Tensors.floats(PareDialectEvaluator.sparseToDense(mask,
                Tensors.ofFloats(DType.FLOAT32, new long[] {4}, new float[] {1, 2, -3, 4}))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PareDialectEvaluator.sparseToDense(mask,
                Tensors.ofFloats(DType.FLOAT32, new long[] {3}, new float[] {1, 2, 3})));
        assertEquals("sparse_to_dense: values f32[3] must be [2] (the kept count) or the mask's shape u1[4]", e.getMessage());
    }

    @Test
    void rejectsAScaleThatCannotSplitAnAxisEvenly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PareDialectEvaluator.affineDequantize(
                Tensors.ofInts(DType.INT8, new long[] {1, 10}, new int[10]), Tensors.ofFloats(DType.FLOAT32, new long[] {1, 6}, new float[6]), null));
        assertEquals("affine_dequantize: 6 scales cannot split axis 1 of 10 into equal blocks", e.getMessage());
    }
}
