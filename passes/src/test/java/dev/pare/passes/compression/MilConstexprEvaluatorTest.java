package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Value;
import dev.pare.testkit.TestPassContext;
import dev.pare.ir.Float16;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import org.junit.jupiter.api.Test;

/** The Core ML constexpr ops on hand-computed cases (packed bytes written out by hand). */
class MilConstexprEvaluatorTest {

    private static TensorData raw(DType dtype, long[] shape, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return TensorData.of(TensorType.of(dtype, shape), b);
    }

    private static TensorData f32(long[] shape, float... v) { return Tensors.ofFloats(DType.FLOAT32, shape, v); }

    private static TensorData f16(long[] shape, float... v) { return Tensors.ofFloats(DType.FLOAT16, shape, v); }

    private static TensorData i32(long... v) {
        return MilConstexprEvaluator.encode(DType.INT32, new long[0], new double[] {v[0]});
    }

    private static TensorData u32(long... v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return MilConstexprEvaluator.encode(DType.UINT32, new long[] {v.length}, d);
    }

    @SafeVarargs
    private static List<TensorData> eval(String op, Entry<String, TensorData>... params) {
        Map<String, TensorData> m = new LinkedHashMap<>();
        for (Entry<String, TensorData> e : params) m.put(e.getKey(), e.getValue());
        return MilConstexprEvaluator.evaluate(op, "w", m);
    }

    private static Entry<String, TensorData> p(String name, TensorData d) { return Map.entry(name, d); }

    private static float[] floats(TensorData d) { return Tensors.floats(d); }

    @Test
    void affineDequantizeBroadcastsAlongTheAxis() {
        TensorData q = raw(DType.UINT8, new long[] {2, 2}, 0, 255, 128, 3);
        TensorData out = eval(MilConstexprEvaluator.AFFINE_DEQUANTIZE, p("quantized_data", q),
                p("zero_point", raw(DType.UINT8, new long[] {2}, 128, 3)), p("scale", f32(new long[] {2}, 0.5f, 0.25f)),
                p("axis", i32(1))).get(0);
        assertEquals(TensorType.of(DType.FLOAT32, 2, 2), out.type());
        assertArrayEquals(new float[] {-64f, 63f, 0f, 0f}, floats(out));
    }

    @Test
    void affineDequantizeRoundsOnceToFp16() {
        float s = Float16.toFloat(Float16.fromFloat(0.1f)); // 0.0999755859375
        TensorData out = eval(MilConstexprEvaluator.AFFINE_DEQUANTIZE, p("quantized_data", raw(DType.INT8, new long[] {1}, 3)),
                p("zero_point", raw(DType.INT8, new long[0], 0)), p("scale", f16(new long[0], s)), p("axis", i32(0))).get(0);
        assertEquals(DType.FLOAT16, out.dtype());
        // 3 * s = 0.2999267578125 is a tie between two fp16 values; nearest-even gives 1228 * 2^-12
        assertEquals(0.2998046875f, floats(out)[0]);
    }

    @Test
    void castWidensFp16() {
        TensorData out = eval(MilConstexprEvaluator.CAST, p("source_val", f16(new long[] {2}, 1.5f, -0.25f)),
                p("output_dtype", new StringData(TensorType.of(DType.STRING), List.of("fp32".getBytes(StandardCharsets.UTF_8)), Map.of()))).get(0);
        assertEquals(TensorType.of(DType.FLOAT32, 2), out.type());
        assertArrayEquals(new float[] {1.5f, -0.25f}, floats(out));
    }

    @Test
    void ios16LutToDenseUnpacksTwoBitIndicesLsbFirst() {
        // byte 0 = i3 i2 i1 i0 = 01 10 11 00, byte 1 = padding + i4 = 11 (the op's documented example)
        TensorData out = eval(MilConstexprEvaluator.LUT_TO_DENSE, p("indices", raw(DType.UINT8, new long[] {2}, 0x6C, 0x03)),
                p("lut", f16(new long[] {4}, -1f, 0.5f, 2f, 4f)), p("shape", u32(5))).get(0);
        assertEquals(TensorType.of(DType.FLOAT16, 5), out.type());
        assertArrayEquals(new float[] {-1f, 4f, 2f, 0.5f, 4f}, floats(out));
    }

    @Test
    void ios18LutToDenseWithThreeBitIndicesSpanningBytesAndGroupedLuts() {
        // indices 1,7,2 / 5,0,6 packed 3 bits each: bits 0b...11|0000 1010|1011 1001
        TensorData indices = raw(DType.UINT3, new long[] {2, 3}, 0xB9, 0x0A, 0x03);
        float[] luts = new float[16];
        for (int i = 0; i < 8; i++) {
            luts[i] = i;
            luts[8 + i] = 10 + i;
        }
        TensorData out = eval(MilConstexprEvaluator.LUT_TO_DENSE, p("indices", indices), p("lut", f32(new long[] {2, 1, 8, 1}, luts))).get(0);
        assertArrayEquals(new float[] {1, 7, 2, 15, 10, 16}, floats(out));
    }

