package dev.pare.compiler.inspect;

import dev.pare.ir.WeightHistory;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.SparseData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds compressed weights in one graph. A weight is decoded by a "constant cone": nodes whose
 * inputs are all constants (transitively). The value where such a cone meets the rest of the model
 * (used by a node outside it, or a graph output) is a weight; it is reported as compressed when the
 * cone holds a decode op: {@code pare.affine_dequantize}, {@code pare.lut_to_dense},
 * {@code pare.sparse_to_dense}, or their ONNX forms ({@code DequantizeLinear}, a {@code Gather}
 * from a float constant table, the {@code CumSum}/{@code Where} mask decode), or Core ML's
 * {@code mil.constexpr_*} ops ({@link MilCompression}). Sparse initializers
 * are reported too. Only the small index-free parts are read: a mask's bits (for its sparsity).
 */
final class CompressionAnalysis {

    private final Map<Value, Boolean> constantOnly = new IdentityHashMap<>();

    private CompressionAnalysis() {}

    static List<CompressedWeight> find(Graph g, String path) {
        return new CompressionAnalysis().scan(g, path);
    }

    private List<CompressedWeight> scan(Graph g, String path) {
        List<CompressedWeight> out = new ArrayList<>();
        for (Value c : g.constants()) {
            if (c.data() instanceof SparseData s && c.hasUses()) {
                long count = s.elementCount();
                double sparsity = count == 0 ? 0 : 1.0 - (double) s.nonZeroCount() / count;
                out.add(new CompressedWeight(path, c.name(), shape(s.type()), s.dtype(), "sparse", 0, 0, 0, "",
                        sparsity, denseBytes(s.type()), s.values().byteSize() + s.indices().byteSize(), List.of(c.name()), "", ""));
            }
        }
        for (Node n : g.nodes()) {
            for (Value r : n.results()) {
                if (r.isAbsent() || !isConstantOnly(r) || !isBoundary(g, r)) continue;
                CompressedWeight w = describe(path, r);
                if (w != null) out.add(w);
            }
        }
        return out;
    }

    private boolean isConstantOnly(Value v) {
        if (v.isAbsent() || v.isConstant()) return true;
        Boolean known = constantOnly.get(v);
        if (known != null) return known;
        Node p = v.producer();
        boolean result = p != null && p.subgraphs().isEmpty() && !p.op().endsWith("RandomNormal")
                && !p.op().endsWith("RandomUniform");
        if (result) for (Value o : p.operands()) result &= isConstantOnly(o);
        constantOnly.put(v, result);
        return result;
    }

    /** Used outside the constant cone, or a graph output. */
    private boolean isBoundary(Graph g, Value r) {
        if (g.isOutput(r)) return true;
        for (Value.Use u : r.uses()) {
            boolean inside = true;
            for (Value res : u.user().results()) if (!res.isAbsent() && !isConstantOnly(res)) inside = false;
            if (!inside || u.user().results().stream().allMatch(Value::isAbsent)) return true;
        }
        return false;
    }

