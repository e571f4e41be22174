package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization (what ONNX Runtime's dynamic quantizer emits): DynamicQuantizeLinear,
 * MatMulInteger, ConvInteger, QuantizeLinear and DequantizeLinear.
 *
 * <p>Integers are carried in float32: every value here (uint8/int8 codes, zero points, int32
 * accumulations) is an integer of magnitude below 2^24, which float32 holds exactly, and MIL has
 * no integer matmul or conv on every target. A code or zero point that only these ops read stays
 * float32; one that something else reads (or a graph output) is cast to the ONNX type.
 *
 * <p>An integer product is exact in float32 when every partial sum is: |a - a_zp| &lt;= 255, so
 * for a constant B the bound of output column j is 255 * sum_k |B[k,j] - B_zp[j]| (computed from
 * the weights), for a computed B it is 255 * 255 * K. When a bound reaches 2^24 the reduction axis
 * is split into chunks whose bounds stay below it: each chunk's product is exact and only the
 * float32 adds of the chunk results round (as the model's own Cast of the int32 sum to float does).
 */
final class QuantizedLowerings {

    private QuantizedLowerings() {}

    /** Largest integer below which every float32 integer sum is exact. */
    static final double EXACT = 1 << 24;

    /** Ops that read our float32-carried codes and zero points as they are. */
    private static final Set<String> INTEGER_READERS = Set.of("MatMulInteger", "ConvInteger", "DequantizeLinear", "MatMulIntegerToFloat");

    static void register(Map<String, Lowering> m) {
        m.put("DynamicQuantizeLinear", QuantizedLowerings::dynamicQuantize);
        m.put("MatMulInteger", QuantizedLowerings::matMulInteger);
        m.put("ConvInteger", QuantizedLowerings::convInteger);
        m.put("DequantizeLinear", QuantizedLowerings::dequantize);
        m.put("QuantizeLinear", QuantizedLowerings::quantize);
    }

    /**
     * ONNX: scale = (max(0, max x) - min(0, min x)) / 255, zp = saturate(round(0 - min(0, min x) / scale)),
     * y = saturate(round(x / scale) + zp), rounding half to even (MIL round, as numpy's). The round of
     * zp comes before the clip: equal, as the clip bounds are integers.
     */
    private static List<Value> dynamicQuantize(OnnxOp op) {
        Value x = op.in(0);
        Value[] q = quantizeDynamically(op, x, carried(op, 0) ? op.e.out(0) : op.e.tmp("y"), op.e.out(1),
                carried(op, 2) ? op.e.out(2) : op.e.tmp("zp"));
        return List.of(honest(op, 0, q[0], DType.UINT8), q[1], honest(op, 2, q[2], DType.UINT8));
    }

    /**
     * The uint8 codes (carried in float32), scale and zero point of {@code x} as DynamicQuantizeLinear
     * computes them (ONNX Runtime's DynamicQuantizeMatMul quantizes its A the same way).
     */
    static Value[] quantizeDynamically(OnnxOp op, Value x, String codesName, String scaleName, String zpName) {
        if (x.tensorType().dtype() != DType.FLOAT32) throw op.fail("x must be float32, got " + x.tensorType().dtype().shortName());
        if (x.tensorType().dims() == null) throw op.fail("x has an unknown rank");
        long[] all = allAxes(x.tensorType().dims().size());
        Value max = op.e.op("reduce_max", op.e.tmp("max"), "x", x, "axes", all, "keep_dims", false);
        Value min = op.e.op("reduce_min", op.e.tmp("min"), "x", x, "axes", all, "keep_dims", false);
        Value zero = op.floatLike(x, op.e.tmp("zero"), 0);
        max = op.e.op("maximum", op.e.tmp("max0"), "x", max, "y", zero);
        min = op.e.op("minimum", op.e.tmp("min0"), "x", min, "y", zero);
        Value range = op.e.op("sub", op.e.tmp("range"), "x", max, "y", min);
        // ONNX Runtime takes scale 1 when x is all zero (0/0 otherwise), which gives zp 0 and y 0
        Value flat = op.e.op("equal", op.e.tmp("flat"), "x", range, "y", zero);
        Value step = op.e.op("real_div", op.e.tmp("step"), "x", range, "y", op.floatLike(x, op.e.tmp("levels"), 255));
        Value scale = op.e.op("select", scaleName, "cond", flat, "a", op.floatLike(x, op.e.tmp("one"), 1), "b", step);
        // 0 - min/scale lies in [0, 255]: the clip only guards rounding at the ends
        Value negMin = op.e.op("sub", op.e.tmp("neg_min"), "x", zero, "y", min);
        Value zp = op.e.op("real_div", op.e.tmp("zp_raw"), "x", negMin, "y", scale);
        zp = op.e.op("round", op.e.tmp("zp_round"), "x", zp);
        zp = op.e.op("clip", zpName, "x", zp, "alpha", 0.0, "beta", 255.0);
        Value q = op.e.op("real_div", op.e.tmp("scaled"), "x", x, "y", scale);
        q = op.e.op("round", op.e.tmp("rounded"), "x", q);
        q = op.e.op("add", op.e.tmp("shifted"), "x", q, "y", zp);
        q = op.e.op("clip", codesName, "x", q, "alpha", 0.0, "beta", 255.0);
        return new Value[] {q, scale, zp};
    }

    /** Whether result {@code i} is read only by ops that take float32-carried integers. */
    private static boolean carried(OnnxOp op, int i) {
        Value r = op.node.result(i);
        if (r.isAbsent()) return true;
        if (r.graph().isOutput(r)) return false;
        for (Value.Use u : r.uses()) {
            Node n = u.user();
            if (!n.dialect().equals("onnx") || !INTEGER_READERS.contains(n.opType())) return false;
        }
        return true;
    }

    /**
     * {@code v} as result {@code i}: as it is when carried, else cast to the ONNX integer type; a
     * graph output to int32, as Core ML features have no 8-bit integer type.
     */
    private static Value honest(OnnxOp op, int i, Value v, DType type) {
        Value r = op.node.result(i);
        if (r.isAbsent() || carried(op, i)) return v;
        DType to = r.graph().isOutput(r) ? DType.INT32 : type;
        return op.e.op("cast", op.e.out(i), "x", v, "dtype", MilDTypes.milName(to));
    }

    /** An integer operand as float32: carried values as they are, integer tensors cast. */
    static Value asFloat(OnnxOp op, int i, String name) {
        Value v = op.in(i);
        DType d = v.tensorType().dtype();
        if (d == DType.FLOAT32) return v;
        if (!d.isInteger()) throw op.fail("input " + i + " must be an integer tensor, got " + d.shortName());
        if (v.isConstant()) return op.e.constant(op.e.tmp(name), floats(v.tensorType().shape(), MilArgs.longs(v)));
        return op.e.op("cast", op.e.tmp(name), "x", v, "dtype", "fp32");
    }

    /** {@code x - zp} in float32 (x when the zero point is absent or a constant 0). */
    static Value minusZeroPoint(OnnxOp op, Value x, int zpIndex, String name) {
        if (!op.present(zpIndex)) return x;
        long[] c = op.constInts(zpIndex);
        if (c != null && Arrays.stream(c).allMatch(z -> z == 0)) return x;
        Value zp = asFloat(op, zpIndex, name + "_zp");
        return op.e.op("sub", op.e.tmp(name + "_centered"), "x", x, "y", zp);
    }

    // ---- MatMulInteger ------------------------------------------------------------------------

    private static List<Value> matMulInteger(OnnxOp op) {
        if (op.present(2) && !scalar(op, 2)) throw op.fail("a_zero_point must be a scalar (per-tensor), got " + op.type(2));
        Value a = minusZeroPoint(op, asFloat(op, 0, "a"), 2, "a");
        boolean carried = carried(op, 0) || onlyCastToFloat(op.node.result(0));
        Value y = integerMatmul(op, a, op.rank(0), 1, 3, carried ? op.e.out(0) : op.e.tmp("sum"));
        if (carried) return OnnxOp.one(y);
        return OnnxOp.one(op.e.op("cast", op.e.out(0), "x", y, "dtype", "int32"));
    }

    /**
     * The exact integer product of the centered A ({@code a}, float32-carried) and operand
     * {@code bIndex} minus the zero points of operand {@code bZpIndex}, as float32; K is split
     * where a float32 sum could reach 2^24.
     */
    static Value integerMatmul(OnnxOp op, Value a, int rankA, int bIndex, int bZpIndex, String outName) {
        int rankB = op.rank(bIndex);
        if (rankA < 2 || rankB != 2) throw op.fail("only A of rank >= 2 times a matrix B is supported, got ranks " + rankA + " and " + rankB);
        if (op.isConstLike(bIndex) && op.raw(bIndex).isConstant()) {
            long[] shape = op.raw(bIndex).tensorType().shape();
            int k = (int) shape[0];
            int n = (int) shape[1];
            long[] b = MilArgs.longs(op.raw(bIndex));
            long[] zp = zeroPoints(op, bZpIndex, n);
            List<int[]> chunks = chunks(k, n, (row, col) -> 255.0 * Math.abs(b[row * n + col] - zp[col]));
            List<Value> parts = new ArrayList<>();
            for (int c = 0; c < chunks.size(); c++) {
                int[] ch = chunks.get(c);
                Value w = centeredWeight(op, bIndex, b, zp, ch[0], ch[1], n, chunks.size() == 1 ? "b" : "b_" + c);
                Value ac = chunks.size() == 1 ? a : sliceLast(op, a, rankA, ch[0], ch[1], "a_" + c);
                parts.add(op.e.op("matmul", chunks.size() == 1 ? outName : op.e.tmp("part_" + c), "x", ac, "y", w,
                        "transpose_x", false, "transpose_y", false));
            }
            return sum(op, parts, outName);
        }
        if (op.present(bZpIndex) && !scalar(op, bZpIndex)) throw op.fail("a computed B needs a scalar b_zero_point, got " + op.type(bZpIndex));
        Value bv = minusZeroPoint(op, asFloat(op, bIndex, "b"), bZpIndex, "b");
        long[] shape = op.staticShape(bIndex);
        if (shape == null) throw op.needsStaticShape(bIndex, "a computed B needs a static shape (to split K exactly)");
        int k = (int) shape[0];
        int n = (int) shape[1];
        List<int[]> chunks = chunks(k, 1, (row, col) -> 255.0 * 255.0);
        List<Value> parts = new ArrayList<>();
        for (int c = 0; c < chunks.size(); c++) {
            int[] ch = chunks.get(c);
            Value ac = chunks.size() == 1 ? a : sliceLast(op, a, rankA, ch[0], ch[1], "a_" + c);
            Value bc = chunks.size() == 1 ? bv : op.e.op("slice_by_index", op.e.tmp("b_" + c), "x", bv,
                    "begin", new long[] {ch[0], 0}, "end", new long[] {ch[1], n}, "stride", new long[] {1, 1},
                    "begin_mask", new boolean[] {false, true}, "end_mask", new boolean[] {false, true});
            parts.add(op.e.op("matmul", chunks.size() == 1 ? outName : op.e.tmp("part_" + c), "x", ac, "y", bc,
                    "transpose_x", false, "transpose_y", false));
        }
        return sum(op, parts, outName);
    }

    /** Whether every user of {@code r} casts it to a float type (what the quantizer's rescale does). */
    private static boolean onlyCastToFloat(Value r) {
        if (r.graph().isOutput(r) || !r.hasUses()) return false;
        for (Value.Use u : r.uses()) {
            Node n = u.user();
            if (!n.op().equals("onnx.Cast")) return false;
            long to = n.attributes().getInt("to", -1);
            if (to != 1 && to != 10 && to != 11) return false; // float, float16, double
        }
        return true;
    }

    /** The zero points of operand {@code i} spread over {@code n} columns (absent = 0). */
    private static long[] zeroPoints(OnnxOp op, int i, int n) {
        long[] zp = new long[n];
        if (!op.present(i)) return zp;
        long[] c = op.constInts(i);
        if (c == null) throw op.needsConstant(i, "the zero point of a constant weight must be a constant");
        if (c.length == 1) Arrays.fill(zp, c[0]);
        else if (c.length == n) zp = c;
        else throw op.fail("the zero point has " + c.length + " values for " + n + " columns");
        return zp;
    }

    @FunctionalInterface
    private interface Bound {
        double at(int row, int col);
    }

    /**
     * Splits rows [0, k) into consecutive chunks in which every column's sum of bounds stays below
     * 2^24; a chunk is [from, to).
     */
    static List<int[]> chunks(int k, int n, Bound bound) {
        List<int[]> out = new ArrayList<>();
        double[] acc = new double[n];
        int from = 0;
        for (int row = 0; row < k; row++) {
            boolean fits = true;
            for (int col = 0; col < n && fits; col++) fits = acc[col] + bound.at(row, col) < EXACT;
            if (!fits && row > from) {
                out.add(new int[] {from, row});
                from = row;
                Arrays.fill(acc, 0);
            }
            for (int col = 0; col < n; col++) acc[col] += bound.at(row, col);
        }
        out.add(new int[] {from, k});
        return out;
    }

    /**
     * Rows [from, to) of the integer weight minus its zero points, as float32: a pare.affine_dequantize
     * with scale 1 over the weight's own codes, so the package keeps one byte per weight.
     */
    private static Value centeredWeight(OnnxOp op, int bIndex, long[] b, long[] zp, int from, int to, int n, String name) {
        DType d = op.raw(bIndex).tensorType().dtype();
        boolean perColumn = Arrays.stream(zp).anyMatch(z -> z != zp[0]);
        int zn = perColumn ? n : 1;
        long[] rows = Arrays.copyOfRange(b, from * n, to * n);
        TensorData data = codes(d, new long[] {to - from, n}, rows);
        float[] ones = new float[zn];
        Arrays.fill(ones, 1f);
        Value codes = op.e.constant(op.e.tmp(name + "_codes"), data);
        Value scale = op.e.constant(op.e.tmp(name + "_scale"), TensorData.ofFloats(new long[] {1, zn}, ones));
        Value zeroPoint = op.e.constant(op.e.tmp(name + "_zero_point"), codes(d, new long[] {1, zn}, Arrays.copyOf(zp, zn)));
        return op.e.pareOp("affine_dequantize", op.e.tmp(name), TensorType.of(DType.FLOAT32, new long[] {to - from, n}),
                codes, scale, zeroPoint);
    }

    /** int8 / uint8 codes (other integer types as int32, which pare.affine_dequantize takes too). */
    private static TensorData codes(DType d, long[] shape, long[] v) {
        if (d == DType.INT8 || d == DType.UINT8) {
            byte[] bytes = new byte[v.length];
            for (int i = 0; i < v.length; i++) bytes[i] = (byte) v[i];
            return TensorData.of(TensorType.of(d, shape), bytes);
        }
        return MilEmitter.int32(shape, v);
    }

    private static TensorData floats(long[] shape, long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putFloat(x);
        return TensorData.ofBuffer(TensorType.of(DType.FLOAT32, shape), b.flip());
    }

    /** x[..., from:to] along the last axis. */
    private static Value sliceLast(OnnxOp op, Value x, int rank, int from, int to, String name) {
        long[] begin = new long[rank];
        long[] end = new long[rank];
        boolean[] bm = new boolean[rank];
        boolean[] em = new boolean[rank];
        Arrays.fill(bm, true);
        Arrays.fill(em, true);
        begin[rank - 1] = from;
        end[rank - 1] = to;
        bm[rank - 1] = false;
        em[rank - 1] = false;
        long[] stride = new long[rank];
        Arrays.fill(stride, 1);
        return op.e.op("slice_by_index", op.e.tmp(name), "x", x, "begin", begin, "end", end, "stride", stride,
                "begin_mask", bm, "end_mask", em);
    }

    private static Value sum(OnnxOp op, List<Value> parts, String outName) {
        Value acc = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            acc = op.e.op("add", i == parts.size() - 1 ? outName : op.e.tmp("sum_" + i), "x", acc, "y", parts.get(i));
        }
        return acc;
    }

    // ---- ConvInteger --------------------------------------------------------------------------

    private static List<Value> convInteger(OnnxOp op) {
        int spatial = op.rank(1) - 2;
        if (spatial < 1 || spatial > 3) throw op.fail("MIL conv takes 1 to 3 spatial dimensions, got " + spatial);
        if (!op.raw(1).isConstant()) throw op.needsConstant(1, "the weight must be a constant");
        if (op.present(2) && !scalar(op, 2)) throw op.fail("x_zero_point must be a scalar, got " + op.type(2));
        // ONNX: conv(x - x_zp, w - w_zp) with zero padding, which MIL conv's padding is
        Value x = minusZeroPoint(op, asFloat(op, 0, "x"), 2, "x");
        long[] shape = op.raw(1).tensorType().shape();
        int m = (int) shape[0];
        int cin = (int) shape[1];
        int window = 1;
        for (int d = 2; d < shape.length; d++) window *= (int) shape[d];
        long[] w = MilArgs.longs(op.raw(1));
        long[] zp = zeroPoints(op, 3, m);
        long group = op.attrInt("group", 1);
        int per = window;
        // rows = input channels, columns = output channels: bound 255 * sum over the window of |w - zp|
        List<int[]> chunks = chunks(cin, m, (c, o) -> {
            double s = 0;
            for (int t = 0; t < per; t++) s += Math.abs(w[(o * cin + c) * per + t] - zp[o]);
            return 255.0 * s;
        });
        if (chunks.size() > 1 && group != 1) throw op.fail("a grouped ConvInteger whose sums may exceed 2^24 is not supported");
        boolean carried = carried(op, 0) || onlyCastToFloat(op.node.result(0));
        String outName = carried ? op.e.out(0) : op.e.tmp("sum");
        String padType = NnLowerings.padType(op);
        long[] pad = padType.equals("custom") ? NnLowerings.milPads(op.attrInts("pads"), spatial) : new long[2 * spatial];
        int rankX = op.rank(0);
        List<Value> parts = new ArrayList<>();
        for (int c = 0; c < chunks.size(); c++) {
            int[] ch = chunks.get(c);
            String name = chunks.size() == 1 ? "w" : "w_" + c;
            Value wc = centeredKernel(op, w, zp, shape, ch[0], ch[1], name);
            Value xc = x;
            if (chunks.size() > 1) {
                long[] begin = new long[rankX];
                long[] end = new long[rankX];
                boolean[] mask = new boolean[rankX];
                Arrays.fill(mask, true);
                begin[1] = ch[0];
                end[1] = ch[1];
                mask[1] = false;
                long[] stride = new long[rankX];
                Arrays.fill(stride, 1);
                xc = op.e.op("slice_by_index", op.e.tmp("x_" + c), "x", x, "begin", begin, "end", end, "stride", stride,
                        "begin_mask", mask, "end_mask", mask.clone());
            }
            parts.add(op.e.op("conv", chunks.size() == 1 ? outName : op.e.tmp("part_" + c), "x", xc, "weight", wc,
                    "strides", NnLowerings.orOnes(op.attrInts("strides"), spatial), "pad_type", padType, "pad", pad,
                    "dilations", NnLowerings.orOnes(op.attrInts("dilations"), spatial), "groups", group));
        }
        Value y = sum(op, parts, outName);
        if (carried) return OnnxOp.one(y);
        return OnnxOp.one(op.e.op("cast", op.e.out(0), "x", y, "dtype", "int32"));
    }

    /** Input channels [from, to) of the kernel minus its per-output-channel zero points, as float32 (see centeredWeight). */
    private static Value centeredKernel(OnnxOp op, long[] w, long[] zp, long[] shape, int from, int to, String name) {
        DType d = op.raw(1).tensorType().dtype();
        int m = (int) shape[0];
        int cin = (int) shape[1];
        int window = (int) (Arrays.stream(shape).reduce(1, (p, q) -> p * q) / ((long) m * cin));
        long[] part = new long[m * (to - from) * window];
        int k = 0;
        for (int o = 0; o < m; o++) {
            for (int c = from; c < to; c++) {
                System.arraycopy(w, (o * cin + c) * window, part, k, window);
                k += window;
            }
        }
        long[] partShape = shape.clone();
        partShape[1] = to - from;
        boolean perChannel = Arrays.stream(zp).anyMatch(z -> z != zp[0]);
        int zn = perChannel ? m : 1;
        long[] scaleShape = new long[shape.length];
        Arrays.fill(scaleShape, 1);
        scaleShape[0] = zn;
        float[] ones = new float[zn];
        Arrays.fill(ones, 1f);
        Value codes = op.e.constant(op.e.tmp(name + "_codes"), codes(d, partShape, part));
        Value scale = op.e.constant(op.e.tmp(name + "_scale"), TensorData.ofFloats(scaleShape, ones));
        Value zeroPoint = op.e.constant(op.e.tmp(name + "_zero_point"), codes(d, scaleShape, Arrays.copyOf(zp, zn)));
        return op.e.pareOp("affine_dequantize", op.e.tmp(name), TensorType.of(DType.FLOAT32, partShape), codes, scale, zeroPoint);
    }

    // ---- QuantizeLinear / DequantizeLinear ----------------------------------------------------

    /** (x - zp) * scale; a constant x stays one byte per element (pare.affine_dequantize). */
    private static List<Value> dequantize(OnnxOp op) {
        Value raw = op.raw(0);
        if (op.hasAttr("block_size") && op.attrInt("block_size", 0) != 0) throw op.fail("blocked dequantization is not supported");
        int rank = op.rank(0);
        long axis = scalar(op, 1) ? -1 : op.axis(op.attrInt("axis", 1), rank);
        if (raw.isConstant() && raw.tensorType().dtype().isInteger() && op.raw(1).isConstant()
                && (!op.present(2) || op.raw(2).isConstant())) {
            long[] shape = raw.tensorType().shape();
            long[] scaleShape = new long[rank];
            Arrays.fill(scaleShape, 1);
            if (axis >= 0) scaleShape[(int) axis] = shape[(int) axis];
            double[] s = op.requireConstFloats(1, "scale");
            float[] sf = new float[s.length];
            for (int i = 0; i < s.length; i++) sf[i] = (float) s[i];
            List<Value> operands = new ArrayList<>();
            operands.add(raw);
            operands.add(op.e.constant(op.e.tmp("scale"), TensorData.ofFloats(scaleShape, sf)));
            if (op.present(2)) operands.add(op.e.constant(op.e.tmp("zero_point"), codes(raw.tensorType().dtype(), scaleShape, op.constInts(2))));
            if (op.type(1).dtype() != DType.FLOAT32) throw op.fail("only float32 scales are supported, got " + op.type(1).dtype().shortName());
            return OnnxOp.one(op.e.pareOp("affine_dequantize", op.e.out(0), TensorType.of(DType.FLOAT32, shape), operands.toArray(Value[]::new)));
        }
        Value x = minusZeroPoint(op, asFloat(op, 0, "x"), 2, "x");
        Value scale = broadcastAlong(op, op.in(1), axis, rank, "scale");
        return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", x, "y", scale));
    }

    /** saturate(round(x / scale) + zp), rounding half to even; the codes are carried in float32. */
    private static List<Value> quantize(OnnxOp op) {
        Value x = op.in(0);
        if (x.tensorType().dtype() != DType.FLOAT32) throw op.fail("x must be float32, got " + x.tensorType().dtype().shortName());
        if (op.hasAttr("block_size") && op.attrInt("block_size", 0) != 0) throw op.fail("blocked quantization is not supported");
        if (op.attrInt("saturate", 1) == 0) throw op.fail("saturate=0 is not supported");
        DType to = op.present(2) ? op.raw(2).tensorType().dtype() : DType.fromOnnx((int) op.attrInt("output_dtype", 2)).orElse(DType.UINT8);
        if (to != DType.UINT8 && to != DType.INT8) throw op.fail("only uint8 and int8 outputs are supported, got " + to.shortName());
        int rank = op.rank(0);
        long axis = scalar(op, 1) ? -1 : op.axis(op.attrInt("axis", 1), rank);
        Value scale = broadcastAlong(op, op.in(1), axis, rank, "scale");
        Value q = op.e.op("real_div", op.e.tmp("scaled"), "x", x, "y", scale);
        q = op.e.op("round", op.e.tmp("rounded"), "x", q);
        if (op.present(2)) q = op.e.op("add", op.e.tmp("shifted"), "x", q, "y", broadcastAlong(op, asFloat(op, 2, "zp"), axis, rank, "zero_point"));
        double lo = to == DType.UINT8 ? 0 : -128;
        double hi = to == DType.UINT8 ? 255 : 127;
        q = op.e.op("clip", carried(op, 0) ? op.e.out(0) : op.e.tmp("y"), "x", q, "alpha", lo, "beta", hi);
        return OnnxOp.one(honest(op, 0, q, to));
    }

    /** A per-axis parameter reshaped to broadcast along {@code axis} (a scalar as it is). */
    private static Value broadcastAlong(OnnxOp op, Value p, long axis, int rank, String name) {
        if (axis < 0) return p;
        long[] shape = new long[rank];
        Arrays.fill(shape, 1);
        List<Dim> dims = p.tensorType().dims();
        shape[(int) axis] = dims != null && dims.size() == 1 && dims.get(0) instanceof Dim.Fixed f ? f.size() : -1;
        return op.e.op("reshape", op.e.tmp(name + "_along_axis"), "x", p, "shape", shape);
    }

    /** Whether operand {@code i} holds one value (a per-tensor parameter). */
    static boolean scalar(OnnxOp op, int i) {
        TensorType t = op.type(i);
        return t.isStatic() && t.elementCount() == 1;
    }

    private static long[] allAxes(int rank) {
        long[] axes = new long[rank];
        for (int i = 0; i < rank; i++) axes[i] = i;
        return axes;
    }
}
