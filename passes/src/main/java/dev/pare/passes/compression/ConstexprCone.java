package dev.pare.passes.compression;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A weight that a chain of Core ML {@code mil.constexpr_*} ops decodes from constants (a weight
 * Core ML Tools, or an earlier Pare run, already compressed): the ops, in an order where every op
 * comes after the ops it reads, and the constants they read. The compression passes decompress it
 * ({@link MilConstexprEvaluator}) and compress the dense values, so palettizing an int8 weight
 * palettizes the int8 weight's values rather than leaving it alone.
 */
final class ConstexprCone {

    private final Value root;
    private final List<Node> ops;
    private final List<Value> leaves;

    private ConstexprCone(Value root, List<Node> ops, List<Value> leaves) {
        this.root = root;
        this.ops = ops;
        this.leaves = leaves;
    }

    /**
     * The cone of {@code v}, or null unless {@code v} is a float result of a {@code mil.constexpr_*}
     * op whose operands are, through more constexpr ops, all constants.
     */
    static ConstexprCone of(Value v) {
        Node p = v.producer();
        if (p == null || !MilConstexprEvaluator.isConstexpr(p.op()) || !Tensors.isFloatWeight(v.tensorType().dtype())
                || !v.tensorType().isStatic()) {
            return null;
        }
        List<Node> ops = new ArrayList<>();
        Set<Value> leaves = new LinkedHashSet<>();
        if (!collect(p, ops, leaves, new java.util.HashSet<>())) return null;
        return new ConstexprCone(v, List.copyOf(ops), List.copyOf(leaves));
    }

    private static boolean collect(Node n, List<Node> ops, Set<Value> leaves, Set<Node> seen) {
        if (!seen.add(n)) return true;
        for (Value o : n.operands()) {
            if (o.isAbsent()) continue;
            if (o.isConstant()) {
                if (o.data() == null) return false;
                leaves.add(o);
                continue;
            }
            Node q = o.producer();
            if (q == null || !MilConstexprEvaluator.isConstexpr(q.op()) || !collect(q, ops, leaves, seen)) return false;
        }
        ops.add(n); // post-order: after the ops it reads
        return true;
    }

    Value root() { return root; }

    /** The op producing the weight. */
    Node outer() { return root.producer(); }

    /** Whether the outermost op is a sparse-to-dense decode, so the weight keeps a sparsity mask. */
    boolean isSparse() {
        return outer().op().equals(MilConstexprEvaluator.SPARSE_TO_DENSE);
    }

    /** Bytes of the constants the chain reads (what the weight costs as stored). */
    long storedBytes() {
        long b = 0;
        for (Value l : leaves) b += l.data().byteSize();
        return b;
    }

    /**
     * Evaluates every op of the chain (reads the graph, never changes it).
     *
     * @throws IllegalArgumentException naming the op and parameter that is wrong
     */
    Decoded decode() {
        Map<Value, TensorData> values = new HashMap<>();
        Function<Value, TensorData> valueOf = x -> x.isConstant() ? x.data() : values.get(x);
        for (Node n : ops) {
            List<TensorData> out = MilConstexprEvaluator.evaluate(n, valueOf);
            for (int i = 0; i < out.size() && i < n.results().size(); i++) values.put(n.result(i), out.get(i));
        }
        TensorData dense = values.get(root);
        if (dense == null) throw new IllegalArgumentException(outer().op() + " '" + outer().name() + "' gave no value");
        TensorType t = root.tensorType();
        if (dense.dtype() != t.dtype() || !java.util.Arrays.equals(dense.type().shape(), t.shape())) {
            throw new IllegalArgumentException(outer().op() + " '" + outer().name() + "' decodes to " + dense.type()
                    + " but its result is declared " + t);
        }
        boolean[] keep = null;
        if (isSparse()) {
            Value maskValue = MilParams.get(outer(), "mask").orElse(null);
            TensorData mask = maskValue == null ? null : valueOf.apply(maskValue);
            if (mask == null) throw new IllegalArgumentException(outer().op() + " '" + outer().name() + "' has no mask");
            int n = Math.toIntExact(dense.elementCount());
            ByteBuffer b = mask.bytes();
            keep = new boolean[n];
            for (int e = 0; e < n; e++) keep[e] = ((b.get(e >>> 3) >>> (e & 7)) & 1) != 0;
        }
        return new Decoded(dense, keep);
    }

