package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.SparseData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * {@code pare.sparse_to_dense} → ONNX, choosing the smallest of three forms for constant 1-D values
 * (sizes as stored, {@code n} elements, {@code k} kept, {@code w} bytes per value):
 * <ul>
 *   <li>dense initializer: {@code n·w};</li>
 *   <li>{@code sparse_initializer} with linear int64 indices (IR 6): {@code k·(w+8)};</li>
 *   <li>bit mask + values: {@code n/8 + k·w}; at run time the mask is unpacked
 *       ({@link BitUnpack}), {@code CumSum(mask) − 1} gives each kept position its rank among the
 *       kept values, {@code Gather} fetches them, and {@code Where(mask, gathered, +0.0)} zeroes the
 *       rest (a masked-out position gathers a neighbour's value that Where then discards).</li>
 * </ul>
 * With full-shape values (joint compression: the values come from {@code lut_to_dense} or
 * {@code affine_dequantize}, already lowered) the mask is applied with {@code Where}.
 */
final class SparseLowering {

    /** Fixed cost of the mask form's extra small constants, so that tiny tensors stay simpler. */
    static final long MASK_FORM_OVERHEAD = 160;

    enum Form { DENSE, SPARSE_INITIALIZER, MASK }

    private SparseLowering() {}

    static Form choose(long count, long kept, int valueBytes) {
        long dense = count * valueBytes;
        long sparse = kept * (valueBytes + 8L);
        long mask = (count + 7) / 8 + kept * valueBytes + MASK_FORM_OVERHEAD;
        if (kept == 0 || (dense <= sparse && dense <= mask)) return Form.DENSE;
        return sparse <= mask ? Form.SPARSE_INITIALIZER : Form.MASK;
    }

    static Value lower(Emitter e, List<Value> operands, long[] shape, String resultName) {
        if (operands.size() != 2) throw e.error("expects 2 operands, got " + operands.size());
        Value maskV = operands.get(0);
        Value values = operands.get(1);
        if (!maskV.isConstant()) throw e.error("mask must be a constant");
        TensorData mask = maskV.data();
        if (mask.dtype() != DType.UINT1 && mask.dtype() != DType.BOOL && mask.dtype() != DType.UINT8) {
            throw e.error("mask must be u1, got " + mask.dtype().shortName());
        }
        if (!java.util.Arrays.equals(mask.type().shape(), shape)) {
            throw e.error("mask shape " + mask.type() + " differs from the result shape " + java.util.Arrays.toString(shape));
        }
        int count = Tensors.count(shape);
        long[] flat = {count};
        TensorType vt = values.tensorType();
        DType t = vt.dtype();
        if (!t.isFloatingPoint()) throw e.error("values must be floating point, got " + vt);
        int kept = kept(mask, count);
        if (values.isConstant() && vt.rank() == 1) {
            if (vt.shape()[0] != kept) {
                throw e.error("values holds " + vt.shape()[0] + " elements but the mask keeps " + kept);
            }
            TensorData v = values.data();
            int w = t.bits() / 8;
            Form form = choose(count, kept, w);
            if (form == Form.DENSE) return e.namedConstant(resultName, dense(v, keep(mask), shape));
            if (form == Form.SPARSE_INITIALIZER) {
                boolean[] keep = keep(mask);
                e.req.ir(6);
                long[] positions = new long[kept];
                int k = 0;
                for (int i = 0; i < count; i++) if (keep[i]) positions[k++] = i;
                return e.namedConstant(resultName, new SparseData(TensorType.of(t, shape), Tensors.reshape(v, kept),
                        Tensors.longs(new long[] {kept}, positions), java.util.Map.of()));
            }
            Value bits = maskBits(e, mask, flat);
            Value rank = e.op("CumSum", List.of(bits, e.constant("axis", Tensors.longs(new long[] {}, 0))),
                    TensorType.of(DType.INT64, flat));
            Value position = e.op("Sub", List.of(rank, e.constant("one", Tensors.longs(new long[] {}, 1))),
                    TensorType.of(DType.INT64, flat));
            Value gathered = e.op("Gather", List.of(values, position), TensorType.of(t, flat), Emitter.attrs("axis", 0), null);
            Value cond = e.cast(bits, DType.BOOL, flat);
            Value picked = e.op("Where", List.of(cond, gathered, e.constant("zero", Tensors.zero(t))), TensorType.of(t, flat));
            return e.reshape(picked, shape, resultName);
        }
        if (!vt.isStatic() || !java.util.Arrays.equals(vt.shape(), shape)) {
            throw e.error("values must be 1-D [nnz] constants or have the result shape, got " + vt);
        }
        Value bits = maskBits(e, mask, shape);
        Value cond = e.cast(bits, DType.BOOL, shape);
        return e.op("Where", List.of(cond, values, e.constant("zero", Tensors.zero(t))), TensorType.of(t, shape),
                Attributes.empty(), resultName);
    }

    private static Value maskBits(Emitter e, TensorData mask, long[] shape) {
        TensorData packed = mask;
        if (mask.dtype() != DType.UINT1) {
            long[] ints = Tensors.ints(mask);
            for (int i = 0; i < ints.length; i++) ints[i] = ints[i] != 0 ? 1 : 0;
            packed = TensorData.ofBuffer(TensorType.of(DType.UINT1, mask.type().shape()), ByteBuffer.wrap(SubByte.pack(DType.UINT1, ints)));
        }
        return BitUnpack.unpack(e, packed, 1, shape, null);
    }

    /** How many of the {@code count} mask elements are set; a u1 mask is counted in its packed bytes (no array per element: 7B-size masks). */
    private static int kept(TensorData mask, int count) {
        if (mask.dtype() != DType.UINT1) {
            int kept = 0;
            for (boolean b : keep(mask)) if (b) kept++;
            return kept;
        }
        ByteBuffer b = mask.bytes();
        int kept = 0;
        int full = count / 8;
        for (int i = 0; i < full; i++) kept += Integer.bitCount(b.get(i) & 0xFF);
        if (count % 8 != 0) kept += Integer.bitCount(b.get(full) & ((1 << (count % 8)) - 1));
        return kept;
    }

    static boolean[] keep(TensorData mask) {
        long[] v = Tensors.ints(mask);
        boolean[] keep = new boolean[v.length];
        for (int i = 0; i < v.length; i++) keep[i] = v[i] != 0;
        return keep;
    }

    private static TensorData dense(TensorData values, boolean[] keep, long[] shape) {
        int w = values.dtype().bits() / 8;
        ByteBuffer in = values.bytes();
        ByteBuffer out = ByteBuffer.allocate(keep.length * w).order(ByteOrder.LITTLE_ENDIAN);
        int k = 0;
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                for (int j = 0; j < w; j++) out.put(i * w + j, in.get(k * w + j));
                k++;
            }
        }
        return TensorData.ofBuffer(TensorType.of(values.dtype(), shape), out);
    }
}
