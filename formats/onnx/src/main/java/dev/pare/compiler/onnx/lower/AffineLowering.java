package dev.pare.compiler.onnx.lower;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pare.affine_dequantize} → ONNX. Block lengths are {@code ceil(D/S)} per axis unless the
 * optional {@code block_sizes} attribute (ints, one per axis) gives them: with a partial last block
 * the scale shape alone is ambiguous (40 elements in 3 blocks may be blocks of 14 or of 16).
 * <ul>
 *   <li>integer data → one {@code DequantizeLinear}: per-tensor (scalar scale, opset 10), per-axis
 *       (1-D scale + {@code axis}, opset 13) or blocked ({@code block_size}, opset 21, scale of the
 *       data's rank). Blocked DequantizeLinear varies along one blocked axis and is per element on
 *       every other axis, so a pare scale that is shared (size 1) or blocked along a second axis is
 *       repeated there to one entry per element; the blocked axis is the one with the longest
 *       blocks. int4/uint4/int16/uint16 need opset 21 (and int4/uint4 IR 10), float16 scales
 *       opset 19.</li>
 *   <li>float data (a pure scale) → {@code Sub} (if there is a zero point) and {@code Mul} with the
 *       scale broadcast; blocked axes of the scale are repeated to one entry per element.</li>
 * </ul>
 */
final class AffineLowering {

    private AffineLowering() {}

    static Value lower(Emitter e, List<Value> operands, dev.pare.ir.Attributes attributes, String resultName) {
        if (operands.size() < 2 || operands.size() > 3) throw e.error("expects 2 or 3 operands, got " + operands.size());
        Value data = operands.get(0);
        Value scaleV = operands.get(1);
        Value zpV = operands.size() == 3 ? operands.get(2) : Value.ABSENT;
        if (!scaleV.isConstant() || (!zpV.isAbsent() && !zpV.isConstant())) {
            throw e.error("scale and zero_point must be constants");
        }
        TensorData scale = scaleV.data();
        TensorData zp = zpV.isAbsent() ? null : zpV.data();
        DType st = scale.dtype();
        if (st != DType.FLOAT32 && st != DType.FLOAT16) throw e.error("scale must be f32 or f16, got " + st.shortName());
        TensorType dt = data.tensorType();
        if (!dt.isStatic()) throw e.error("data needs a static shape, got " + dt);
        long[] shape = dt.shape();
        long[] sShape = scale.type().shape();
        if (sShape.length != shape.length) {
            throw e.error("scale has rank " + sShape.length + " but data has rank " + shape.length);
        }
        if (zp != null && !java.util.Arrays.equals(zp.type().shape(), sShape)) {
            throw e.error("zero_point shape " + zp.type() + " differs from scale shape " + scale.type());
        }
        List<Long> given = attributes.get("block_sizes").orElse(null) instanceof dev.pare.ir.Attribute.IntsAttr a
                ? a.values() : null;
        if (given != null && given.size() != shape.length) {
            throw e.error("block_sizes has " + given.size() + " entries for rank " + shape.length);
        }
        int[] block = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            if (sShape[d] < 1 || sShape[d] > Math.max(1, shape[d])) {
                throw e.error("scale dimension " + d + " is " + sShape[d] + " for a data dimension of " + shape[d]);
            }
            block[d] = given != null ? Math.toIntExact(given.get(d)) : (int) ((shape[d] + sShape[d] - 1) / sShape[d]);
            if (block[d] < 1 || (shape[d] + block[d] - 1) / block[d] != Math.max(1, sShape[d]) && shape[d] > 0) {
                throw e.error("block size " + block[d] + " on axis " + d + " does not give " + sShape[d]
                        + " blocks over " + shape[d] + " elements");
            }
        }
        if (dt.dtype().isFloatingPoint()) return scaleFloat(e, data, scale, zp, shape, block, resultName);
        if (!data.isConstant()) throw e.error("integer data must be a constant");
        return dequantize(e, data, scale, zp, shape, block, resultName);
    }

    private static Value dequantize(Emitter e, Value data, TensorData scale, TensorData zp, long[] shape, int[] block,
                                    String resultName) {
        DType t = data.tensorType().dtype();
        long[] sShape = scale.type().shape();
        int rank = shape.length;
        switch (t) {
            case INT8: case UINT8: e.req.opset(10, "DequantizeLinear"); break;
            case INT4: case UINT4:
                e.req.opset(21, t.shortName() + " DequantizeLinear");
                e.req.ir(10);
                break;
            case INT16: case UINT16: e.req.opset(21, t.shortName() + " DequantizeLinear"); break;
            case INT32:
                if (zp != null) throw e.error("int32 data cannot have a zero point in ONNX");
                e.req.opset(10, "DequantizeLinear");
                break;
            default: throw e.error("data type " + t.shortName() + " has no ONNX DequantizeLinear form");
        }
        if (zp != null && zp.dtype() != t) {
            throw e.error("zero_point is " + zp.dtype().shortName() + " but data is " + t.shortName());
        }
        if (scale.dtype() == DType.FLOAT16) e.req.opset(19, "float16 DequantizeLinear scale");
        List<Integer> varying = new ArrayList<>();
        for (int d = 0; d < rank; d++) if (sShape[d] != 1) varying.add(d);
        TensorType out = TensorType.of(scale.dtype(), shape);
        List<Value> ins = new ArrayList<>();
        ins.add(data);
        if (varying.isEmpty()) {
            ins.add(e.constant("scale", Tensors.reshape(scale)));
            if (zp != null) ins.add(e.constant("zero_point", Tensors.reshape(zp)));
            return e.op("DequantizeLinear", ins, out, dev.pare.ir.Attributes.empty(), resultName);
        }
        if (varying.size() == 1 && sShape[varying.get(0)] == shape[varying.get(0)]) {
            int axis = varying.get(0);
            e.req.opset(13, "per-axis DequantizeLinear");
            ins.add(e.constant("scale", Tensors.reshape(scale, shape[axis])));
            if (zp != null) ins.add(e.constant("zero_point", Tensors.reshape(zp, shape[axis])));
            return e.op("DequantizeLinear", ins, out, Emitter.attrs("axis", axis), resultName);
        }
        // Blocked: the axis with the longest blocks keeps them; every other axis goes per element.
        int axis = varying.get(0);
        for (int d : varying) if (block[d] > block[axis]) axis = d;
        e.req.opset(21, "blocked DequantizeLinear");
        long[] bShape = shape.clone();
        bShape[axis] = sShape[axis];
        int[] perElement = new int[rank];
        java.util.Arrays.fill(perElement, 1);
        perElement[axis] = block[axis];
        if (java.util.Arrays.equals(bShape, sShape)) { // blocks on one axis only: the scales as they are, not copied
            ins.add(e.constant("scale", Tensors.reshape(scale, bShape)));
            if (zp != null) ins.add(e.constant("zero_point", Tensors.reshape(zp, bShape)));
        } else {
            int[] from = expansion(bShape, sShape, block, perElement);
            ins.add(e.constant("scale", Tensors.gather(scale, bShape, from)));
            if (zp != null) ins.add(e.constant("zero_point", Tensors.gather(zp, bShape, from)));
        }
        return e.op("DequantizeLinear", ins, out, Emitter.attrs("axis", axis, "block_size", block[axis]), resultName);
    }

    private static Value scaleFloat(Emitter e, Value data, TensorData scale, TensorData zp, long[] shape, int[] block,
                                    String resultName) {
        DType t = data.tensorType().dtype();
        if (t != scale.dtype()) {
            throw e.error("float data is " + t.shortName() + " but the scale is " + scale.dtype().shortName());
        }
        long[] sShape = scale.type().shape();
        // Broadcasting covers shared (1) and per-element axes; real blocks are repeated per element.
        long[] bShape = sShape.clone();
        boolean blocked = false;
        for (int d = 0; d < shape.length; d++) {
            if (sShape[d] != 1 && sShape[d] != shape[d]) {
                bShape[d] = shape[d];
                blocked = true;
            }
        }
        TensorData s = scale;
        TensorData z = zp;
        if (blocked) {
            int[] perElement = new int[shape.length];
            java.util.Arrays.fill(perElement, 1);
            int[] from = expansion(bShape, sShape, block, perElement);
            s = Tensors.gather(scale, bShape, from);
            if (zp != null) z = Tensors.gather(zp, bShape, from);
        }
        TensorType out = TensorType.of(t, shape);
        Value x = data;
        if (z != null) x = e.op("Sub", List.of(x, e.constant("zero_point", z)), out);
        return e.op("Mul", List.of(x, e.constant("scale", s)), out, dev.pare.ir.Attributes.empty(), resultName);
    }

    /**
     * For every position of a target parameter tensor of shape {@code target}, the source
     * parameter index: target position {@code j_d} covers elements {@code [j_d·unit_d,
     * (j_d+1)·unit_d)} along {@code d} (unit 1 = per element), whose source block is
     * {@code j_d·unit_d / block_d} (0 on axes where the source has size 1).
     */
    private static int[] expansion(long[] target, long[] source, int[] block, int[] unit) {
        int n = Tensors.count(target);
        long[] tStrides = Tensors.strides(target);
        long[] sStrides = Tensors.strides(source);
        int[] from = new int[n];
        for (int k = 0; k < n; k++) {
            long rest = k;
            long idx = 0;
            for (int d = 0; d < target.length; d++) {
                long j = rest / tStrides[d];
                rest %= tStrides[d];
                long element = j * unit[d];
                long src = source[d] == 1 ? 0 : element / block[d];
                idx += src * sStrides[d];
            }
            from[k] = (int) idx;
        }
        return from;
    }
}
