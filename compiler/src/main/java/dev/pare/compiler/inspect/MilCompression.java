package dev.pare.compiler.inspect;

import dev.pare.ir.WeightHistory;
import dev.pare.ir.DType;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How Core ML Tools compressed a weight, told from the chain of {@code mil.constexpr_*} ops that
 * decodes it: only op types and the parameters' dtypes and shapes are looked at (and the first
 * element of an {@code axis} scalar), never the weight bytes. Parameters are found by name
 * ({@link MilParams}), so the iOS16 and iOS18 forms of an op both work.
 */
final class MilCompression {

    private MilCompression() {}

    /** Parameters of constexpr ops that describe the layout rather than hold weight data. */
    static final Set<String> LAYOUT_PARAMS = Set.of("axis", "vector_axis", "output_dtype", "shape");

    static boolean isConstexpr(Node n) {
        return n.op().startsWith("mil.constexpr_");
    }

    /** The compressed weight {@code root} decodes through {@code cone}, or null if the chain is only a cast. */
    static CompressedWeight describe(String path, Value root, List<Node> cone, List<Value> parts) {
        TensorType t = root.tensorType();
        boolean sparse = false;
        boolean lut = false;
        boolean affine = false;
        boolean scale = false;
        int nbits = 0;
        long luts = 0;
        int clusterDim = 0;
        String granularity = "";
        double sparsity = -1;
        boolean ios18 = false;
        List<String> phrases = new ArrayList<>();
        List<String> ops = new ArrayList<>();
        for (Node n : cone) {
            if (!isConstexpr(n)) continue;
            String type = n.opType();
            ops.add(type);
            boolean iOS16Form = MilParams.get(n, "shape").isPresent();
            switch (type) {
                case "constexpr_lut_to_dense":
                case "constexpr_lut_to_sparse": {
                    lut = true;
                    Value indices = param(n, type.endsWith("sparse") ? "indices_nonzero_data" : "indices");
                    Value table = param(n, "lut");
                    long[] ls = shape(table);
                    int bits;
                    if (iOS16Form) {
                        bits = ls.length == 1 ? log2(ls[0]) : 0;
                        luts = 1;
                        clusterDim = 1;
                        granularity = "per-tensor";
                    } else {
                        ios18 = true;
                        bits = indices == null ? 0 : indices.tensorType().dtype().bits();
                        luts = 1;
                        int grouped = -1;
                        for (int d = 0; d + 2 < ls.length; d++) {
                            luts *= ls[d];
                            if (ls[d] > 1 && grouped < 0) grouped = d;
                        }
                        clusterDim = ls.length >= 2 ? (int) ls[ls.length - 1] : 1;
                        granularity = grouped < 0 ? "per-tensor" : "grouped axis " + grouped;
                    }
                    nbits = Math.max(nbits, bits);
                    String p = "palettized " + bits + "-bit";
                    if (luts > 1) p += " " + granularity + " (" + luts + " LUTs)";
                    if (clusterDim > 1) p += " vector " + clusterDim;
                    phrases.add(p);
                    break;
                }
                case "constexpr_affine_dequantize": {
                    affine = true;
                    Value data = param(n, "quantized_data");
                    Value s = param(n, "scale");
                    DType dt = data == null ? DType.UNDEFINED : data.tensorType().dtype();
                    nbits = Math.max(nbits, dt.bits());
                    long scales = s == null || !s.tensorType().isStatic() ? 1 : s.tensorType().elementCount();
                    granularity = scales <= 1 ? "per-tensor" : "per-channel axis " + axis(n);
                    phrases.add(typeName(dt) + " " + (scales <= 1 ? "per-tensor" : "per-channel"));
                    break;
                }
                case "constexpr_blockwise_shift_scale":
                case "constexpr_sparse_blockwise_shift_scale": {
                    ios18 = true;
                    boolean sparseForm = type.startsWith("constexpr_sparse");
                    Value data = param(n, sparseForm ? "nonzero_data" : "data");
                    Value shapeOf = sparseForm ? param(n, "data_mask") : data;
                    DType dt = data == null ? DType.UNDEFINED : data.tensorType().dtype();
                    String g = blockGranularity(shapeOf, param(n, "scale"));
                    if (dt.isFloatingPoint()) {
                        scale = true;
                        phrases.add(g + " scale");
                    } else if (feedsLut(n)) {
                        phrases.add(typeName(dt) + " LUT");
                    } else {
                        affine = true;
                        nbits = Math.max(nbits, dt.bits());
                        granularity = g;
                        phrases.add(typeName(dt) + " " + g);
                    }
                    break;
                }
                case "constexpr_sparse_to_dense": {
                    sparse = true;
                    if (!iOS16Form) ios18 = true;
                    Value values = param(n, "nonzero_data");
                    long count = t.isStatic() ? t.elementCount() : 0;
                    if (values != null && values.tensorType().isStatic() && values.tensorType().rank() == 1 && count > 0) {
                        sparsity = 1.0 - (double) values.tensorType().shape()[0] / count;
                    }
                    phrases.add(sparsity < 0 ? "sparse" : String.format(java.util.Locale.ROOT, "sparse %.0f%%", sparsity * 100));
                    break;
                }
                case "constexpr_cast":
                    phrases.add("fp16 stored");
                    break;
                default:
                    phrases.add(type.substring("constexpr_".length()));
            }
        }
        if (!(sparse || lut || affine)) return null;
        List<String> kinds = new ArrayList<>();
        if (sparse) kinds.add("sparse");
        if (lut) kinds.add("lut");
        if (affine) kinds.add("affine");
        if (scale) kinds.add("scale");
        List<String> outerFirst = new ArrayList<>(phrases);
        java.util.Collections.reverse(outerFirst);
        String method = String.join(" + ", outerFirst) + " (" + String.join(" -> ", ops)
                + (ios18 ? ", iOS18" : ", iOS16") + ")";
        long stored = 0;
        List<String> names = new ArrayList<>();
        for (Value p : parts) {
            TensorData d = p.data();
            if (d == null) continue;
            stored += d.byteSize();
            names.add(p.name());
        }
        List<Long> shape = new ArrayList<>();
        for (long d : t.shape()) shape.add(d);
        return new CompressedWeight(path, root.name(), shape, t.dtype(), String.join("+", kinds), nbits, luts,
                clusterDim, granularity, sparsity, t.byteSize().orElse(0), stored, names, method,
                root.metadata().getOrDefault(WeightHistory.DECOMPRESSED_FROM, ""));
    }

