package dev.pare.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Evaluates Core ML's compile-time {@code mil.constexpr_*} ops (ir/MIL_DIALECT.md) on constant
 * parameters, as coremltools' decompress functions do (ir/MIL_DIALECT.md, Constexpr ops): iOS16
 * {@code constexpr_affine_dequantize}, {@code constexpr_cast}, both forms of
 * {@code constexpr_lut_to_dense} and {@code constexpr_sparse_to_dense}, and iOS18
 * {@code constexpr_blockwise_shift_scale}, {@code constexpr_sparse_blockwise_shift_scale},
 * {@code constexpr_lut_to_sparse} (the last two have two results: mask, values).
 *
 * <p>Rounding follows coremltools: affine_dequantize computes {@code scale * (q - zp)} in float32
 * and rounds once to the scale's type; blockwise_shift_scale converts data to the scale's type,
 * subtracts the offset and multiplies in that type (fp16 rounding after each step).
 * Errors are {@link IllegalArgumentException}s naming the op, node and parameter.
 */
public final class MilConstexprEvaluator {

    public static final String AFFINE_DEQUANTIZE = "mil.constexpr_affine_dequantize";
    public static final String CAST = "mil.constexpr_cast";
    public static final String LUT_TO_DENSE = "mil.constexpr_lut_to_dense";
    public static final String SPARSE_TO_DENSE = "mil.constexpr_sparse_to_dense";
    public static final String BLOCKWISE_SHIFT_SCALE = "mil.constexpr_blockwise_shift_scale";
    public static final String SPARSE_BLOCKWISE_SHIFT_SCALE = "mil.constexpr_sparse_blockwise_shift_scale";
    public static final String LUT_TO_SPARSE = "mil.constexpr_lut_to_sparse";

    private static final Set<String> OPS = Set.of(AFFINE_DEQUANTIZE, CAST, LUT_TO_DENSE, SPARSE_TO_DENSE,
            BLOCKWISE_SHIFT_SCALE, SPARSE_BLOCKWISE_SHIFT_SCALE, LUT_TO_SPARSE);

    private static final Set<DType> FLOATS = EnumSet.of(DType.FLOAT16, DType.FLOAT32);
    private static final Set<DType> QUANT = EnumSet.of(DType.INT4, DType.UINT4, DType.INT8, DType.UINT8, DType.FLOAT16, DType.FLOAT32);
    private static final Set<DType> INDICES = LutBits.indexTypes();
    private static final Set<DType> LUT_VALUES = EnumSet.of(DType.INT8, DType.UINT8, DType.FLOAT16, DType.FLOAT32);

    private MilConstexprEvaluator() {}

    /** Whether {@code op} is one of the constexpr ops evaluated here. */
    public static boolean isConstexpr(String op) {
        return OPS.contains(op);
    }

    /** Number of results {@code op} has (2 for the sparse-to-sparse ops). */
    public static int resultCount(String op) {
        return op.equals(SPARSE_BLOCKWISE_SHIFT_SCALE) || op.equals(LUT_TO_SPARSE) ? 2 : 1;
    }

