package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's own ops, which a model saved after ONNX Runtime's graph optimizations holds
 * (the corpus's Swin2SR): {@code com.microsoft} FusedMatMul, Gelu, DynamicQuantizeMatMul and
 * MatMulIntegerToFloat, and SimplifiedLayerNormalization (RMS normalization, which ONNX Runtime
 * registers under the default domain's name). Each is lowered with the arithmetic of ONNX
 * Runtime's CPU kernel, in the same order of float32 roundings where MIL can express it.
 */
final class ContribLowerings {

    private ContribLowerings() {}

    private static final String MS = "com.microsoft.";

    static void register(Map<String, Lowering> m) {
        m.put(MS + "FusedMatMul", ContribLowerings::fusedMatMul);
        m.put(MS + "Gelu", ContribLowerings::gelu);
        m.put("SimplifiedLayerNormalization", ContribLowerings::simplifiedLayerNorm);
        m.put(MS + "DynamicQuantizeMatMul", ContribLowerings::dynamicQuantizeMatMul);
        m.put(MS + "MatMulIntegerToFloat", ContribLowerings::matMulIntegerToFloat);
    }

    /**
     * alpha · op(A) · op(B), op = a transpose of the last two axes where transA / transB is set:
     * MIL matmul with transpose_x / transpose_y, then a mul by alpha (ONNX Runtime's GEMM scales
     * each finished sum by alpha, one rounding, as the mul does).
     */
    private static List<Value> fusedMatMul(OnnxOp op) {
        for (String batch : new String[] {"transBatchA", "transBatchB"}) {
            if (op.attrInt(batch, 0) != 0) throw op.fail(batch + "=1 (moving a batch axis into the product) has no lowering");
        }
        boolean transA = op.attrInt("transA", 0) != 0;
        boolean transB = op.attrInt("transB", 0) != 0;
        if (transA && op.rank(0) < 2) throw op.fail("transA=1 needs A of rank >= 2, got rank " + op.rank(0));
        if (transB && op.rank(1) < 2) throw op.fail("transB=1 needs B of rank >= 2, got rank " + op.rank(1));
        float alpha = op.attrFloat("alpha", 1f);
        Value y = op.e.op("matmul", alpha == 1f ? op.e.out(0) : op.e.tmp("product"), "x", op.in(0), "y", op.in(1),
                "transpose_x", transA, "transpose_y", transB);
        if (alpha == 1f) return OnnxOp.one(y);
        return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", y, "y", op.floatLike(y, op.e.tmp("alpha"), alpha)));
    }

    /** com.microsoft.Gelu is the erf form, 0.5 · x · (1 + erf(x / √2)): MIL gelu mode EXACT. */
    private static List<Value> gelu(OnnxOp op) {
        DType d = op.type(0).dtype();
        if (d != DType.FLOAT32 && d != DType.FLOAT16) throw op.fail("x must be a float tensor, got " + d.shortName());
        return OnnxOp.one(op.e.op("gelu", op.e.out(0), "x", op.in(0), "mode", "EXACT"));
    }

    /**
     * RMS normalization over the axes from {@code axis} on, as ONNX Runtime's kernel computes it
     * in float32: y = x / sqrt(mean(x²) + epsilon) · scale, i.e. {@code mul}, {@code reduce_mean},
     * {@code add}, {@code sqrt}, {@code real_div}, {@code mul} (a divide, not a multiply by rsqrt,
     * so that the roundings are ONNX Runtime's).
     */
    private static List<Value> simplifiedLayerNorm(OnnxOp op) {
        for (int i = 1; i < op.node.results().size(); i++) {
            Value r = op.node.result(i);
            if (!r.isAbsent() && (r.hasUses() || r.graph().isOutput(r))) throw op.fail("the inv_std_var output has no MIL form");
        }
        if (op.attrInt("stash_type", 1) != 1) throw op.fail("stash_type " + op.attrInt("stash_type", 1) + " is not 1 (float32)");
        Value x = op.in(0);
        if (x.tensorType().dtype() != DType.FLOAT32) throw op.fail("x must be float32, got " + x.tensorType().dtype().shortName());
        int rank = op.rank(0);
        long axis = op.axis(op.attrInt("axis", -1), rank);
        long[] axes = new long[rank - (int) axis];
        for (int i = 0; i < axes.length; i++) axes[i] = axis + i;
        List<Dim> normalized = op.dims(0).subList((int) axis, rank);
        List<Dim> scale = op.dims(1);
        if (!normalized.subList(Math.max(0, normalized.size() - scale.size()), normalized.size()).equals(scale) || scale.size() > normalized.size()) {
            throw op.fail("scale " + op.type(1) + " does not match the normalized dimensions " + new TensorType(DType.FLOAT32, normalized));
        }
        Value squares = op.e.op("mul", op.e.tmp("squares"), "x", x, "y", x);
        Value mean = op.e.op("reduce_mean", op.e.tmp("mean_square"), "x", squares, "axes", axes, "keep_dims", true);
        Value shifted = op.e.op("add", op.e.tmp("mean_square_eps"), "x", mean, "y", op.floatLike(x, op.e.tmp("epsilon"), op.attrFloat("epsilon", 1e-5f)));
        Value rms = op.e.op("sqrt", op.e.tmp("rms"), "x", shifted);
        Value normed = op.e.op("real_div", op.e.tmp("normalized"), "x", x, "y", rms);
        return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", normed, "y", op.in(1)));
    }

    /**
     * A quantized dynamically to uint8 (DynamicQuantizeLinear's arithmetic, which ONNX Runtime's
     * kernel shares), the exact integer product with B minus its zero points, then ONNX Runtime's
     * output step: float(sum) · (a_scale · b_scale), then + bias.
     */
    private static List<Value> dynamicQuantizeMatMul(OnnxOp op) {
        Value a = op.in(0);
        Value[] q = QuantizedLowerings.quantizeDynamically(op, a, op.e.tmp("a_codes"), op.e.tmp("a_scale"), op.e.tmp("a_zero_point"));
        Value centered = op.e.op("sub", op.e.tmp("a_centered"), "x", q[0], "y", q[2]);
        return rescale(op, centered, q[1], 2, 3, 4);
    }

    /** (A − a_zp)(B − b_zp) as exact integers, then float(sum) · (a_scale · b_scale) + bias, as ONNX Runtime. */
    private static List<Value> matMulIntegerToFloat(OnnxOp op) {
        if (!QuantizedLowerings.scalar(op, 2)) throw op.fail("a_scale must be one value (per tensor), got " + op.type(2));
        if (op.present(4) && !QuantizedLowerings.scalar(op, 4)) throw op.fail("a_zero_point must be one value (per tensor), got " + op.type(4));
        DType aType = op.type(0).dtype();
        if (aType != DType.UINT8 && aType != DType.INT8 && aType != DType.FLOAT32) {
            throw op.fail("A must be uint8 or int8, got " + aType.shortName());
        }
        Value centered = QuantizedLowerings.minusZeroPoint(op, QuantizedLowerings.asFloat(op, 0, "a"), 4, "a");
        return rescale(op, centered, op.in(2), 3, 5, 6);
    }

    /** The shared tail: integer product, times a_scale · b_scale (per tensor or per column of B), plus bias. */
    private static List<Value> rescale(OnnxOp op, Value centeredA, Value aScale, int bScaleIndex, int bZpIndex, int biasIndex) {
        DType bType = op.raw(1).tensorType().dtype();
        if (bType != DType.UINT8 && bType != DType.INT8) throw op.fail("B must be uint8 or int8, got " + bType.shortName());
        long n = lastDim(op, 1);
        TensorType bScale = op.type(bScaleIndex);
        boolean perTensor = QuantizedLowerings.scalar(op, bScaleIndex);
        if (!perTensor && !(bScale.isStatic() && bScale.shape().length == 1 && bScale.shape()[0] == n)) {
            throw op.fail("b_scale must be one value or one per column of B (" + n + "), got " + bScale);
        }
        Value sum = QuantizedLowerings.integerMatmul(op, centeredA, op.rank(0), 1, bZpIndex, op.e.tmp("sum"));
        Value multiplier = op.e.op("mul", op.e.tmp("multiplier"), "x", aScale, "y", op.in(bScaleIndex));
        boolean bias = op.present(biasIndex);
        Value y = op.e.op("mul", bias ? op.e.tmp("scaled") : op.e.out(0), "x", sum, "y", multiplier);
        if (!bias) return OnnxOp.one(y);
        return OnnxOp.one(op.e.op("add", op.e.out(0), "x", y, "y", op.in(biasIndex)));
    }

    private static long lastDim(OnnxOp op, int i) {
        List<Dim> d = op.dims(i);
        if (d.isEmpty() || !(d.get(d.size() - 1) instanceof Dim.Fixed f)) throw op.needsStaticShape(i, "B needs a static last dimension");
        return f.size();
    }
}