    /** What the cone of {@code root} decodes, or null if it is not a recognised compressed weight. */
    private static CompressedWeight describe(String path, Value root) {
        TensorType t = root.tensorType();
        if (!t.isStatic() || !t.dtype().isFloatingPoint()) return null;
        List<Node> cone = new ArrayList<>();
        Set<Value> parts = new LinkedHashSet<>();
        collect(root, cone, parts, new java.util.HashSet<>());
        if (cone.stream().anyMatch(MilCompression::isConstexpr)) {
            return MilCompression.describe(path, root, cone, new ArrayList<>(parts));
        }
        boolean sparse = false;
        boolean lut = false;
        boolean affine = false;
        boolean scale = false;
        int nbits = 0;
        long luts = 0;
        int clusterDim = 0;
        String granularity = "";
        double sparsity = -1;
        for (Node n : cone) {
            String op = n.op();
            if (op.equals("pare.affine_dequantize") || op.equals("onnx.DequantizeLinear")) {
                Value data = n.operand(0);
                if (data.tensorType().dtype().isFloatingPoint()) {
                    scale = true;
                    continue;
                }
                affine = true;
                nbits = Math.max(nbits, data.tensorType().dtype().bits());
                granularity = op.startsWith("pare.") ? pareGranularity(n) : onnxGranularity(n);
            } else if (op.equals("pare.lut_to_dense")) {
                lut = true;
                nbits = Math.max(nbits, n.operand(0).tensorType().dtype().bits());
                long[] ls = n.operand(1).tensorType().shape();
                luts = 1;
                int grouped = -1;
                for (int d = 0; d < ls.length - 2; d++) {
                    luts *= ls[d];
                    if (ls[d] > 1 && grouped < 0) grouped = d;
                }
                clusterDim = (int) ls[ls.length - 1];
                granularity = grouped < 0 ? "per-tensor" : "grouped axis " + grouped;
            } else if (op.equals("onnx.Gather") && isLutTable(n.operand(0)) && !reads(n.operand(1), "onnx.CumSum")) {
                lut = true;
                long[] ls = lutTable(n.operand(0)).tensorType().shape();
                long entries = ls.length >= 2 ? ls[1] : ls[0];
                luts = ls.length >= 2 ? ls[0] : 1;
                clusterDim = ls.length == 3 ? (int) ls[2] : 1;
                nbits = Math.max(nbits, 64 - Long.numberOfLeadingZeros(Math.max(1, entries - 1)));
                granularity = luts == 1 ? "per-tensor" : "grouped" + groupAxis(n.operand(1));
            } else if (op.equals("onnx.GatherElements") && isLutTable(n.operand(0))) {
                // the ONNX lowering's form of LUTs grouped along axis 0: a [luts, entries] table
                lut = true;
                long[] ls = lutTable(n.operand(0)).tensorType().shape();
                luts = ls[0];
                clusterDim = 1;
                nbits = Math.max(nbits, 64 - Long.numberOfLeadingZeros(Math.max(1, ls[ls.length - 1] - 1)));
                granularity = luts == 1 ? "per-tensor" : "grouped axis 0";
            } else if (op.equals("pare.sparse_to_dense")) {
                sparse = true;
                Value mask = n.operand(0);
                if (mask.isConstant()) sparsity = zeros(mask.data());
            } else if (op.equals("onnx.Where")) {
                sparse = true;
            } else if (op.equals("onnx.Mul") && !affine) {
                scale = true;
            }
        }
        if (!(sparse || lut || affine)) return null;
        if (sparse && sparsity < 0) sparsity = onnxSparsity(cone, t);
        if (scale && !lut && !affine) scale = false;
        List<String> kinds = new ArrayList<>();
        if (sparse) kinds.add("sparse");
        if (lut) kinds.add("lut");
        if (affine) kinds.add("affine");
        if (scale && (lut || !affine)) kinds.add("scale");
        long stored = 0;
        List<String> names = new ArrayList<>();
        for (Value p : parts) {
            TensorData d = p.data();
            if (d == null) continue; // an onnx.Constant node's value is counted with the node
            stored += d instanceof SparseData s ? s.values().byteSize() + s.indices().byteSize() : d.byteSize();
            names.add(p.name());
        }
        for (Node n : cone) {
            if (n.op().equals("onnx.Constant")) {
                for (dev.pare.ir.Attribute a : n.attributes().asMap().values()) {
                    if (a instanceof dev.pare.ir.Attribute.TensorAttr ta) stored += ta.value().byteSize();
                }
            }
        }
        return new CompressedWeight(path, root.name(), shape(t), t.dtype(), String.join("+", kinds), nbits, luts, clusterDim,
                granularity, sparsity, denseBytes(t), stored, names, "",
                root.metadata().getOrDefault(WeightHistory.DECOMPRESSED_FROM, ""));
    }

    /** " axis d" when the per-group index offsets (an Add of a constant) vary along axis d only. */
    private static String groupAxis(Value indices) {
        List<Node> cone = new ArrayList<>();
        collect(indices, cone, new LinkedHashSet<>(), new java.util.HashSet<>());
        for (Node n : cone) {
            if (!n.op().equals("onnx.Add")) continue;
            for (Value o : n.operands()) {
                if (!o.isConstant() || !o.tensorType().isStatic()) continue;
                long[] s = o.tensorType().shape();
                int axis = -1;
                for (int d = 0; d < s.length; d++) {
                    if (s[d] == 1) continue;
                    if (axis >= 0) return "";
                    axis = d;
                }
                return axis < 0 ? "" : " axis " + axis;
            }
        }
        return "";
    }

    /** Whether {@code op} computes part of {@code v}. */
    private static boolean reads(Value v, String op) {
        List<Node> cone = new ArrayList<>();
        collect(v, cone, new LinkedHashSet<>(), new java.util.HashSet<>());
        return cone.stream().anyMatch(n -> n.op().equals(op));
    }

