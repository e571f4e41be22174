package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The exact transpose of a 2-D weight [K, N] → [N, K], for {@link MatmulBiasFusion}: a dense
 * constant, or a compressed weight ({@code pare.*} ops on constants, ir/PARE_DIALECT.md) whose
 * encoded parts are transposed consistently so that it decodes to the transposed dense weight bit
 * for bit:
 * <ul>
 *   <li>{@code pare.lut_to_dense}: the indices transposed, the LUT's two group axes swapped
 *       ({@code [G0,G1,P,1]} → {@code [G1,G0,P,1]});
 *   <li>{@code pare.affine_dequantize}: data (or the chain it comes from), scale and zero point
 *       transposed, {@code block_sizes} swapped;
 *   <li>{@code pare.sparse_to_dense}: the mask transposed; full-shape values transposed, kept
 *       values ([nnz], row-major over the kept positions) reordered to the transposed row-major order.
 * </ul>
 * A vector LUT ({@code vector_axis}) and a chain whose intermediate values have other uses are not
 * transposed (the matmul stays). Only data is moved, nothing is recomputed.
 */
final class WeightTranspose {

    private WeightTranspose() {}

    /**
     * Whether {@link #transpose} can build {@code w}'s transpose; {@code excluded} constants
     * (ones the caller must leave alone) may not be part of it.
     */
    static boolean supported(Graph g, Value w, java.util.Collection<Value> excluded) {
        if (!(w.type() instanceof TensorType t) || !t.isStatic() || t.rank() != 2) return false;
        if (w.isConstant()) return w.data() instanceof DenseData && !excluded.contains(w);
        for (Value o : w.producer() == null ? List.<Value>of() : w.producer().operands()) {
            if (o.isConstant() && excluded.contains(o)) return false;
        }
        Node n = w.producer();
        if (n == null || n.graph() != g || n.results().size() != 1 || w.uses().size() != 1 || g.isOutput(w)) return false;
        switch (n.op()) {
            case "pare.lut_to_dense":
                return n.operands().size() == 2 && n.attributes().get("vector_axis").isEmpty()
                        && rank(n.operand(0)) == 2 && rank(n.operand(1)) == 4;
            case "pare.affine_dequantize": {
                if (n.operands().size() < 2 || n.operands().size() > 3 || rank(n.operand(1)) != 2) return false;
                if (n.operands().size() == 3 && !n.operand(2).isAbsent() && rank(n.operand(2)) != 2) return false;
                Attribute bs = n.attributes().get("block_sizes").orElse(null);
                if (bs != null && !(bs instanceof Attribute.IntsAttr ints && ints.values().size() == 2)) return false;
                return supported(g, n.operand(0), excluded);
            }
            case "pare.sparse_to_dense": {
                if (n.operands().size() != 2 || rank(n.operand(0)) != 2 || n.operand(0).data().dtype() != DType.UINT1) return false;
                Value values = n.operand(1);
                return rank(values) == 1 || supported(g, values, excluded);
            }
            default:
                return false;
        }
    }

    /** Rank of a constant operand with dense data, else -1. */
    private static int rank(Value v) {
        return v.isConstant() && v.data() instanceof DenseData ? v.data().type().rank() : -1;
    }

    /**
     * Builds the transpose of {@code w} (checked with {@link #supported}) at the rewriter's
     * insertion point: new constants and nodes, the old ones left for the caller to erase;
     * {@code built} gets each old value of the chain with its new counterpart.
     */
    static Value transpose(Rewriter rw, Value w, java.util.Map<Value, Value> built) {
        Value out = build(rw, w, built);
        built.put(w, out);
        return out;
    }

    private static Value build(Rewriter rw, Value w, java.util.Map<Value, Value> built) {
        if (w.isConstant()) return constant(rw, w, transpose(w.data(), 1));
        Node n = w.producer();
        List<Value> operands = new ArrayList<>();
        Attributes attributes = n.attributes();
        switch (n.op()) {
            case "pare.lut_to_dense": {
                operands.add(transpose(rw, n.operand(0), built));
                long[] l = n.operand(1).data().type().shape();
                Value lut = constant(rw, n.operand(1), transpose(n.operand(1).data(), Math.toIntExact(l[2] * l[3])));
                built.put(n.operand(1), lut);
                operands.add(lut);
                break;
            }
            case "pare.affine_dequantize": {
                for (int i = 0; i < n.operands().size(); i++) {
                    Value v = n.operand(i);
                    operands.add(v.isAbsent() ? v : transpose(rw, v, built));
                }
                if (attributes.get("block_sizes").orElse(null) instanceof Attribute.IntsAttr bs) {
                    attributes = attributes.with("block_sizes", Attribute.ofInts(bs.values().get(1), bs.values().get(0)));
                }
                break;
            }
            case "pare.sparse_to_dense": {
                Value mask = n.operand(0);
                Value values = n.operand(1);
                operands.add(transpose(rw, mask, built));
                if (rank(values) == 1) {
                    Value kept = constant(rw, values, reorderKept(values.data(), mask.data()));
                    built.put(values, kept);
                    operands.add(kept);
                } else {
                    operands.add(transpose(rw, values, built));
                }
                break;
            }
            default:
                throw new IllegalStateException("not a transposable weight: " + n.op());
        }
        TensorType t = w.tensorType();
        TensorType transposed = TensorType.of(t.dtype(), t.shape()[1], t.shape()[0]);
        Node copy = rw.createNode(rw.uniqueNodeName(n.name() + "_transposed"), n.op(), operands,
                List.of(rw.uniqueValueName(w.name() + "_transposed")), List.of(transposed), attributes, n.location());
        rw.setMetadata(copy.result(0), w.metadata());
        return copy.result(0);
    }

