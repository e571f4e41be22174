package dev.pare.ir;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates the {@code pare} dialect's weight ops ({@link PareOp}, ir/PARE_DIALECT.md) on constant
 * operands, written from the contract alone (it shares no code with the compression math in the
 * passes plugin), so {@code decompress_weights}, the MIL interpreter, tests and writers without a
 * native op all expand a weight the same way.
 * Errors are {@link IllegalArgumentException}s with a one-line message naming the operand.
 */
public final class PareDialectEvaluator {

    public static final String AFFINE_DEQUANTIZE = "pare.affine_dequantize";
    public static final String LUT_TO_DENSE = "pare.lut_to_dense";
    public static final String SPARSE_TO_DENSE = "pare.sparse_to_dense";

    private PareDialectEvaluator() {}

    /** Whether {@code op} is one of the ops evaluated here (the weight ops of {@link PareOp}). */
    public static boolean isPareWeightOp(String op) {
        return PareOp.isWeightOp(op);
    }

    /** Evaluates one op; {@code operands} may hold null for an absent optional operand. */
    public static TensorData evaluate(String op, List<TensorData> operands, Attributes attributes) {
        switch (op) {
            case AFFINE_DEQUANTIZE:
                if (operands.size() < 2 || operands.size() > 3) throw new IllegalArgumentException(op + " takes 2 or 3 operands, got " + operands.size());
                return affineDequantize(operands.get(0), operands.get(1), operands.size() == 3 ? operands.get(2) : null,
                        blockSizes(attributes));
            case LUT_TO_DENSE: {
                if (operands.size() != 2) throw new IllegalArgumentException(op + " takes 2 operands, got " + operands.size());
                Attribute va = attributes.get("vector_axis").orElse(null);
                Integer axis = va instanceof Attribute.IntAttr ? (int) ((Attribute.IntAttr) va).value() : null;
                return lutToDense(operands.get(0), operands.get(1), axis);
            }
            case SPARSE_TO_DENSE:
                if (operands.size() != 2) throw new IllegalArgumentException(op + " takes 2 operands, got " + operands.size());
                return sparseToDense(operands.get(0), operands.get(1));
            default:
                throw new IllegalArgumentException("not a pare weight op: " + op);
        }
    }

    /** {@code float32((data - zp) * scale)} per block, rounded to f16 when the scale is f16. */
    public static TensorData affineDequantize(TensorData data, TensorData scale, TensorData zeroPoint) {
        return affineDequantize(data, scale, zeroPoint, null);
    }

    /** The optional {@code block_sizes} attribute: block lengths per axis when ceil(D/S) would not give them. */
    static long[] blockSizes(Attributes attributes) {
        Attribute a = attributes.get("block_sizes").orElse(null);
        if (a == null) return null;
        if (!(a instanceof Attribute.IntsAttr)) throw new IllegalArgumentException("affine_dequantize: block_sizes must be a list of ints");
        return ((Attribute.IntsAttr) a).values().stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * As above with explicit block lengths per axis ({@code null}: ceil(D/S)); a partial last block
     * needs them when ceil(D/S) differs, e.g. 40 elements in blocks of 16 (3 scales, ceil = 14).
     */
    public static TensorData affineDequantize(TensorData data, TensorData scale, TensorData zeroPoint, long[] blockSizes) {
        long[] shape = data.type().shape();
        long[] scaleShape = scale.type().shape();
        DType out = scale.dtype();
        if (!Elements.isFloatWeight(out)) throw new IllegalArgumentException("affine_dequantize: scale must be f32 or f16, got " + scale.type());
        if (scaleShape.length != shape.length) {
            throw new IllegalArgumentException("affine_dequantize: scale " + scale.type() + " must have the rank of data " + data.type());
        }
        long[] block = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            long s = scaleShape[d];
            if (s < 1 || (shape[d] > 0 && s > shape[d])) {
                throw new IllegalArgumentException("affine_dequantize: scale " + scale.type() + " does not fit data " + data.type() + " on axis " + d);
            }
            if (blockSizes != null && blockSizes.length != shape.length) {
                throw new IllegalArgumentException("affine_dequantize: block_sizes has " + blockSizes.length + " entries for rank " + shape.length);
            }
            block[d] = blockSizes != null ? blockSizes[d] : shape[d] == 0 ? 1 : (shape[d] + s - 1) / s;
            if (block[d] < 1 || (shape[d] > 0 && (shape[d] + block[d] - 1) / block[d] != s)) {
                throw new IllegalArgumentException("affine_dequantize: " + s + " scales cannot split axis " + d + " of " + shape[d] + " into equal blocks");
            }
        }
        if (zeroPoint != null) {
            if (!Arrays.equals(zeroPoint.type().shape(), scaleShape)) {
                throw new IllegalArgumentException("affine_dequantize: zero_point " + zeroPoint.type() + " must have the scale's shape " + scale.type());
            }
            if (zeroPoint.dtype() != data.dtype()) {
                throw new IllegalArgumentException("affine_dequantize: zero_point " + zeroPoint.type() + " must have the data's type " + data.dtype().shortName());
            }
        }
        boolean floatData = Elements.isFloatWeight(data.dtype());
        if (!floatData && !data.dtype().isInteger()) throw new IllegalArgumentException("affine_dequantize: data must be integer, f32 or f16, got " + data.type());
        int n = Math.toIntExact(data.elementCount());
        ByteBuffer db = data.bytes();
        ByteBuffer sb = scale.bytes();
        ByteBuffer zb = zeroPoint == null ? null : zeroPoint.bytes();
        long[] sStrides = Elements.strides(scaleShape);
        int[] idx = new int[shape.length];
        float[] result = new float[n];
        for (int e = 0; e < n; e++) {
            long j = 0;
            for (int d = 0; d < shape.length; d++) j += (idx[d] / block[d]) * sStrides[d];
            float s = Elements.floatAt(sb, out, j);
            float v;
            if (floatData) {
                float x = Elements.floatAt(db, data.dtype(), e);
                float z = zb == null ? 0f : Elements.floatAt(zb, data.dtype(), j);
                v = (x - z) * s;
            } else {
                long x = Elements.integer(db, data.dtype(), e);
                long z = zb == null ? 0 : Elements.integer(zb, data.dtype(), j);
                v = (float) (x - z) * s;
            }
            result[e] = v;
            increment(idx, shape);
        }
        return Elements.ofFloats(out, shape, result);
    }

