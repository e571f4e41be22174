package dev.pare.compiler.coreml.eval;

import static dev.pare.compiler.coreml.eval.MilGraphs.bool;
import static dev.pare.compiler.coreml.eval.MilGraphs.bools;
import static dev.pare.compiler.coreml.eval.MilGraphs.f16;
import static dev.pare.compiler.coreml.eval.MilGraphs.f32;
import static dev.pare.compiler.coreml.eval.MilGraphs.i32;
import static dev.pare.compiler.coreml.eval.MilGraphs.ints;
import static dev.pare.compiler.coreml.eval.MilGraphs.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilInterpreter.MilEvalException;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-op checks of the MIL interpreter against hand-computed values. */
class MilInterpreterTest {

    private static final long[] S = {};

    /** Runs one op whose parameters are all constants and returns its result {@code r}. */
    private static MilTensor evalResult(String op, int results, int r, Object... params) {
        MilGraphs g = new MilGraphs();
        List<Value> out = g.node(op, results, params);
        for (Value v : out) g.output(v);
        Map<String, MilTensor> res = new MilInterpreter(g.graph()).runTensors(Map.of());
        return res.get(out.get(r).name());
    }

    private static MilTensor eval(String op, Object... params) { return evalResult(op, 1, 0, params); }

    private static long[] s(long... d) { return d; }

