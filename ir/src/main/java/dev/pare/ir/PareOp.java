package dev.pare.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ops of the {@code pare} dialect (ir/PARE_DIALECT.md), each defined once: its name, operand
 * count, the type rules of its operands, attributes and result ({@link #check}, run by the IR
 * {@code Verifier} after every pass), and, for the weight ops, its reference evaluator
 * ({@link PareDialectEvaluator}, used by {@code decompress_weights}, the MIL interpreter and the
 * writers that expand a weight). Type rules are checked where the types are known: a dynamic
 * dimension or an unknown element type is not an error here.
 */
public enum PareOp {

    AFFINE_DEQUANTIZE(PareDialectEvaluator.AFFINE_DEQUANTIZE, 2, 3, true) {
        @Override void checkTypes(Node n, List<String> out) {
            TensorType data = type(n, 0), scale = type(n, 1), zp = n.operands().size() == 3 ? type(n, 2) : null;
            if (known(data) && !data.dtype().isInteger() && !FLOATS.contains(data.dtype())) {
                out.add("data must be an integer, f32 or f16 tensor, got " + data);
            }
            if (known(scale) && !FLOATS.contains(scale.dtype())) out.add("scale must be f32 or f16, got " + scale);
            if (ranked(data) && ranked(scale)) {
                if (scale.rank() != data.rank()) {
                    out.add("scale " + scale + " must have the rank of data " + data);
                } else if (data.isStatic() && scale.isStatic()) {
                    long[] d = data.shape(), s = scale.shape();
                    for (int i = 0; i < d.length; i++) {
                        if (s[i] < 1 || (d[i] > 0 && s[i] > d[i])) out.add("scale " + scale + " does not fit data " + data + " on axis " + i);
                    }
                }
            }
            if (zp != null) {
                if (known(zp) && known(data) && zp.dtype() != data.dtype()) {
                    out.add("zero_point " + zp + " must have the data's type " + data.dtype().shortName());
                }
                if (zp.isStatic() && scale.isStatic() && !Arrays.equals(zp.shape(), scale.shape())) {
                    out.add("zero_point " + zp + " must have the scale's shape " + scale);
                }
            }
            Attribute blocks = n.attributes().get("block_sizes").orElse(null);
            if (blocks != null && !(blocks instanceof Attribute.IntsAttr)) {
                out.add("block_sizes must be a list of ints");
            } else if (blocks != null && ranked(data) && ((Attribute.IntsAttr) blocks).values().size() != data.rank()) {
                out.add("block_sizes has " + ((Attribute.IntsAttr) blocks).values().size() + " entries for rank " + data.rank());
            }
            checkResult(n, known(scale) ? scale.dtype() : null, data, out);
        }
    },

    LUT_TO_DENSE(PareDialectEvaluator.LUT_TO_DENSE, 2, 2, true) {
        @Override void checkTypes(Node n, List<String> out) {
            TensorType indices = type(n, 0), lut = type(n, 1);
            if (known(indices) && !LutBits.isIndexType(indices.dtype())) {
                out.add("indices must be " + LutBits.describeTypes() + ", got " + indices);
            }
            if (known(lut) && !FLOATS.contains(lut.dtype())) out.add("lut must be f32 or f16, got " + lut);
            Attribute va = n.attributes().get("vector_axis").orElse(null);
            if (va != null && !(va instanceof Attribute.IntAttr)) out.add("vector_axis must be an int");
            if (!ranked(indices) || !ranked(lut)) return;
            int r = indices.rank();
            if (lut.rank() != r + 2) {
                out.add("lut " + lut + " must have rank " + (r + 2) + " ([groups per axis..., 2^bits, cluster_dim]) for indices " + indices);
                return;
            }
            if (!indices.isStatic() || !lut.isStatic()) return;
            long[] is = indices.shape(), ls = lut.shape();
            if (known(indices) && LutBits.isIndexType(indices.dtype()) && ls[r] != 1L << indices.dtype().bits()) {
                out.add("lut " + lut + " must hold " + (1L << indices.dtype().bits()) + " entries for " + indices.dtype().shortName() + " indices");
            }
            long cd = ls[r + 1];
            if (cd < 1) out.add("lut " + lut + " has an empty vector size");
            for (int d = 0; d < r; d++) {
                if (ls[d] < 1 || is[d] % ls[d] != 0) out.add(ls[d] + " luts do not divide axis " + d + " of indices " + indices);
            }
            long[] dense = is.clone();
            if (cd > 1) {
                if (!(va instanceof Attribute.IntAttr a)) {
                    out.add("a vector lut " + lut + " needs vector_axis");
                    return;
                }
                long axis = a.value() < 0 ? a.value() + r : a.value();
                if (axis < 0 || axis >= r) {
                    out.add("vector_axis " + a.value() + " is out of range for rank " + r);
                    return;
                }
                dense[(int) axis] *= cd;
            }
            checkResult(n, known(lut) ? lut.dtype() : null, TensorType.of(indices.dtype(), dense), out);
        }
    },

    SPARSE_TO_DENSE(PareDialectEvaluator.SPARSE_TO_DENSE, 2, 2, true) {
        @Override void checkTypes(Node n, List<String> out) {
            TensorType mask = type(n, 0), values = type(n, 1);
            if (known(mask) && mask.dtype() != DType.UINT1) out.add("mask must be u1, got " + mask);
            if (known(values) && !FLOATS.contains(values.dtype())) out.add("values must be f32 or f16, got " + values);
            if (ranked(mask) && ranked(values) && values.rank() != 1 && values.rank() != mask.rank()) {
                out.add("values " + values + " must be 1-D (the kept values) or have the mask's shape " + mask);
            } else if (mask.isStatic() && values.isStatic() && values.rank() == mask.rank() && values.rank() != 1
                    && !Arrays.equals(values.shape(), mask.shape())) {
                out.add("values " + values + " must be 1-D (the kept values) or have the mask's shape " + mask);
            }
            checkResult(n, known(values) ? values.dtype() : null, mask, out);
        }
    },

    QUANTIZE("pare.quantize", 3, 3, false) {
        @Override void checkTypes(Node n, List<String> out) {
            TensorType x = type(n, 0);
            if (known(x) && !FLOATS.contains(x.dtype())) out.add("x must be f32 or f16, got " + x);
            checkScaleAndZeroPoint(n, x, out);
            TensorType zp = type(n, 2);
            checkResult(n, known(zp) ? zp.dtype() : null, x, out);
        }
    },

    DEQUANTIZE("pare.dequantize", 3, 3, false) {
        @Override void checkTypes(Node n, List<String> out) {
            TensorType q = type(n, 0), zp = type(n, 2), scale = type(n, 1);
            if (known(q) && known(zp) && q.dtype() != zp.dtype()) out.add("q " + q + " must have the zero point's type " + zp.dtype().shortName());
            checkScaleAndZeroPoint(n, q, out);
            checkResult(n, known(scale) ? scale.dtype() : null, q, out);
        }
    };

    private static final Set<DType> FLOATS = EnumSet.of(DType.FLOAT32, DType.FLOAT16);
    private static final Set<DType> CODES = EnumSet.of(DType.INT8, DType.UINT8);

    private final String opName;
    private final int minOperands;
    private final int maxOperands;
    private final boolean weightOp;

    PareOp(String opName, int minOperands, int maxOperands, boolean weightOp) {
        this.opName = opName;
        this.minOperands = minOperands;
        this.maxOperands = maxOperands;
        this.weightOp = weightOp;
    }

    /** The op name in the IR, e.g. {@code pare.lut_to_dense}. */
    public String opName() { return opName; }

    /**
     * Whether this op decodes a compressed weight from constant operands (and so has a reference
     * evaluator and can be folded by {@code decompress_weights}); false for the activation ops.
     */
    public boolean isWeightOp() { return weightOp; }

    /** The definition of {@code op}, if it is a {@code pare} op. */
    public static Optional<PareOp> of(String op) {
        for (PareOp p : values()) if (p.opName.equals(op)) return Optional.of(p);
        return Optional.empty();
    }

    /** Whether {@code op} names one of the weight ops (affine dequantize, lut, sparse). */
    public static boolean isWeightOp(String op) {
        return of(op).map(PareOp::isWeightOp).orElse(false);
    }

    /**
     * The rules {@code n} (a node of this op) breaks, one line each, empty if none. Names the
     * node so a verifier problem can be read alone.
     */
    public List<String> check(Node n) {
        List<String> out = new ArrayList<>();
        int k = n.operands().size();
        if (k < minOperands || k > maxOperands) {
            out.add(minOperands == maxOperands ? "takes " + minOperands + " operands, got " + k
                    : "takes " + minOperands + " to " + maxOperands + " operands, got " + k);
        } else if (n.results().size() != 1) {
            out.add("has one result, got " + n.results().size());
        } else {
            for (int i = 0; i < minOperands; i++) if (n.operand(i).isAbsent()) out.add("operand " + i + " must not be absent");
            if (out.isEmpty()) checkTypes(n, out);
        }
        List<String> named = new ArrayList<>(out.size());
        for (String s : out) named.add(opName + " '" + n.name() + "': " + s);
        return named;
    }

    /**
     * The dense weight this op decodes from constant operand data ({@code null} for an absent
     * optional operand); throws {@link IllegalArgumentException} naming the operand that breaks a rule.
     */
    public TensorData evaluate(List<TensorData> operands, Attributes attributes) {
        if (!weightOp) throw new IllegalArgumentException(opName + " is not a weight op; it has no constant evaluation");
        return PareDialectEvaluator.evaluate(opName, operands, attributes);
    }

    abstract void checkTypes(Node n, List<String> out);

    /** Scale (f32/f16, scalar or 1-D) and zero point (int8/uint8, scale's shape) of quantize/dequantize. */
    static void checkScaleAndZeroPoint(Node n, TensorType x, List<String> out) {
        TensorType scale = type(n, 1), zp = type(n, 2);
        if (known(scale) && !FLOATS.contains(scale.dtype())) out.add("scale must be f32 or f16, got " + scale);
        if (known(zp) && !CODES.contains(zp.dtype())) out.add("zero_point must be i8 or u8, got " + zp);
        if (ranked(scale) && scale.rank() > 1) out.add("scale " + scale + " must be a scalar or 1-D");
        if (scale.isStatic() && zp.isStatic() && !Arrays.equals(scale.shape(), zp.shape())) {
            out.add("zero_point " + zp + " must have the scale's shape " + scale);
        }
        Attribute axis = n.attributes().get("axis").orElse(null);
        if (axis != null) {
            if (!(axis instanceof Attribute.IntAttr a)) {
                out.add("axis must be an int");
            } else if (ranked(scale) && scale.rank() != 1) {
                out.add("axis is only for a 1-D scale, got " + scale);
            } else if (ranked(x) && (a.value() < -x.rank() || a.value() >= x.rank())) {
                out.add("axis " + a.value() + " is out of range for rank " + x.rank());
            }
        }
    }

    /** The result has element type {@code dtype} (when known) and the dims of {@code shaped} (when both are static). */
    static void checkResult(Node n, DType dtype, TensorType shaped, List<String> out) {
        TensorType r = n.result(0).tensorType();
        if (known(r) && dtype != null && r.dtype() != dtype) {
            out.add("result " + r + " must have element type " + dtype.shortName());
        }
        if (r.isStatic() && shaped != null && shaped.isStatic() && !Arrays.equals(r.shape(), shaped.shape())) {
            out.add("result " + r + " must have shape " + Elements.shape(shaped.shape()));
        }
    }

    static TensorType type(Node n, int i) {
        Value v = n.operand(i);
        return v.isAbsent() ? TensorType.unknown() : v.tensorType();
    }

    static boolean known(TensorType t) { return t != null && t.dtype() != DType.UNDEFINED; }

    static boolean ranked(TensorType t) { return t != null && t.hasRank(); }
}