    /**
     * Evaluates {@code node}, looking its operands' values up with {@code valueOf} (which may
     * return null for a value that has none; that is reported as not constant).
     */
    public static List<TensorData> evaluate(Node node, Function<Value, TensorData> valueOf) {
        List<String> names = MilParams.names(node);
        if (names.size() != node.operands().size()) {
            throw new IllegalArgumentException(node.op() + " '" + node.name() + "': attribute 'params' names " + names.size()
                    + " parameters for " + node.operands().size() + " operands");
        }
        Map<String, TensorData> params = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Value v = node.operand(i);
            TensorData d = v.isAbsent() ? null : valueOf.apply(v);
            if (d == null) {
                throw new IllegalArgumentException(node.op() + " '" + node.name() + "': parameter '" + names.get(i) + "' (%" + v.name() + ") is not a constant");
            }
            if (params.put(names.get(i), d) != null) {
                throw new IllegalArgumentException(node.op() + " '" + node.name() + "': parameter '" + names.get(i) + "' is given twice");
            }
        }
        return evaluate(node.op(), node.name(), params);
    }

    /** Evaluates {@code op} (named {@code nodeName} in errors) on its parameters by name. */
    public static List<TensorData> evaluate(String op, String nodeName, Map<String, TensorData> params) {
        Call c = new Call(op, nodeName, params);
        switch (op) {
            case AFFINE_DEQUANTIZE: return List.of(affineDequantize(c));
            case CAST: return List.of(cast(c));
            case LUT_TO_DENSE: return List.of(params.containsKey("shape") ? lutToDenseIos16(c) : lutToDense(c));
            case SPARSE_TO_DENSE: return List.of(params.containsKey("shape") ? sparseToDenseIos16(c) : sparseToDense(c));
            case BLOCKWISE_SHIFT_SCALE: return List.of(blockwiseShiftScale(c));
            case SPARSE_BLOCKWISE_SHIFT_SCALE: return sparseBlockwiseShiftScale(c);
            case LUT_TO_SPARSE: return lutToSparse(c);
            default: throw new IllegalArgumentException(op + " '" + nodeName + "': not a constexpr op this evaluator knows");
        }
    }

    // ---- ops -----------------------------------------------------------------------------------

    private static TensorData affineDequantize(Call c) {
        c.only("quantized_data", "zero_point", "scale", "axis");
        TensorData q = c.required("quantized_data", EnumSet.of(DType.INT8, DType.UINT8));
        TensorData zp = c.required("zero_point", EnumSet.of(DType.INT8, DType.UINT8, DType.FLOAT32));
        TensorData scale = c.required("scale", FLOATS);
        long[] shape = q.type().shape();
        int axis = c.axis("axis", c.scalarInt("axis"), shape.length);
        long along = shape.length == 0 ? 1 : shape[axis];
        c.scalarOrVector("scale", scale, along);
        c.scalarOrVector("zero_point", zp, along);
        long[] strides = strides(shape);
        double[] qv = decode(q);
        double[] sv = decode(scale);
        double[] zv = decode(zp);
        double[] out = new double[qv.length];
        for (int i = 0; i < out.length; i++) {
            int j = shape.length == 0 ? 0 : (int) ((i / strides[axis]) % shape[axis]);
            float s = (float) sv[sv.length == 1 ? 0 : j];
            float z = (float) zv[zv.length == 1 ? 0 : j];
            out[i] = round(scale.dtype(), s * ((float) qv[i] - z));
        }
        return encode(scale.dtype(), shape, out);
    }

    private static TensorData cast(Call c) {
        c.only("source_val", "output_dtype");
        TensorData src = c.required("source_val", EnumSet.of(DType.FLOAT16));
        String to = c.string("output_dtype");
        if (!to.equals("fp32")) throw c.fail("output_dtype", "must be \"fp32\", got \"" + to + "\"");
        return encode(DType.FLOAT32, src.type().shape(), decode(src));
    }

    private static TensorData lutToDenseIos16(Call c) {
        c.only("indices", "lut", "shape");
        TensorData indices = c.required("indices", EnumSet.of(DType.UINT8));
        TensorData lut = c.required("lut", LUT_VALUES);
        long[] shape = c.shape("shape");
        c.rank("indices", indices, 1);
        c.rank("lut", lut, 1);
        long entries = lut.elementCount();
        int bits = Long.numberOfTrailingZeros(entries);
        if (Long.bitCount(entries) != 1 || !(bits == 1 || bits == 2 || bits == 4 || bits == 6 || bits == 8)) {
            throw c.fail("lut", "must have 2, 4, 16, 64 or 256 entries, got " + lut.type());
        }
        long n = product(shape);
        long m = (n * bits + 7) / 8;
        if (indices.elementCount() != m) {
            throw c.fail("indices", "must hold " + m + " bytes for " + n + " " + bits + "-bit indices, got " + indices.type());
        }
        ByteBuffer ib = indices.bytes();
        double[] lv = decode(lut);
        double[] out = new double[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) out[i] = lv[(int) packedBits(ib, bits, i)];
        return encode(lut.dtype(), shape, out);
    }

    private static TensorData lutToDense(Call c) {
        c.only("indices", "lut", "vector_axis");
        TensorData indices = c.required("indices", INDICES);
        double[] iv = decode(indices);
        return lutGather(c, "indices", indices.dtype(), indices.type().shape(), iv);
    }

    /** The iOS18 LUT lookup on unpacked indices of shape {@code iShape}. */
    private static TensorData lutGather(Call c, String indicesParam, DType indexType, long[] iShape, double[] iv) {
        TensorData lut = c.required("lut", LUT_VALUES);
        long[] lShape = lut.type().shape();
        int r = iShape.length;
        if (r < 1) throw c.fail(indicesParam, "must have rank >= 1");
        if (lShape.length != r + 2) throw c.fail("lut", lut.type() + " must have rank " + (r + 2) + " (indices rank + 2)");
        if (lShape[r] != 1L << indexType.bits()) {
            throw c.fail("lut", lut.type() + " must hold " + (1L << indexType.bits()) + " entries for " + indexType.shortName() + " indices");
        }
        int vs = Math.toIntExact(lShape[r + 1]);
        if (vs < 1) throw c.fail("lut", lut.type() + " has an empty vector size");
        int va = -1;
        if (c.has("vector_axis")) va = c.axis("vector_axis", c.scalarInt("vector_axis"), r);
        if (vs > 1 && va < 0) throw c.fail("vector_axis", "is required for a vector lut " + lut.type());
        long[] groupLen = new long[r];
        for (int d = 0; d < r; d++) {
            if (lShape[d] < 1 || iShape[d] % lShape[d] != 0) {
                throw c.fail("lut", lShape[d] + " luts do not divide axis " + d + " of " + indicesParam + " " + Elements.shape(iShape));
            }
            groupLen[d] = Math.max(1, iShape[d] / lShape[d]);
        }
        long[] outShape = iShape.clone();
        if (vs > 1) outShape[va] *= vs;
        long[] iStrides = strides(iShape);
        long[] lStrides = strides(lShape);
        double[] lv = decode(lut);
        double[] out = new double[Math.toIntExact(product(outShape))];
        int[] o = new int[r];
        for (int e = 0; e < out.length; e++) {
            long p = 0;
            long l = 0;
            int comp = 0;
            for (int d = 0; d < r; d++) {
                long id = o[d];
                if (d == va && vs > 1) {
                    comp = (int) (id % vs);
                    id /= vs;
                }
                p += id * iStrides[d];
                l += (id / groupLen[d]) * lStrides[d];
            }
            out[e] = lv[(int) (l + (long) iv[(int) p] * lStrides[r] + comp)];
            increment(o, outShape);
        }
        return encode(lut.dtype(), outShape, out);
    }

    private static TensorData sparseToDenseIos16(Call c) {
        c.only("nonzero_data", "mask", "shape");
        TensorData values = c.required("nonzero_data", LUT_VALUES);
        TensorData mask = c.required("mask", EnumSet.of(DType.UINT8));
        long[] shape = c.shape("shape");
        c.rank("nonzero_data", values, 1);
        c.rank("mask", mask, 1);
        long n = product(shape);
        if (mask.elementCount() != (n + 7) / 8) {
            throw c.fail("mask", "must hold " + (n + 7) / 8 + " bytes for " + n + " elements, got " + mask.type());
        }
        ByteBuffer mb = mask.bytes();
        for (long i = n; i < mask.elementCount() * 8; i++) {
            if (packedBits(mb, 1, i) != 0) throw c.fail("mask", "has a set padding bit " + i + " beyond " + n + " elements");
        }
        return scatter(c, values, mb, shape);
    }

    private static TensorData sparseToDense(Call c) {
        c.only("nonzero_data", "mask");
        TensorData values = c.required("nonzero_data", QUANT);
        TensorData mask = c.required("mask", EnumSet.of(DType.UINT1));
        c.rank("nonzero_data", values, 1);
        return scatter(c, values, mask.bytes(), mask.type().shape());
    }

    /** Kept values (1-D, in order) at the set bits of the packed mask; zeros elsewhere. */
    private static TensorData scatter(Call c, TensorData values, ByteBuffer mask, long[] shape) {
        int n = Math.toIntExact(product(shape));
        long kept = popcount(mask, n);
        if (kept != values.elementCount()) {
            throw c.fail("nonzero_data", values.type() + " must hold " + kept + " values, the mask's set bits");
        }
        double[] vv = decode(values);
        double[] out = new double[n];
        int t = 0;
        for (int i = 0; i < n; i++) if (packedBits(mask, 1, i) != 0) out[i] = vv[t++];
        return encode(values.dtype(), shape, out);
    }

    private static TensorData blockwiseShiftScale(Call c) {
        c.only("data", "scale", "offset");
        TensorData data = c.required("data", QUANT);
        return shiftScale(c, "data", data.dtype(), data.type().shape(), decode(data), null);
    }

    private static List<TensorData> sparseBlockwiseShiftScale(Call c) {
        c.only("data_mask", "nonzero_data", "scale", "offset");
        TensorData mask = c.required("data_mask", EnumSet.of(DType.UINT1));
        TensorData values = c.required("nonzero_data", QUANT);
        c.rank("nonzero_data", values, 1);
        long[] shape = mask.type().shape();
        ByteBuffer mb = mask.bytes();
        int n = Math.toIntExact(product(shape));
        if (popcount(mb, n) != values.elementCount()) {
            throw c.fail("nonzero_data", values.type() + " must hold " + popcount(mb, n) + " values, the mask's set bits");
        }
        boolean[] keep = new boolean[n];
        double[] dense = new double[n];
        double[] vv = decode(values);
        int t = 0;
        for (int i = 0; i < n; i++) {
            keep[i] = packedBits(mb, 1, i) != 0;
            if (keep[i]) dense[i] = vv[t++];
        }
        TensorData full = shiftScale(c, "data_mask", values.dtype(), shape, dense, keep);
        return List.of(mask, full);
    }

    /**
     * {@code scale * (data - offset)} per block, in the scale's type; with {@code keep} only kept
     * elements are returned (1-D, row-major), else the full tensor.
     */
    private static TensorData shiftScale(Call c, String dataParam, DType dataType, long[] shape, double[] data, boolean[] keep) {
        TensorData scale = c.required("scale", FLOATS);
        TensorData offset = c.optional("offset", QUANT);
        long[] sShape = scale.type().shape();
        if (shape.length < 1) throw c.fail(dataParam, "must have rank >= 1");
        if (sShape.length != shape.length) {
            throw c.fail("scale", scale.type() + " must have the rank of " + dataParam + " " + Elements.shape(shape));
        }
        long[] block = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            if (sShape[d] < 1 || shape[d] % sShape[d] != 0) {
                throw c.fail("scale", sShape[d] + " scales do not divide axis " + d + " of " + dataParam + " " + Elements.shape(shape));
            }
            block[d] = shape[d] / sShape[d];
        }
        if (offset != null) {
            if (!Arrays.equals(offset.type().shape(), sShape)) throw c.fail("offset", offset.type() + " must have the scale's shape " + scale.type());
            if (!FLOATS.contains(offset.dtype()) && offset.dtype() != dataType) {
                throw c.fail("offset", offset.type() + " must be a float type or the data's type " + dataType.shortName());
            }
        }
        DType out = scale.dtype();
        // coremltools computes in the scale's type, widening to fp32 only for an fp32 offset
        DType work = out == DType.FLOAT32 || (offset != null && offset.dtype() == DType.FLOAT32) ? DType.FLOAT32 : DType.FLOAT16;
        double[] sv = decode(scale);
        double[] ov = offset == null ? null : decode(offset);
        long[] sStrides = strides(sShape);
        int kept = 0;
        if (keep != null) for (boolean k : keep) if (k) kept++;
        double[] result = new double[keep == null ? data.length : kept];
        int[] idx = new int[shape.length];
        int t = 0;
        for (int e = 0; e < data.length; e++) {
            if (keep == null || keep[e]) {
                int j = 0;
                for (int d = 0; d < shape.length; d++) j += (int) ((idx[d] / block[d]) * sStrides[d]);
                float x = (float) round(out, (float) data[e]);
                if (ov != null) x = (float) round(work, x - (float) ov[j]);
                result[t++] = round(out, (float) round(work, (float) sv[j] * x));
            }
            increment(idx, shape);
        }
        return encode(out, keep == null ? shape : new long[] {kept}, result);
    }

    private static List<TensorData> lutToSparse(Call c) {
        c.only("indices_mask", "indices_nonzero_data", "lut", "vector_axis");
        TensorData mask = c.required("indices_mask", EnumSet.of(DType.UINT1));
        TensorData indices = c.required("indices_nonzero_data", INDICES);
        c.rank("indices_nonzero_data", indices, 1);
        long[] shape = mask.type().shape();
        ByteBuffer mb = mask.bytes();
        int n = Math.toIntExact(product(shape));
        if (popcount(mb, n) != indices.elementCount()) {
            throw c.fail("indices_nonzero_data", indices.type() + " must hold " + popcount(mb, n) + " indices, the mask's set bits");
        }
        double[] iv = decode(indices);
        double[] dense = new double[n];
        int t = 0;
        for (int i = 0; i < n; i++) if (packedBits(mb, 1, i) != 0) dense[i] = iv[t++];
        TensorData values = lutGather(c, "indices_mask", indices.dtype(), shape, dense);
        long[] outShape = values.type().shape();
        // the result mask is the input mask repeated along vector_axis, like the values
        long[] mShape = shape;
        int va = c.has("vector_axis") ? c.axis("vector_axis", c.scalarInt("vector_axis"), shape.length) : -1;
        int vs = Math.toIntExact(outShape.length == 0 ? 1 : product(outShape) / Math.max(1, n));
        boolean[] outKeep = new boolean[Math.toIntExact(product(outShape))];
        int[] o = new int[outShape.length];
        long[] mStrides = strides(mShape);
        for (int e = 0; e < outKeep.length; e++) {
            long p = 0;
            for (int d = 0; d < o.length; d++) p += (d == va ? o[d] / vs : o[d]) * mStrides[d];
            outKeep[e] = packedBits(mb, 1, p) != 0;
            increment(o, outShape);
        }
        double[] vv = decode(values);
        int kept = 0;
        for (boolean k : outKeep) if (k) kept++;
        double[] nonzero = new double[kept];
        int k = 0;
        for (int e = 0; e < outKeep.length; e++) if (outKeep[e]) nonzero[k++] = vv[e];
        return List.of(mask(outShape, outKeep), encode(values.dtype(), new long[] {kept}, nonzero));
    }

    // ---- parameter access --------------------------------------------------------------------

    /** One evaluation: the op, node name and parameters, for lookups and error messages. */
    private record Call(String op, String node, Map<String, TensorData> params) {

        IllegalArgumentException fail(String param, String message) {
            return new IllegalArgumentException(op + " '" + node + "': parameter '" + param + "' " + message);
        }

        void only(String... allowed) {
            List<String> ok = List.of(allowed);
            for (String p : params.keySet()) {
                if (!ok.contains(p)) throw new IllegalArgumentException(op + " '" + node + "': unexpected parameter '" + p + "' (expected " + String.join(", ", ok) + ")");
            }
        }

        boolean has(String param) { return params.get(param) != null; }

        TensorData required(String param, Set<DType> types) {
            TensorData d = params.get(param);
            if (d == null) throw new IllegalArgumentException(op + " '" + node + "': missing parameter '" + param + "'");
            return typed(param, d, types);
        }

        TensorData optional(String param, Set<DType> types) {
            TensorData d = params.get(param);
            return d == null ? null : typed(param, d, types);
        }

        private TensorData typed(String param, TensorData d, Set<DType> types) {
            if (!types.contains(d.dtype())) {
                StringBuilder sb = new StringBuilder();
                for (DType t : types) sb.append(sb.length() > 0 ? ", " : "").append(t.shortName());
                throw fail(param, "has type " + d.type() + "; expected one of " + sb);
            }
            return d;
        }

        void rank(String param, TensorData d, int rank) {
            if (d.type().rank() != rank) throw fail(param, d.type() + " must have rank " + rank);
        }

        void scalarOrVector(String param, TensorData d, long length) {
            int r = d.type().rank();
            if (r > 1 || (r == 1 && d.elementCount() != length && d.elementCount() != 1)) {
                throw fail(param, d.type() + " must be a scalar or a vector of " + length + " (the axis length)");
            }
        }

        long scalarInt(String param) {
            TensorData d = required(param, EnumSet.of(DType.INT32, DType.INT64, DType.INT16, DType.INT8, DType.UINT8, DType.UINT16, DType.UINT32));
            if (d.elementCount() != 1) throw fail(param, d.type() + " must be a scalar");
            return (long) decode(d)[0];
        }

        int axis(String param, long axis, int rank) {
            if (axis < -rank || axis >= Math.max(rank, 1)) throw fail(param, "value " + axis + " is out of range for rank " + rank);
            return (int) (axis < 0 ? axis + rank : axis);
        }

        long[] shape(String param) {
            TensorData d = required(param, EnumSet.of(DType.UINT32, DType.INT32, DType.INT64, DType.UINT64));
            rank(param, d, 1);
            double[] v = decode(d);
            long[] s = new long[v.length];
            for (int i = 0; i < v.length; i++) {
                if (v[i] < 0) throw fail(param, "has a negative dimension " + (long) v[i]);
                s[i] = (long) v[i];
            }
            return s;
        }

        String string(String param) {
            TensorData d = params.get(param);
            if (d == null) throw new IllegalArgumentException(op + " '" + node + "': missing parameter '" + param + "'");
            if (!(d instanceof StringData) || ((StringData) d).size() != 1) throw fail(param, "must be a string scalar, got " + d.type());
            return new String(((StringData) d).element(0), StandardCharsets.UTF_8);
        }
    }

    // ---- element access ------------------------------------------------------------------------

    /** Every element as a double (exact for all integer and float types used here). */
    public static double[] decode(TensorData t) {
        if (t instanceof StringData) throw new IllegalArgumentException("expected a numeric tensor, got " + t.type());
        ByteBuffer b = t.bytes();
        DType dt = t.dtype();
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        switch (dt) {
            case FLOAT32: for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4); break;
            case FLOAT16: for (int i = 0; i < n; i++) out[i] = Float16.toFloat(b.getShort(i * 2)); break;
            case FLOAT64: for (int i = 0; i < n; i++) out[i] = b.getDouble(i * 8); break;
            case INT8: for (int i = 0; i < n; i++) out[i] = b.get(i); break;
            case UINT8: case BOOL: for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xFF; break;
            case INT16: for (int i = 0; i < n; i++) out[i] = b.getShort(i * 2); break;
            case UINT16: for (int i = 0; i < n; i++) out[i] = b.getShort(i * 2) & 0xFFFF; break;
            case INT32: for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4); break;
            case UINT32: for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4) & 0xFFFFFFFFL; break;
            case INT64: case UINT64: for (int i = 0; i < n; i++) out[i] = b.getLong(i * 8); break;
            default:
                if (!dt.isSubByte()) throw new IllegalArgumentException("no numeric view of " + t.type());
                for (int i = 0; i < n; i++) out[i] = SubByte.get(b, dt, i);
        }
        return out;
    }

    /** A dense tensor of {@code dtype}; float values must already be rounded to it. */
    public static TensorData encode(DType dtype, long[] shape, double[] v) {
        TensorType type = TensorType.of(dtype, shape);
        if (dtype.isSubByte()) {
            long[] l = new long[v.length];
            for (int i = 0; i < v.length; i++) l[i] = (long) v[i];
            return TensorData.of(type, SubByte.pack(dtype, l));
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(dtype.byteSize(v.length))).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32: for (double x : v) b.putFloat((float) x); break;
            case FLOAT16: for (double x : v) b.putShort(Float16.fromFloat((float) x)); break;
            case INT8: case UINT8: for (double x : v) b.put((byte) (long) x); break;
            case INT32: case UINT32: for (double x : v) b.putInt((int) (long) x); break;
            default: throw new IllegalArgumentException("cannot build a " + dtype.shortName() + " result");
        }
        return TensorData.ofBuffer(type, b.flip());
    }

    private static TensorData mask(long[] shape, boolean[] keep) {
        return Elements.ofMask(shape, keep);
    }

    /** {@code f} rounded to {@code dtype} (fp16: nearest-even; fp32: unchanged). */
    private static double round(DType dtype, float f) {
        return dtype == DType.FLOAT16 ? Float16.toFloat(Float16.fromFloat(f)) : f;
    }

    /** Element {@code i} of a bit stream of {@code bits}-bit fields packed LSB-first. */
    private static long packedBits(ByteBuffer b, int bits, long i) {
        long v = 0;
        long pos = i * bits;
        for (int k = 0; k < bits; k++, pos++) v |= (long) ((b.get((int) (pos >>> 3)) >>> (pos & 7)) & 1) << k;
        return v;
    }

    private static long popcount(ByteBuffer mask, int n) {
        long kept = 0;
        for (int i = 0; i < n; i++) kept += packedBits(mask, 1, i);
        return kept;
    }

    private static void increment(int[] idx, long[] shape) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private static long[] strides(long[] shape) {
        return Elements.strides(shape);
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }
}