    /** {@code int8}, {@code uint4}: as Core ML Tools names quantized types. */
    private static String typeName(DType d) {
        return d.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Value param(Node n, String name) {
        return MilParams.get(n, name).orElse(null);
    }

    private static long[] shape(Value v) {
        return v == null || !v.tensorType().hasRank() ? new long[0] : v.tensorType().shape();
    }

    private static int log2(long entries) {
        return 63 - Long.numberOfLeadingZeros(Math.max(1, entries));
    }

    /** The {@code axis} parameter's value (iOS16 affine dequantize), 0 if it cannot be read. */
    private static long axis(Node n) {
        Value a = param(n, "axis");
        if (a == null || !a.isConstant() || a.data() == null || a.data().elementCount() != 1) return 0;
        ByteBuffer b = a.data().bytes();
        DType d = a.data().dtype();
        return d == DType.INT32 ? b.getInt(0) : d == DType.INT64 ? b.getLong(0) : 0;
    }

    /** Whether {@code n}'s result is the {@code lut} of a palettization op (a quantized LUT). */
    private static boolean feedsLut(Node n) {
        for (Value r : n.results()) {
            for (Value.Use u : r.uses()) {
                List<String> names = MilParams.names(u.user());
                if (u.operandIndex() < names.size() && names.get(u.operandIndex()).equals("lut")) return true;
            }
        }
        return false;
    }

    /** per-tensor, per-channel axis d, or per-block BxB… from the data and scale shapes (same rank). */
    private static String blockGranularity(Value data, Value scale) {
        if (data == null || scale == null || !data.tensorType().isStatic() || !scale.tensorType().isStatic()) return "";
        long[] d = data.tensorType().shape();
        long[] s = scale.tensorType().shape();
        if (d.length != s.length) return "";
        List<Integer> varying = new ArrayList<>();
        for (int i = 0; i < s.length; i++) if (s[i] != 1) varying.add(i);
        if (varying.isEmpty()) return "per-tensor";
        if (varying.size() == 1 && s[varying.get(0)] == d[varying.get(0)]) return "per-channel axis " + varying.get(0);
        StringBuilder sb = new StringBuilder("per-block ");
        for (int i = 0; i < d.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(s[i] == 0 ? d[i] : d[i] / s[i]);
        }
        return sb.toString();
    }
}