    @Test
    void ios18VectorLutFillsAlongTheVectorAxis() {
        // indices [2,2] = 1 0 / 0 1 (u1: bits 1,0,0,1 = 0b1001), 2-entry vectors along axis 1
        TensorData out = eval(MilConstexprEvaluator.LUT_TO_DENSE, p("indices", raw(DType.UINT1, new long[] {2, 2}, 0x09)),
                p("lut", f32(new long[] {1, 1, 2, 2}, 1, 2, 3, 4)), p("vector_axis", i32(-1))).get(0);
        assertArrayEquals(new long[] {2, 4}, out.type().shape());
        assertArrayEquals(new float[] {3, 4, 1, 2, 1, 2, 3, 4}, floats(out));
    }

    @Test
    void ios16SparseToDenseScattersInOrderAndRejectsPaddingBits() {
        TensorData values = f16(new long[] {3}, 5f, 6f, 7f);
        TensorData out = eval(MilConstexprEvaluator.SPARSE_TO_DENSE, p("nonzero_data", values),
                p("mask", raw(DType.UINT8, new long[] {2}, 0b1000_0010, 0b0000_0001)), p("shape", u32(3, 3))).get(0);
        assertEquals(TensorType.of(DType.FLOAT16, 3, 3), out.type());
        assertArrayEquals(new float[] {0, 5, 0, 0, 0, 0, 0, 6, 7}, floats(out));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.SPARSE_TO_DENSE,
                p("nonzero_data", values), p("mask", raw(DType.UINT8, new long[] {2}, 0b1000_0010, 0b0000_0010)), p("shape", u32(3, 3))));
        assertEquals("mil.constexpr_sparse_to_dense 'w': parameter 'mask' has a set padding bit 9 beyond 9 elements", e.getMessage());
    }

    @Test
    void ios18SparseToDenseKeepsIntegerTypes() {
        // int4 values -3, 7 (bytes: low nibble 0xD, high 0x7); u1 mask 0,1,1,0
        TensorData out = eval(MilConstexprEvaluator.SPARSE_TO_DENSE, p("nonzero_data", raw(DType.INT4, new long[] {2}, 0x7D)),
                p("mask", raw(DType.UINT1, new long[] {2, 2}, 0b0110))).get(0);
        assertEquals(TensorType.of(DType.INT4, 2, 2), out.type());
        assertArrayEquals(new double[] {0, -3, 7, 0}, MilConstexprEvaluator.decode(out));
    }

    @Test
    void blockwiseShiftScaleWithNegativeInt4DataAndOffsets() {
        // data -8,-1,7,3 / 0,-3,5,-5 as int4 nibbles; scale and offset per 1x2 block
        TensorData data = raw(DType.INT4, new long[] {2, 4}, 0xF8, 0x37, 0xD0, 0xB5);
        TensorData offset = raw(DType.INT4, new long[] {2, 2}, 0xE1, 0xF0);
        TensorData out = eval(MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE, p("data", data),
                p("scale", f32(new long[] {2, 2}, 0.5f, 2f, 1f, 0.25f)), p("offset", offset)).get(0);
        assertArrayEquals(new float[] {-4.5f, -1f, 18f, 10f, 0f, -3f, 1.5f, -1f}, floats(out));
    }

    @Test
    void blockwiseShiftScaleComputesInFp16() {
        float s = Float16.toFloat(Float16.fromFloat(0.1f));
        TensorData out = eval(MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE, p("data", raw(DType.INT8, new long[] {1}, 3)),
                p("scale", f16(new long[] {1}, s))).get(0);
        assertEquals(DType.FLOAT16, out.dtype());
        assertEquals(0.2998046875f, floats(out)[0]);
    }

    @Test
    void blockwiseShiftScaleRejectsScalesThatDoNotDivide() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE,
                p("data", raw(DType.INT8, new long[] {1, 10}, new int[10])), p("scale", f32(new long[] {1, 3}, 1, 1, 1))));
        assertEquals("mil.constexpr_blockwise_shift_scale 'w': parameter 'scale' 3 scales do not divide axis 1 of data [1,10]", e.getMessage());
    }

    @Test
    void sparseBlockwiseShiftScaleDequantizesKeptValuesByTheirPosition() {
        TensorData mask = raw(DType.UINT1, new long[] {2, 2}, 0b1011);
        List<TensorData> out = eval(MilConstexprEvaluator.SPARSE_BLOCKWISE_SHIFT_SCALE, p("data_mask", mask),
                p("nonzero_data", raw(DType.INT8, new long[] {3}, 10, 11, 7)), p("scale", f32(new long[] {1, 2}, 0.5f, 2f)),
                p("offset", raw(DType.INT8, new long[] {1, 2}, 1, 2)));
        assertEquals(mask.type(), out.get(0).type());
        assertArrayEquals(new float[] {4.5f, 18f, 10f}, floats(out.get(1)));
    }

    @Test
    void lutToSparseRepeatsTheMaskForVectorLuts() {
        // mask 1 0 / 1 1; indices 1,0,1; vectors [1,2] and [3,4] along axis 0
        List<TensorData> out = eval(MilConstexprEvaluator.LUT_TO_SPARSE, p("indices_mask", raw(DType.UINT1, new long[] {2, 2}, 0b1101)),
                p("indices_nonzero_data", raw(DType.UINT1, new long[] {3}, 0b101)), p("lut", f32(new long[] {1, 1, 2, 2}, 1, 2, 3, 4)),
                p("vector_axis", i32(0)));
        assertEquals(TensorType.of(DType.UINT1, 4, 2), out.get(0).type());
        assertArrayEquals(new double[] {1, 0, 1, 0, 1, 1, 1, 1}, MilConstexprEvaluator.decode(out.get(0)));
        assertArrayEquals(new float[] {3, 4, 1, 3, 2, 4}, floats(out.get(1)));
    }

    @Test
    void errorsNameTheOpNodeAndParameter() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.LUT_TO_DENSE,
                p("indices", raw(DType.UINT4, new long[] {2}, 0x10))));
        assertEquals("mil.constexpr_lut_to_dense 'w': missing parameter 'lut'", missing.getMessage());
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.LUT_TO_DENSE,
                p("indices", raw(DType.UINT4, new long[] {2}, 0x10)), p("lut", f32(new long[] {16}, new float[16]))));
        assertEquals("mil.constexpr_lut_to_dense 'w': parameter 'lut' f32[16] must have rank 3 (indices rank + 2)", rank.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE,
                p("data", raw(DType.INT8, new long[] {1}, 1)), p("scale", raw(DType.INT8, new long[] {1}, 1))));
        assertEquals("mil.constexpr_blockwise_shift_scale 'w': parameter 'scale' has type i8[1]; expected one of f32, f16", type.getMessage());
        IllegalArgumentException extra = assertThrows(IllegalArgumentException.class, () -> eval(MilConstexprEvaluator.CAST,
                p("source_val", f16(new long[] {1}, 1f)), p("axis", i32(0))));
        assertEquals("mil.constexpr_cast 'w': unexpected parameter 'axis' (expected source_val, output_dtype)", extra.getMessage());
    }

    @Test
    void decompressWeightsCollapsesAConstexprChainIntoOneConstant() throws Exception {
        // an int8 LUT dequantized by blockwise_shift_scale, then indexed by lut_to_dense, feeding mil.linear
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 1, 2));
        Value lutData = rw.addConstant("lut_q", raw(DType.INT8, new long[] {1, 1, 2, 1}, -2, 6));
        Value lutScale = rw.addConstant("lut_scale", f32(new long[] {1, 1, 1, 1}, 0.5f));
        Value lut = rw.createNode("lut_dq", MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE, List.of(lutData, lutScale), List.of("lut"),
                List.of(TensorType.of(DType.FLOAT32, 1, 1, 2, 1)), Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("data", "scale")))),
                Location.UNKNOWN).result(0);
        Value indices = rw.addConstant("w_idx", raw(DType.UINT1, new long[] {2, 2}, 0b0110));
        Value w = rw.createNode("w_pal", MilConstexprEvaluator.LUT_TO_DENSE, List.of(indices, lut), List.of("w"),
                List.of(TensorType.of(DType.FLOAT32, 2, 2)), Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("indices", "lut")))),
                Location.UNKNOWN).result(0);
        Value y = rw.createNode("fc", "mil.linear", List.of(x, w), List.of("y"), List.of(TensorType.of(DType.FLOAT32, 1, 2)),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight")))), Location.UNKNOWN).result(0);
        rw.addOutput(y);

        TestPassContext context = WeightGraphs.run(WeightGraphs.pass(new DecompressWeights(), new DecompressWeights.Options()), g, 0);
        assertEquals(1, g.nodes().size());
        Value dense = g.nodes().get(0).operand(1);
        assertEquals("w", dense.name());
        assertTrue(dense.isConstant());
        assertArrayEquals(new float[] {-1, 3, 3, -1}, floats(dense.data()));
        assertFalse(g.value("w_idx").isPresent());
        assertEquals(2L, context.reportedStatistics().get("ops_evaluated"));
        assertEquals(1L, context.reportedStatistics().get("weights_decompressed"));
    }
}