    private static void assertFloats(float[] expected, MilTensor t, float tol) {
        float[] actual = t.toFloats();
        assertEquals(expected.length, actual.length, "element count");
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, "element " + i);
    }

    @Test
    void scatterCombinesTheUpdatesSlicesAtTheIndicesAlongTheAxis() {
        TensorData data = f32(s(3, 2), 0, 1, 2, 3, 4, 5);
        // rows 2 and 0 replaced, in the order of the indices (a repeated index: the last write wins)
        MilTensor rows = eval("scatter", "data", data, "indices", ints(2, 0), "updates", f32(s(2, 2), 10, 11, 20, 21),
                "axis", i32(0), "mode", str("update"));
        assertArrayEquals(new int[] {3, 2}, rows.shape());
        assertArrayEquals(new float[] {20, 21, 2, 3, 10, 11}, rows.toFloats());
        assertArrayEquals(new float[] {0, 1, 2, 3, 6, 8}, eval("scatter", "data", data, "indices", ints(-1, -1),
                "updates", f32(s(2, 2), 7, 9, 6, 8), "axis", i32(0), "mode", str("update")).toFloats());
        // along axis 1, MIL's default mode add; int32 data keeps its type
        MilTensor cols = eval("scatter", "data", data, "indices", ints(1, 1), "updates", f32(s(3, 2), 1, 2, 3, 4, 5, 6), "axis", i32(1));
        assertArrayEquals(new float[] {0, 4, 2, 10, 4, 16}, cols.toFloats());
        MilTensor ints = eval("scatter", "data", i32(s(2), 5, 6), "indices", ints(0), "updates", i32(s(1), -3), "axis", i32(0),
                "mode", str("max"));
        assertEquals(DType.INT32, ints.dtype());
        assertArrayEquals(new int[] {5, 6}, ints.toInts());
        MilInterpreter.MilEvalException e = assertThrows(MilInterpreter.MilEvalException.class, () -> eval("scatter", "data", data,
                "indices", ints(3), "updates", f32(s(1, 2), 1, 2), "axis", i32(0), "mode", str("update")));
        assertTrue(e.getMessage().contains("index 3 is out of range for axis length 3"), e.getMessage());
    }

    @Test
    void binaryOpsBroadcastLikeNumpy() {
        MilTensor sum = eval("add", "x", f32(s(2, 1), 1, 2), "y", f32(s(3), 10, 20, 30));
        assertArrayEquals(new int[] {2, 3}, sum.shape());
        assertArrayEquals(new float[] {11, 21, 31, 12, 22, 32}, sum.toFloats());
        assertArrayEquals(new float[] {0.5f, -2f}, eval("real_div", "x", f32(s(2), 1, -4), "y", f32(2)).toFloats());
        assertArrayEquals(new float[] {8, 0.25f}, eval("pow", "x", f32(s(2), 2, 4), "y", f32(s(2), 3, -1)).toFloats());
        assertArrayEquals(new float[] {-2, 3}, eval("maximum", "x", f32(s(2), -2, 1), "y", f32(s(2), -3, 3)).toFloats());
        assertArrayEquals(new float[] {-2, -1}, eval("floor_div", "x", i32(s(2), -4, -1), "y", i32(2)).toFloats());
        MilTensor less = eval("less", "x", f32(s(3), 1, 2, 3), "y", f32(2));
        assertEquals(DType.BOOL, less.dtype());
        assertArrayEquals(new int[] {1, 0, 0}, less.toInts());
        assertArrayEquals(new int[] {0, 1, 1}, eval("logical_xor", "x", bools(true, false, true), "y", bools(true, true, false)).toInts());
    }

    @Test
    void eachComputedValueDiesAtItsLastReaderUnlessKept() {
        MilGraphs g = new MilGraphs();
        Value x = g.input("x", DType.FLOAT32, 2);
        Value a = g.node("relu", "x", x);                  // node 0: read by nodes 1 and 2
        Value b = g.node("add", "x", a, "y", f32(1));      // node 1: read by node 2; captured
        Value c = g.node("mul", "x", b, "y", a);           // node 2: the output
        Value d = g.node("exp", "x", x);                   // node 3: read by nobody
        g.output(c);
        List<List<Value>> dying = MilInterpreter.lastUses(g.graph().nodes(), new java.util.HashSet<>(List.of(c, b)));
        assertEquals(List.of(List.of(), List.of(), Set.of(a), Set.of(x, d)),
                List.of(dying.get(0), dying.get(1), Set.copyOf(dying.get(2)), Set.copyOf(dying.get(3))));
        // a run still returns the outputs and a captured value whose last reader ran long before
        Map<String, TensorData> out = new MilInterpreter(g.graph()).run(Map.of("x", f32(s(2), -1, 2)), List.of(b));
        assertArrayEquals(new float[] {0, 6}, MilTensor.of(out.get(c.name())).toFloats());
        assertArrayEquals(new float[] {1, 3}, MilTensor.of(out.get(b.name())).toFloats());
    }

    @Test
    void fp16OpsRoundTheirResults() {
        MilTensor r = eval("add", "x", f16(s(1), 1f), "y", f16(s(1), 0.0001f));
        assertEquals(DType.FLOAT16, r.dtype());
        // 1 + fp16(0.0001) = 1.0001 rounds to 1.0 in fp16 (spacing 2^-10 near 1)
        assertEquals(1f, r.toFloats()[0]);
    }

    @Test
    void activations() {
        MilTensor x = MilTensor.floats(DType.FLOAT32, new int[] {4}, new float[] {-2, -0.5f, 0.5f, 3.5f});
        TensorData xd = x.toData();
        assertArrayEquals(new float[] {0, 0, 0.5f, 3.5f}, eval("relu", "x", xd).toFloats());
        assertFloats(new float[] {-0.9953222650f, -0.5204998778f, 0.5204998778f, 0.9999992569f}, eval("erf", "x", xd), 1e-7f);
        // exact gelu = x * Phi(x)
        assertFloats(new float[] {-0.0455002639f, -0.15426877f, 0.34573123f, 3.4991858f}, eval("gelu", "x", xd), 1e-6f);
        assertFloats(new float[] {0.1192029f, 0.3775407f, 0.6224593f, 0.9706878f}, eval("sigmoid", "x", xd), 1e-6f);
        assertArrayEquals(new float[] {0, 0.1f, 0.3f, 0.9f}, eval("sigmoid_hard", "x", xd, "alpha", f32(0.2f), "beta", f32(0.2f)).toFloats(), 1e-7f);
        assertArrayEquals(new float[] {-0.2f, -0.05f, 0.5f, 3.5f}, eval("leaky_relu", "x", xd, "alpha", f32(0.1f)).toFloats());
        assertArrayEquals(new float[] {-1, -0.5f, 0.5f, 1}, eval("clip", "x", xd, "alpha", f32(-1), "beta", f32(1)).toFloats());
        assertFloats(new float[] {0.1269280f, 0.4740770f, 0.9740770f, 3.5297503f}, eval("softplus", "x", xd), 1e-6f);
    }

    @Test
    void scalarOperandsAndWholeTensorReductionsBroadcastAsNumpy() {
        // the quantizer's shapes: a map and a scalar (either side, any rank of ones), a reduction to one value
        TensorData x = f32(s(2, 1, 3), 1, -2, 3, 4, 5, -6);
        assertArrayEquals(new float[] {0.5f, -1, 1.5f, 2, 2.5f, -3}, eval("real_div", "x", x, "y", f32(2)).toFloats());
        MilTensor shifted = eval("sub", "x", f32(s(1, 1, 1, 1), 10), "y", x);
        assertArrayEquals(new int[] {1, 2, 1, 3}, shifted.shape());
        assertArrayEquals(new float[] {9, 12, 7, 6, 5, 16}, shifted.toFloats());
        assertArrayEquals(new float[] {1, 0, 3, 4, 5, 0}, eval("maximum", "x", x, "y", f32(s(1), 0)).toFloats());
        assertArrayEquals(new float[] {1, 4, 9, 16, 25, 36}, eval("mul", "x", x, "y", x).toFloats());
        MilTensor max = eval("reduce_max", "x", x, "axes", ints(0, 1, 2), "keep_dims", bool(false));
        assertArrayEquals(new int[] {}, max.shape());
        assertArrayEquals(new float[] {5}, max.toFloats());
        assertArrayEquals(new float[] {-6}, eval("reduce_min", "x", x, "axes", ints(0, 1, 2)).toFloats());
        MilTensor meanOfOneRow = eval("reduce_mean", "x", f32(s(1, 4), 1, 2, 3, 6), "axes", ints(1), "keep_dims", bool(true));
        assertArrayEquals(new int[] {1, 1}, meanOfOneRow.shape());
        assertArrayEquals(new float[] {3}, meanOfOneRow.toFloats());
    }

    @Test
    void softmaxAndReductions() {
        TensorData x = f32(s(2, 3), 1, 2, 3, 0, 0, 0);
        assertFloats(new float[] {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3f, 1 / 3f, 1 / 3f}, eval("softmax", "x", x, "axis", i32(-1)), 1e-7f);
        MilTensor mean = eval("reduce_mean", "x", x, "axes", ints(1), "keep_dims", bool(true));
        assertArrayEquals(new int[] {2, 1}, mean.shape());
        assertArrayEquals(new float[] {2, 0}, mean.toFloats());
        assertArrayEquals(new float[] {6}, eval("reduce_sum", "x", x).toFloats());
        assertArrayEquals(new float[] {1, 2, 3}, eval("reduce_max", "x", x, "axes", ints(0)).toFloats());
        assertArrayEquals(new int[] {2, 0}, eval("reduce_argmax", "x", x, "axis", i32(1)).toInts());
    }

    @Test
    void matmulTransposesAndBroadcastsBatches() {
        // x [2,1,2] (batch 2), y^T given as [3,2] with transpose_y
        TensorData x = f32(s(2, 1, 2), 1, 2, 3, 4);
        TensorData yT = f32(s(3, 2), 1, 0, 0, 1, 1, 1);
        MilTensor r = eval("matmul", "x", x, "y", yT, "transpose_x", bool(false), "transpose_y", bool(true));
        assertArrayEquals(new int[] {2, 1, 3}, r.shape());
        assertArrayEquals(new float[] {1, 2, 3, 3, 4, 7}, r.toFloats());
        MilTensor v = eval("matmul", "x", f32(s(2), 1, 1), "y", f32(s(2, 2), 1, 2, 3, 4));
        assertArrayEquals(new int[] {2}, v.shape());
        assertArrayEquals(new float[] {4, 6}, v.toFloats());
        MilTensor tx = eval("matmul", "x", f32(s(2, 1), 1, 2), "y", f32(s(2, 1), 3, 4), "transpose_x", bool(true));
        assertArrayEquals(new float[] {11}, tx.toFloats());
    }

    @Test
    void linearAddsBias() {
        MilTensor r = eval("linear", "x", f32(s(1, 2), 1, 2), "weight", f32(s(3, 2), 1, 0, 0, 1, 1, 1), "bias", f32(s(3), 0.5f, 0, -1));
        assertArrayEquals(new float[] {1.5f, 2, 2}, r.toFloats());
    }

    @Test
    void shapeOps() {
        TensorData x = f32(s(2, 3), 0, 1, 2, 3, 4, 5);
        MilTensor t = eval("transpose", "x", x, "perm", ints(1, 0));
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloats());
        assertArrayEquals(new int[] {3, 1, 2}, eval("reshape", "x", x, "shape", ints(3, -1, 2)).shape());
        assertArrayEquals(new int[] {2, 1, 3, 1}, eval("expand_dims", "x", x, "axes", ints(1, -1)).shape());
        assertArrayEquals(new int[] {3}, eval("squeeze", "x", f32(s(1, 3, 1), 1, 2, 3)).shape());
        MilTensor c = eval("concat", "values", x, "values", f32(s(2, 1), 9, 9), "axis", i32(1), "interleave", bool(false));
        assertArrayEquals(new float[] {0, 1, 2, 9, 3, 4, 5, 9}, c.toFloats());
        MilTensor second = evalResult("split", 2, 1, "x", x, "split_sizes", ints(1, 2), "axis", i32(1));
        assertArrayEquals(new float[] {1, 2, 4, 5}, second.toFloats());
        // x[:, ::-2] and the last row kept with squeeze
        MilTensor sl = eval("slice_by_index", "x", x, "begin", ints(0, -1), "end", ints(2, 0), "stride", ints(1, -2),
                "begin_mask", bools(false, false), "end_mask", bools(false, true));
        assertArrayEquals(new int[] {2, 2}, sl.shape());
        assertArrayEquals(new float[] {2, 0, 5, 3}, sl.toFloats());
        MilTensor row = eval("slice_by_index", "x", x, "begin", ints(1, 0), "end", ints(2, 3), "squeeze_mask", bools(true, false));
        assertArrayEquals(new int[] {3}, row.shape());
        MilTensor g = eval("gather", "x", x, "indices", ints(-1, 0), "axis", i32(1));
        assertArrayEquals(new float[] {2, 0, 5, 3}, g.toFloats());
        MilTensor ga = eval("gather_along_axis", "x", x, "indices", i32(s(1, 3), 1, 0, 1), "axis", i32(0));
        assertArrayEquals(new float[] {3, 1, 5}, ga.toFloats());
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1, 0, 1}, eval("tile", "x", f32(s(1, 2), 0, 1), "reps", ints(2, 2)).toFloats());
        assertArrayEquals(new int[] {2, 3}, eval("shape", "x", x).toInts());
        assertArrayEquals(new float[] {7, 7}, eval("fill", "shape", ints(2), "value", f32(7)).toFloats());
        assertArrayEquals(new int[] {5, 3, 1}, eval("range_1d", "end", i32(0), "start", i32(5), "step", i32(-2)).toInts());
        assertArrayEquals(new float[] {0, 10, 2}, eval("select", "cond", bools(true, false, true), "a", f32(s(3), 0, 1, 2), "b", f32(10)).toFloats());
        MilTensor cast = eval("cast", "x", f32(s(3), -1.7f, 0.2f, 2.9f), "dtype", str("int32"));
        assertEquals(DType.INT32, cast.dtype());
        assertArrayEquals(new int[] {-1, 0, 2}, cast.toInts());
        assertArrayEquals(new float[] {0, 1, 3, 6}, eval("cumsum", "x", f32(s(4), 1, 2, 3, 4), "axis", i32(0), "exclusive", bool(true)).toFloats());
    }

    @Test
    void padModes() {
        TensorData x = f32(s(1, 3), 1, 2, 3);
        assertArrayEquals(new float[] {0, 1, 2, 3, 0, 0},
                eval("pad", "x", x, "pad", ints(1, 2), "mode", str("constant"), "constant_val", f32(0)).toFloats());
        assertArrayEquals(new float[] {3, 2, 1, 2, 3, 2, 1}, eval("pad", "x", x, "pad", ints(2, 2), "mode", str("reflect")).toFloats());
        assertArrayEquals(new float[] {1, 1, 2, 3, 3}, eval("pad", "x", x, "pad", ints(1, 1), "mode", str("replicate")).toFloats());
        MilEvalException e = assertThrows(MilEvalException.class, () -> eval("pad", "x", x, "pad", ints(3, 0), "mode", str("reflect")));
        assertEquals("mil.pad 'pad': pad [3, 0] is too large for reflect padding of axis 1 (size 3)", e.getMessage());
    }

    @Test
    void normalizations() {
        TensorData x = f32(s(1, 2, 2), 1, 3, 10, 20);
        MilTensor bn = eval("batch_norm", "x", x, "mean", f32(s(2), 2, 15), "variance", f32(s(2), 4, 25), "gamma", f32(s(2), 1, 2),
                "beta", f32(s(2), 0, 1), "epsilon", f32(0));
        assertArrayEquals(new float[] {-0.5f, 0.5f, -1, 3}, bn.toFloats(), 1e-6f);
        MilTensor ln = eval("layer_norm", "x", x, "axes", ints(-1), "gamma", f32(s(2), 1, 2), "beta", f32(s(2), 0, 1), "epsilon", f32(0));
        assertArrayEquals(new float[] {-1, 3, -1, 3}, ln.toFloats(), 1e-6f);
        MilTensor in = eval("instance_norm", "x", x, "epsilon", f32(0));
        assertArrayEquals(new float[] {-1, 1, -1, 1}, in.toFloats(), 1e-6f);
    }

    @Test
    void quantizeRoundsHalfToEvenAndSaturates() {
        MilTensor q = eval("quantize", "input", f32(s(4), 0.5f, 1.5f, -300f, 2.6f), "scale", f32(1), "zero_point",
                TensorData.of(TensorType.of(DType.INT8), new byte[] {1}), "output_dtype", str("int8"));
        assertEquals(DType.INT8, q.dtype());
        assertArrayEquals(new int[] {1, 3, -128, 4}, q.toInts());
        MilTensor dq = eval("dequantize", "input", TensorData.of(TensorType.of(DType.UINT8, 2, 2), new byte[] {0, 10, (byte) 200, 5}),
                "scale", f32(s(2), 0.5f, 2f), "zero_point", TensorData.of(TensorType.of(DType.UINT8, 2), new byte[] {10, 5}), "axis", i32(0));
        assertArrayEquals(new float[] {-5, 0, 390, 0}, dq.toFloats());
    }

    @Test
    void resizing() {
        TensorData x = f32(s(1, 1, 2), 0, 1);
        MilTensor up = eval("upsample_nearest_neighbor", "x", x, "scale_factor_height", f32(1), "scale_factor_width", f32(2));
        assertArrayEquals(new float[] {0, 0, 1, 1}, up.toFloats());
        // the grid points of the resize_bilinear documentation for Xin = 2, Xout = 5
        assertArrayEquals(new float[] {0, 0.1f, 0.5f, 0.9f, 1}, eval("resize_bilinear", "x", x, "target_size_height", i32(1),
                "target_size_width", i32(5), "sampling_mode", str("UNALIGN_CORNERS")).toFloats(), 1e-6f);
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1}, eval("resize_bilinear", "x", x, "target_size_height", i32(1),
                "target_size_width", i32(5), "sampling_mode", str("STRICT_ALIGN_CORNERS")).toFloats(), 1e-6f);
        assertArrayEquals(new float[] {0, 0.4f, 0.8f, 1, 1}, eval("resize_bilinear", "x", x, "target_size_height", i32(1),
                "target_size_width", i32(5), "sampling_mode", str("DEFAULT")).toFloats(), 1e-6f);
        assertArrayEquals(new float[] {0, 0.2f, 0.4f, 0.6f, 0.8f, 1}, eval("upsample_bilinear", "x", x, "scale_factor_height", f32(1),
                "scale_factor_width", f32(3)).toFloats(), 1e-6f);
    }

    @Test
    void constexprNodesFeedOrdinaryOps() {
        MilGraphs g = new MilGraphs();
        Value x = g.input("x", DType.FLOAT32, 1, 2);
        // weight [2,2] from a 1-bit LUT: indices 1 0 / 0 1 (bits 0b1001), lut [-1, 2]
        Value w = g.node("constexpr_lut_to_dense", "indices", TensorData.of(TensorType.of(DType.UINT1, 2, 2), new byte[] {0b1001}),
                "lut", f32(s(1, 1, 2, 1), -1, 2));
        Value y = g.node("linear", "x", x, "weight", w);
        g.output(y);
        Map<String, TensorData> out = new MilInterpreter(g.graph()).run(Map.of("x", f32(s(1, 2), 1, 10)));
        assertArrayEquals(new float[] {-8, 19}, MilTensor.of(out.get(y.name())).toFloats());
    }

    @Test
    void errorsNameTheNodeAndOp() {
        MilEvalException unknown = assertThrows(MilEvalException.class, () -> eval("band_part", "x", f32(1)));
        assertEquals("mil.band_part 'band_part': op 'band_part' is not supported by the MIL interpreter", unknown.getMessage());
        MilEvalException missing = assertThrows(MilEvalException.class, () -> eval("add", "x", f32(1)));
        assertEquals("mil.add 'add': missing parameter 'y'", missing.getMessage());
        MilEvalException shapes = assertThrows(MilEvalException.class, () -> eval("add", "x", f32(s(2), 1, 2), "y", f32(s(3), 1, 2, 3)));
        assertEquals("mil.add 'add': shapes [2] and [3] do not broadcast", shapes.getMessage());
        MilEvalException constexpr = assertThrows(MilEvalException.class, () -> eval("constexpr_lut_to_dense",
                "indices", TensorData.of(TensorType.of(DType.UINT1, 2), new byte[] {1})));
        assertEquals("mil.constexpr_lut_to_dense 'constexpr_lut_to_dense': missing parameter 'lut'", constexpr.getMessage());
    }

    @Test
    void fp32DataForAnFp16InputIsRounded() {
        MilGraphs g = new MilGraphs();
        Value x = g.input("x", DType.FLOAT16, 1);
        Value y = g.node("mul", "x", x, "y", f16(s(1), 1f));
        g.output(y);
        MilTensor out = new MilInterpreter(g.graph()).runTensors(Map.of("x", MilTensor.of(f32(s(1), 0.1f)))).get(y.name());
        assertEquals(DType.FLOAT16, out.dtype());
        assertEquals(0.0999755859375f, out.toFloats()[0]);
    }
}
