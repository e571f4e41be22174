package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.PruningResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@code pare.*} ops from the compression math library's results, exactly as
 * ir/PARE_DIALECT.md describes them (the way the compression passes will).
 */
public final class PareWeights {

    private PareWeights() {}

    public static TensorData floats(Precision p, long[] shape, float[] v) {
        if (p == Precision.FLOAT32) return TensorData.ofFloats(shape, v);
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(Float16.fromFloat(f));
        return TensorData.ofBuffer(TensorType.of(DType.FLOAT16, shape), b.flip());
    }

    public static TensorData ints(DType t, long[] shape, int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        if (t.isSubByte()) return TensorData.ofBuffer(TensorType.of(t, shape), ByteBuffer.wrap(SubByte.pack(t, l)));
        ByteBuffer b = ByteBuffer.allocate(v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.put((byte) x);
        return TensorData.ofBuffer(TensorType.of(t, shape), b.flip());
    }

    private static Value op(Rewriter rw, String name, String op, List<Value> operands, TensorType type, Attributes a) {
        return rw.createNode(name, op, operands, List.of(name), List.of(type), a, Location.created("test")).result(0);
    }

    /** {@code pare.affine_dequantize} of a quantized weight; the result is named {@code name}. */
    public static Value affine(Rewriter rw, String name, LinearQuantization q) {
        Value data = rw.addConstant(name + "_q", ints(q.dtype(), q.shape(), q.quantized()));
        Value scale = rw.addConstant(name + "_scale", floats(q.precision(), q.scaleShape(), q.scales()));
        List<Value> ops = new ArrayList<>(List.of(data, scale));
        if (q.hasZeroPoint()) ops.add(rw.addConstant(name + "_zp", ints(q.dtype(), q.scaleShape(), q.zeroPoints())));
        return op(rw, name, "pare.affine_dequantize", ops, TensorType.of(q.precision().dtype(), q.shape()), blockSizes(q));
    }

    /** {@code block_sizes} when a block length differs from {@code ceil(D/S)} (partial last blocks). */
    static Attributes blockSizes(LinearQuantization q) {
        boolean needed = false;
        long[] b = new long[q.shape().length];
        for (int d = 0; d < b.length; d++) {
            b[d] = q.blockLengths()[d];
            long dflt = (q.shape()[d] + q.scaleShape()[d] - 1) / q.scaleShape()[d];
            if (q.shape()[d] > 0 && b[d] != dflt) needed = true;
        }
        return needed ? Attributes.builder().put("block_sizes", Attribute.ofInts(b)).build() : Attributes.empty();
    }

    /** {@code pare.lut_to_dense} (plus the per-channel scale, if any) of a palettized weight. */
    public static Value lut(Rewriter rw, String name, Palettization p) {
        Value idx = rw.addConstant(name + "_idx", ints(p.indexType(), p.indicesShape(), p.indices()));
        Value lut = rw.addConstant(name + "_lut", floats(p.precision(), p.lutShape(), p.luts()));
        Attributes a = p.clusterDim() > 1
                ? Attributes.builder().put("vector_axis", Attribute.of(p.axis())).build() : Attributes.empty();
        TensorType type = TensorType.of(p.precision().dtype(), p.shape());
        String lutName = p.scales() == null ? name : name + "_palette";
        Value dense = op(rw, lutName, "pare.lut_to_dense", List.of(idx, lut), type, a);
        if (p.scales() == null) return dense;
        Value s = rw.addConstant(name + "_pcs", floats(p.precision(), p.scaleShape(), p.scales()));
        return op(rw, name, "pare.affine_dequantize", List.of(dense, s), type, Attributes.empty());
    }

    /** {@code pare.sparse_to_dense} with constant 1-D values. */
    public static Value sparse(Rewriter rw, String name, PruningResult r) {
        Value mask = rw.addConstant(name + "_mask", mask(r.shape(), r.keep()));
        Value values = rw.addConstant(name + "_nz", floats(r.precision(), new long[] {r.keptCount()}, r.keptValues()));
        return op(rw, name, "pare.sparse_to_dense", List.of(mask, values),
                TensorType.of(r.precision().dtype(), r.shape()), Attributes.empty());
    }

    /** Joint form: {@code pare.sparse_to_dense(mask, values)} with full-shape decoded values. */
    public static Value masked(Rewriter rw, String name, long[] shape, boolean[] keep, Value values) {
        Value mask = rw.addConstant(name + "_mask", mask(shape, keep));
        return op(rw, name, "pare.sparse_to_dense", List.of(mask, values), values.tensorType(), Attributes.empty());
    }

    public static TensorData mask(long[] shape, boolean[] keep) {
        long[] bits = new long[keep.length];
        for (int i = 0; i < keep.length; i++) bits[i] = keep[i] ? 1 : 0;
        return TensorData.ofBuffer(TensorType.of(DType.UINT1, shape), ByteBuffer.wrap(SubByte.pack(DType.UINT1, bits)));
    }
}