    private static void collect(Value v, List<Node> cone, Set<Value> parts, Set<Node> seen) {
        if (v.isAbsent()) return;
        if (v.isConstant()) {
            parts.add(v);
            return;
        }
        Node p = v.producer();
        if (p == null || !seen.add(p)) return;
        for (Value o : p.operands()) collect(o, cone, parts, seen);
        cone.add(p);
    }

    /** A float constant table, possibly reshaped: Pare stores LUTs as [luts, 2^nbits(, cluster_dim)]. */
    private static boolean isLutTable(Value v) {
        Value t = lutTable(v);
        return t.isConstant() && t.data() != null && t.data().dtype().isFloatingPoint();
    }

    private static Value lutTable(Value v) {
        if (!v.isConstant() && v.producer() != null && v.producer().op().equals("onnx.Reshape")) return v.producer().operand(0);
        return v;
    }

    private static String pareGranularity(Node n) {
        Value data = n.operand(0);
        Value scale = n.operand(1);
        if (!data.tensorType().isStatic() || !scale.tensorType().isStatic()) return "";
        long[] d = data.tensorType().shape();
        long[] s = scale.tensorType().shape();
        List<Integer> varying = new ArrayList<>();
        for (int i = 0; i < s.length; i++) if (s[i] != 1) varying.add(i);
        if (varying.isEmpty()) return "per-tensor";
        if (varying.size() == 1 && s[varying.get(0)] == d[varying.get(0)]) return "per-channel axis " + varying.get(0);
        List<Long> given = n.attributes().get("block_sizes").orElse(null) instanceof dev.pare.ir.Attribute.IntsAttr a
                ? a.values() : null;
        StringBuilder sb = new StringBuilder("per-block ");
        for (int i = 0; i < d.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(given != null ? given.get(i) : (d[i] + s[i] - 1) / s[i]);
        }
        return sb.toString();
    }

    private static String onnxGranularity(Node n) {
        Value scale = n.operand(1);
        if (!scale.tensorType().hasRank()) return "";
        int rank = scale.tensorType().rank();
        if (rank == 0) return "per-tensor";
        long blockSize = n.attributes().getInt("block_size", 0);
        long axis = n.attributes().getInt("axis", 1);
        if (blockSize > 0) return "per-block axis " + axis + " size " + blockSize;
        return "per-channel axis " + axis;
    }

    /** Zeros of the mask-based ONNX decode: 1 − kept/elements, kept from the values or the packed mask. */
    private static double onnxSparsity(List<Node> cone, TensorType t) {
        long count = t.elementCount();
        for (Node n : cone) {
            if (n.op().equals("onnx.Gather") && n.operand(0).isConstant() && n.operand(0).tensorType().rank() == 1
                    && cone.stream().anyMatch(c -> c.op().equals("onnx.CumSum"))) {
                return count == 0 ? 0 : 1.0 - (double) n.operand(0).tensorType().shape()[0] / count;
            }
        }
        for (Node n : cone) {
            if (!n.op().equals("onnx.Where")) continue;
            List<Node> condCone = new ArrayList<>();
            Set<Value> condParts = new LinkedHashSet<>();
            collect(n.operand(0), condCone, condParts, new java.util.HashSet<>());
            for (Value p : condParts) {
                if (p.data() != null && p.data().dtype() == DType.UINT8 && p.tensorType().rank() == 2) {
                    long ones = 0;
                    ByteBuffer b = p.data().bytes();
                    while (b.hasRemaining()) ones += Integer.bitCount(b.get() & 0xFF);
                    return count == 0 ? 0 : 1.0 - (double) ones / count;
                }
            }
        }
        return -1;
    }

    private static double zeros(TensorData mask) {
        long n = mask.elementCount();
        if (n == 0) return 0;
        ByteBuffer b = mask.bytes();
        long kept = 0;
        if (mask.dtype() == DType.UINT1) {
            for (long i = 0; i < n; i++) kept += SubByte.get(b, DType.UINT1, i);
        } else {
            for (int i = 0; i < n; i++) if (b.get(i) != 0) kept++;
        }
        return 1.0 - (double) kept / n;
    }

    private static List<Long> shape(TensorType t) {
        List<Long> s = new ArrayList<>();
        for (long d : t.shape()) s.add(d);
        return s;
    }

    private static long denseBytes(TensorType t) { return t.byteSize().orElse(0); }
}