    /** The decoded weight and, for a sparse chain, which elements the mask keeps. */
    record Decoded(TensorData dense, boolean[] keep) {}

    /** Erases the chain's ops and constants that nothing else reads any more (after the weight was replaced). */
    void eraseUnused(Function<Graph, Rewriter> rewriters) {
        for (int i = ops.size() - 1; i >= 0; i--) {
            Node n = ops.get(i);
            boolean used = false;
            for (Value r : n.results()) used |= !r.isAbsent() && (r.hasUses() || r.graph().isOutput(r));
            if (!used) rewriters.apply(n.graph()).erase(n);
        }
        for (Value l : leaves) {
            if (!l.hasUses() && !l.graph().isOutput(l)) rewriters.apply(l.graph()).eraseConstant(l);
        }
    }

    /**
     * How the chain stores the weight, e.g. {@code int8-quantized (constexpr_affine_dequantize)} or
     * {@code pruned + palettized 4-bit (constexpr_lut_to_sparse, constexpr_sparse_to_dense)}.
     */
    String describe() {
        List<String> what = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = ops.size() - 1; i >= 0; i--) { // outermost first
            Node n = ops.get(i);
            String type = n.op().substring("mil.".length());
            names.add(0, type);
            String phrase = phrase(n);
            if (phrase != null && !what.contains(phrase)) what.add(phrase);
        }
        return (what.isEmpty() ? "decoded" : String.join(" + ", what)) + " (" + String.join(", ", names) + ")";
    }

    private static String phrase(Node n) {
        switch (n.op()) {
            case MilConstexprEvaluator.AFFINE_DEQUANTIZE:
                return quantized(MilParams.get(n, "quantized_data").orElse(null));
            case MilConstexprEvaluator.BLOCKWISE_SHIFT_SCALE:
                return quantized(MilParams.get(n, "data").orElse(null));
            case MilConstexprEvaluator.SPARSE_BLOCKWISE_SHIFT_SCALE:
                return quantized(MilParams.get(n, "nonzero_data").orElse(null));
            case MilConstexprEvaluator.LUT_TO_DENSE:
            case MilConstexprEvaluator.LUT_TO_SPARSE: {
                boolean sparse = n.op().equals(MilConstexprEvaluator.LUT_TO_SPARSE);
                Value indices = MilParams.get(n, sparse ? "indices_nonzero_data" : "indices").orElse(null);
                Value lut = MilParams.get(n, "lut").orElse(null);
                int bits = 0;
                if (MilParams.get(n, "shape").isPresent()) { // iOS16: indices are packed bytes, the LUT size says the width
                    if (lut != null && lut.tensorType().isStatic()) bits = 31 - Integer.numberOfLeadingZeros((int) Math.max(1, lut.tensorType().elementCount()));
                } else if (indices != null) {
                    bits = indices.tensorType().dtype().bits();
                }
                return bits > 0 ? "palettized " + bits + "-bit" : "palettized";
            }
            case MilConstexprEvaluator.SPARSE_TO_DENSE:
                return "pruned";
            case MilConstexprEvaluator.CAST:
                return n.operands().isEmpty() || n.operand(0).tensorType().dtype() != DType.FLOAT16 ? "cast" : "fp16-stored";
            default:
                return null;
        }
    }

    private static String quantized(Value data) {
        if (data == null) return "quantized";
        DType d = data.tensorType().dtype();
        return d.isFloatingPoint() ? "scaled" : d.name().toLowerCase(Locale.ROOT) + "-quantized";
    }
}