    private static Value constant(Rewriter rw, Value old, TensorData data) {
        Value c = rw.addConstant(rw.uniqueValueName(old.name() + "_transposed"), data);
        rw.setMetadata(c, old.metadata());
        return c;
    }

    /**
     * {@code d} of shape [R, C, ...inner] (the trailing axes holding {@code inner} elements, kept
     * together) as [C, R, ...inner]; any element type, sub-byte ones unpacked and packed again.
     */
    static TensorData transpose(TensorData d, int inner) {
        long[] s = d.type().shape();
        int rows = Math.toIntExact(s[0]);
        int cols = Math.toIntExact(s[1]);
        long[] shape = s.clone();
        shape[0] = s[1];
        shape[1] = s[0];
        TensorType type = TensorType.of(d.dtype(), shape);
        ByteBuffer src = d.bytes();
        int bits = d.dtype().bits();
        if (bits % 8 == 0) {
            int size = bits / 8 * inner;
            byte[] out = new byte[Math.toIntExact(d.byteSize())];
            int at = 0;
            for (int c = 0; c < cols; c++) {
                for (int r = 0; r < rows; r++) {
                    int from = (r * cols + c) * size;
                    for (int k = 0; k < size; k++) out[at++] = src.get(from + k);
                }
            }
            return TensorData.of(type, out);
        }
        long[] values = new long[Math.toIntExact(d.elementCount())];
        int at = 0;
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                long from = ((long) r * cols + c) * inner;
                for (int k = 0; k < inner; k++) values[at++] = SubByte.get(src, d.dtype(), from + k);
            }
        }
        return TensorData.of(type, SubByte.pack(d.dtype(), values));
    }

    /** Kept values listed row-major over {@code mask} [R, C], listed row-major over its transpose. */
    static TensorData reorderKept(TensorData kept, TensorData mask) {
        long[] s = mask.type().shape();
        int rows = Math.toIntExact(s[0]);
        int cols = Math.toIntExact(s[1]);
        ByteBuffer m = mask.bytes();
        int[] rank = new int[rows * cols];
        int next = 0;
        for (int i = 0; i < rank.length; i++) rank[i] = SubByte.get(m, DType.UINT1, i) != 0 ? next++ : -1;
        if (next != kept.elementCount()) throw new IllegalStateException(kept.elementCount() + " kept values for " + next + " kept positions");
        ByteBuffer src = kept.bytes();
        int bits = kept.dtype().bits();
        if (bits % 8 == 0) {
            int size = bits / 8;
            byte[] out = new byte[Math.toIntExact(kept.byteSize())];
            int at = 0;
            for (int c = 0; c < cols; c++) {
                for (int r = 0; r < rows; r++) {
                    int k = rank[r * cols + c];
                    if (k < 0) continue;
                    for (int b = 0; b < size; b++) out[at++] = src.get(k * size + b);
                }
            }
            return TensorData.of(kept.type(), out);
        }
        long[] values = new long[next];
        int at = 0;
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                int k = rank[r * cols + c];
                if (k >= 0) values[at++] = SubByte.get(src, kept.dtype(), k);
            }
        }
        return TensorData.of(kept.type(), SubByte.pack(kept.dtype(), values));
    }

    /** The nodes and constants of {@code w}'s chain (w's producer first), for erasing once unused. */
    static void eraseUnused(Rewriter rw, Graph g, Value w) {
        if (w.hasUses() || g.isOutput(w) || w.graph() != g) return;
        if (w.isConstant()) {
            rw.eraseConstant(w);
            return;
        }
        Node n = w.producer();
        if (n == null) return;
        List<Value> operands = new ArrayList<>(n.operands());
        rw.erase(n);
        for (Value v : operands) if (!v.isAbsent()) eraseUnused(rw, g, v);
    }
}