    /** {@code lut[group(i)..., indices[i'], c]}, Core ML iOS18 {@code constexpr_lut_to_dense}. */
    public static TensorData lutToDense(TensorData indices, TensorData lut, Integer vectorAxis) {
        long[] iShape = indices.type().shape();
        long[] lShape = lut.type().shape();
        int r = iShape.length;
        DType it = indices.dtype();
        if (!LutBits.isIndexType(it)) {
            throw new IllegalArgumentException("lut_to_dense: indices must be " + LutBits.describeTypes() + ", got " + indices.type());
        }
        if (!Elements.isFloatWeight(lut.dtype())) throw new IllegalArgumentException("lut_to_dense: lut must be f32 or f16, got " + lut.type());
        if (lShape.length != r + 2) throw new IllegalArgumentException("lut_to_dense: lut " + lut.type() + " must have rank " + (r + 2) + " for indices " + indices.type());
        long palette = lShape[r];
        int cd = Math.toIntExact(lShape[r + 1]);
        if (palette != (1L << it.bits())) {
            throw new IllegalArgumentException("lut_to_dense: lut " + lut.type() + " must hold " + (1L << it.bits()) + " entries for " + it.shortName() + " indices");
        }
        if (cd < 1) throw new IllegalArgumentException("lut_to_dense: lut " + lut.type() + " has an empty vector size");
        int va = -1;
        if (cd > 1) {
            if (vectorAxis == null) throw new IllegalArgumentException("lut_to_dense: a vector lut " + lut.type() + " needs vector_axis");
            va = vectorAxis < 0 ? vectorAxis + r : vectorAxis;
            if (va < 0 || va >= r) throw new IllegalArgumentException("lut_to_dense: vector_axis " + vectorAxis + " is out of range for rank " + r);
        }
        long[] groupLen = new long[r];
        for (int d = 0; d < r; d++) {
            if (lShape[d] < 1 || iShape[d] % lShape[d] != 0) {
                throw new IllegalArgumentException("lut_to_dense: " + lShape[d] + " luts do not divide axis " + d + " of indices " + indices.type());
            }
            groupLen[d] = Math.max(1, iShape[d] / lShape[d]);
        }
        long[] outShape = iShape.clone();
        if (va >= 0) outShape[va] *= cd;
        long[] iStrides = Elements.strides(iShape);
        long[] lStrides = Elements.strides(lShape);
        int n = Math.toIntExact(product(outShape));
        ByteBuffer ib = indices.bytes();
        ByteBuffer lb = lut.bytes();
        float[] result = new float[n];
        int[] o = new int[r];
        for (int e = 0; e < n; e++) {
            long p = 0;
            long l = 0;
            int c = 0;
            for (int d = 0; d < r; d++) {
                long id = o[d];
                if (d == va) {
                    c = (int) (id % cd);
                    id /= cd;
                }
                p += id * iStrides[d];
                l += (id / groupLen[d]) * lStrides[d];
            }
            long index = Elements.integer(ib, it, p);
            result[e] = Elements.floatAt(lb, lut.dtype(), l + index * lStrides[r] + c);
            increment(o, outShape);
        }
        return Elements.ofFloats(lut.dtype(), outShape, result);
    }

    /** Kept values in row-major order (1-D values) or at their own positions (full-shape values); +0.0 elsewhere. */
    public static TensorData sparseToDense(TensorData mask, TensorData values) {
        if (mask.dtype() != DType.UINT1) throw new IllegalArgumentException("sparse_to_dense: mask must be u1, got " + mask.type());
        if (!Elements.isFloatWeight(values.dtype())) throw new IllegalArgumentException("sparse_to_dense: values must be f32 or f16, got " + values.type());
        long[] shape = mask.type().shape();
        int n = Math.toIntExact(mask.elementCount());
        ByteBuffer mb = mask.bytes();
        ByteBuffer vb = values.bytes();
        long kept = 0;
        for (int e = 0; e < n; e++) kept += (mb.get(e >>> 3) >>> (e & 7)) & 1;
        long[] vShape = values.type().shape();
        boolean full = Arrays.equals(vShape, shape);
        boolean packed = vShape.length == 1 && vShape[0] == kept;
        if (!full && !packed) {
            throw new IllegalArgumentException("sparse_to_dense: values " + values.type() + " must be [" + kept + "] (the kept count) or the mask's shape " + mask.type());
        }
        float[] result = new float[n];
        int t = 0;
        for (int e = 0; e < n; e++) {
            if (((mb.get(e >>> 3) >>> (e & 7)) & 1) == 0) continue;
            result[e] = Elements.floatAt(vb, values.dtype(), full ? e : t);
            t++;
        }
        return Elements.ofFloats(values.dtype(), shape, result);
    }

    private static void increment(int[] idx, long[] shape) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }
}
