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
        m.put(MS + "BiasGelu", op -> biasedGelu(op, "EXACT"));
        m.put(MS + "FastGelu", op -> biasedGelu(op, "TANH_APPROXIMATION"));
        m.put("SimplifiedLayerNormalization", ContribLowerings::simplifiedLayerNorm);
        m.put(MS + "DynamicQuantizeMatMul", ContribLowerings::dynamicQuantizeMatMul);
        m.put(MS + "MatMulIntegerToFloat", ContribLowerings::matMulIntegerToFloat);
        m.put(MS + "SkipLayerNormalization", op -> skipLayerNorm(op, false));
        m.put(MS + "SkipSimplifiedLayerNormalization", op -> skipLayerNorm(op, true));
        m.put(MS + "RotaryEmbedding", ContribLowerings::rotaryEmbedding);
    }

    /**
     * alpha · op(A) · op(B), op = a transpose of the last two axes where transA / transB is set:
     * MIL matmul with transpose_x / transpose_y, then a mul by alpha (ONNX Runtime's GEMM scales
     * each finished sum by alpha, one rounding, as the mul does). transBatchA / transBatchB = 1
     * read the operand [d0, b1, ..., bn, dn] as [b1, ..., bn, d0, dn] first (ONNX Runtime's
     * MatMulComputeHelper swaps its leading axis behind the batch axes; both operands then need the
     * same rank, at least 3): one MIL transpose per such operand, with transA / transB folded into
     * its permutation.
     */
    private static List<Value> fusedMatMul(OnnxOp op) {
        boolean transA = op.attrInt("transA", 0) != 0;
        boolean transB = op.attrInt("transB", 0) != 0;
        boolean batchA = op.attrInt("transBatchA", 0) != 0;
        boolean batchB = op.attrInt("transBatchB", 0) != 0;
        if ((batchA || batchB) && (op.rank(0) < 3 || op.rank(0) != op.rank(1))) {
            throw op.fail((batchA ? "transBatchA" : "transBatchB") + "=1 needs A and B of the same rank >= 3, got ranks "
                    + op.rank(0) + " and " + op.rank(1));
        }
        if (transA && op.rank(0) < 2) throw op.fail("transA=1 needs A of rank >= 2, got rank " + op.rank(0));
        if (transB && op.rank(1) < 2) throw op.fail("transB=1 needs B of rank >= 2, got rank " + op.rank(1));
        float alpha = op.attrFloat("alpha", 1f);
        Value a = batchA ? batchTransposed(op, 0, transA, "a") : op.in(0);
        Value b = batchB ? batchTransposed(op, 1, transB, "b") : op.in(1);
        Value y = op.e.op("matmul", alpha == 1f ? op.e.out(0) : op.e.tmp("product"), "x", a, "y", b,
                "transpose_x", transA && !batchA, "transpose_y", transB && !batchB);
        if (alpha == 1f) return OnnxOp.one(y);
        return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", y, "y", op.floatLike(y, op.e.tmp("alpha"), alpha)));
    }

    /**
     * Operand {@code i} [d0, b1, ..., bn, dn] as the matrices FusedMatMul multiplies with
     * transBatch set: [b1, ..., bn, d0, dn], or [b1, ..., bn, dn, d0] when it is also transposed.
     */
    private static Value batchTransposed(OnnxOp op, int i, boolean transposed, String hint) {
        int rank = op.rank(i);
        long[] perm = new long[rank];
        for (int d = 0; d < rank - 2; d++) perm[d] = d + 1;
        perm[rank - 2] = transposed ? rank - 1 : 0;
        perm[rank - 1] = transposed ? 0 : rank - 1;
        return op.e.op("transpose", op.e.tmp(hint + "_batch_transposed"), "x", op.in(i), "perm", perm);
    }

    /** com.microsoft.Gelu is the erf form, 0.5 · x · (1 + erf(x / √2)): MIL gelu mode EXACT. */
    private static List<Value> gelu(OnnxOp op) {
        DType d = op.type(0).dtype();
        if (d != DType.FLOAT32 && d != DType.FLOAT16) throw op.fail("x must be a float tensor, got " + d.shortName());
        return OnnxOp.one(op.e.op("gelu", op.e.out(0), "x", op.in(0), "mode", "EXACT"));
    }

    /**
     * com.microsoft BiasGelu (A + B, then the erf form) and FastGelu (X, optional bias, then the
     * tanh approximation 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))): an {@code add} of
     * the bias, rounded to the input's type as ONNX Runtime rounds it, then MIL gelu in that mode.
     */
    private static List<Value> biasedGelu(OnnxOp op, String mode) {
        // float32 only: that is what the lowering was checked against ONNX Runtime with
        DType d = op.type(0).dtype();
        if (d != DType.FLOAT32) throw op.fail("input must be float32, got " + d.shortName());
        Value x = op.in(0);
        if (op.present(1)) x = op.e.op("add", op.e.tmp("biased"), "x", x, "y", op.in(1));
        return OnnxOp.one(op.e.op("gelu", op.e.out(0), "x", x, "mode", mode));
    }

    /**
     * RMS normalization over the axes from {@code axis} on, as ONNX Runtime's kernel computes it
     * in float32: y = x / sqrt(mean(x²) + epsilon) · scale, i.e. {@code mul}, {@code reduce_mean},
     * {@code add}, {@code sqrt}, {@code real_div}, {@code mul} (a divide, not a multiply by rsqrt,
     * so that the roundings are ONNX Runtime's). float16 x and scale are cast to float32 first and
     * the result back to float16 once ({@link #float32Stats}), as ONNX Runtime's kernel does.
     */
    private static List<Value> simplifiedLayerNorm(OnnxOp op) {
        for (int i = 1; i < op.node.results().size(); i++) {
            Value r = op.node.result(i);
            if (!r.isAbsent() && (r.hasUses() || r.graph().isOutput(r))) throw op.fail("the inv_std_var output has no MIL form");
        }
        float32Stats(op, "x");
        Value x = op.in(0);
        int rank = op.rank(0);
        long axis = op.axis(op.attrInt("axis", -1), rank);
        long[] axes = new long[rank - (int) axis];
        for (int i = 0; i < axes.length; i++) axes[i] = axis + i;
        List<Dim> normalized = op.dims(0).subList((int) axis, rank);
        List<Dim> scale = op.dims(1);
        if (!normalized.subList(Math.max(0, normalized.size() - scale.size()), normalized.size()).equals(scale) || scale.size() > normalized.size()) {
            throw op.fail("scale " + op.type(1) + " does not match the normalized dimensions " + new TensorType(x.tensorType().dtype(), normalized));
        }
        boolean half = x.tensorType().dtype() == DType.FLOAT16;
        if (half) x = toFloat32(op, x, "x");
        Value squares = op.e.op("mul", op.e.tmp("squares"), "x", x, "y", x);
        Value mean = op.e.op("reduce_mean", op.e.tmp("mean_square"), "x", squares, "axes", axes, "keep_dims", true);
        Value shifted = op.e.op("add", op.e.tmp("mean_square_eps"), "x", mean, "y", op.floatLike(x, op.e.tmp("epsilon"), op.attrFloat("epsilon", 1e-5f)));
        Value rms = op.e.op("sqrt", op.e.tmp("rms"), "x", shifted);
        Value normed = op.e.op("real_div", op.e.tmp("normalized"), "x", x, "y", rms);
        Value y = op.e.op("mul", half ? op.e.tmp("scaled") : op.e.out(0), "x", normed, "y", half ? toFloat32(op, op.in(1), "scale") : op.in(1));
        return OnnxOp.one(half ? op.e.op("cast", op.e.out(0), "x", y, "dtype", "fp16") : y);
    }

    /**
     * Checks what a (Simplified)LayerNormalization's statistics need: x float32 or float16 with
     * the scale (and bias) of x's type, and stash_type 1. ONNX Runtime's CPU kernels compute the
     * mean and variance in float32 for float16 x too; so does the lowering, with x cast to float32:
     * in float16, x² overflows (65504) for |x| > 256, and the sum of a 768-wide row's squares once
     * the row's root mean square exceeds 9.2.
     * stash_type asks for those statistics in another type, which ONNX Runtime's CPU kernel does
     * not honour (it still uses float32), so the result would depend on the runtime: refused.
     */
    static void float32Stats(OnnxOp op, String xName) {
        DType d = op.type(0).dtype();
        if (d != DType.FLOAT32 && d != DType.FLOAT16) throw op.fail(xName + " must be float32 or float16, got " + d.shortName());
        for (int i = 1; i < op.inputs(); i++) {
            if (op.present(i) && op.type(i).dtype() != d) {
                throw op.fail("input " + i + " is " + op.type(i).dtype().shortName() + " and " + xName + " " + d.shortName()
                        + "; the lowering needs one element type (ONNX Runtime's CPU kernel too)");
            }
        }
        long stash = op.attrInt("stash_type", 1);
        if (stash != 1) {
            throw op.fail("stash_type " + stash + " (statistics in " + onnxTypeName(stash) + ") has no lowering, only 1 (float32): "
                    + "ONNX Runtime's CPU kernel computes them in float32 whatever the attribute says; re-export with stash_type=1");
        }
    }

    private static String onnxTypeName(long onnxType) {
        return switch ((int) onnxType) {
            case 10 -> "float16";
            case 11 -> "float64";
            case 16 -> "bfloat16";
            default -> "ONNX type " + onnxType;
        };
    }

    static Value toFloat32(OnnxOp op, Value v, String hint) {
        if (v.tensorType().dtype() == DType.FLOAT32) return v;
        return op.e.op("cast", op.e.tmp(hint + "_fp32"), "x", v, "dtype", "fp32");
    }

    /**
     * com.microsoft SkipLayerNormalization (inputs input, skip, gamma, beta, bias) and
     * SkipSimplifiedLayerNormalization (input, skip, gamma, bias): the residual sum input + skip
     * (+ bias), normalized over the last axis, times gamma (+ beta); the sum is also result 3
     * (input_skip_bias_sum, the next block's residual in ONNX Runtime's transformer exports). As
     * ONNX Runtime's CPU kernel (skip_layer_norm.cc): float16 operands are widened to float32, the
     * sum, statistics and result computed in float32, and the result and the sum each rounded to
     * float16 once. The statistics are the RMS form above (simplified) or MIL layer_norm.
     */
    private static List<Value> skipLayerNorm(OnnxOp op, boolean simplified) {
        for (int i = 1; i <= 2 && i < op.node.results().size(); i++) {
            Value r = op.node.result(i);
            if (!r.isAbsent() && (r.hasUses() || r.graph().isOutput(r))) throw op.fail("the mean and inv_std_var outputs have no MIL form");
        }
        float32Stats(op, "input");
        int rank = op.rank(0);
        if (rank < 2) throw op.fail("input must have rank >= 2, got rank " + rank);
        Dim hidden = op.dims(0).get(rank - 1);
        if (op.rank(2) != 1 || !op.dims(2).get(0).equals(hidden)) {
            throw op.fail("gamma " + op.type(2) + " must be 1-D of the hidden size " + hidden + " (the input's last dimension)");
        }
        int betaIndex = simplified ? -1 : 3;
        int biasIndex = simplified ? 3 : 4;
        boolean half = op.type(0).dtype() == DType.FLOAT16;
        boolean sumUsed = op.node.results().size() > 3 && !op.node.result(3).isAbsent();
        boolean bias = op.present(biasIndex);
        String sumName = sumUsed && !half ? op.e.out(3) : op.e.tmp("sum");
        Value sum = op.e.op("add", bias ? op.e.tmp("input_skip") : sumName, "x", toFloat32(op, op.in(0), "input"),
                "y", toFloat32(op, op.in(1), "skip"));
        if (bias) sum = op.e.op("add", sumName, "x", sum, "y", toFloat32(op, op.in(biasIndex), "bias"));
        long[] axes = {rank - 1};
        float epsilon = op.attrFloat("epsilon", 1e-12f);
        Value normed;
        if (simplified) {
            Value squares = op.e.op("mul", op.e.tmp("squares"), "x", sum, "y", sum);
            Value mean = op.e.op("reduce_mean", op.e.tmp("mean_square"), "x", squares, "axes", axes, "keep_dims", true);
            Value shifted = op.e.op("add", op.e.tmp("mean_square_eps"), "x", mean, "y", op.floatLike(sum, op.e.tmp("epsilon"), epsilon));
            Value rms = op.e.op("sqrt", op.e.tmp("rms"), "x", shifted);
            normed = op.e.op("real_div", op.e.tmp("normalized"), "x", sum, "y", rms);
        } else {
            normed = op.e.op("layer_norm", op.e.tmp("normalized"), "x", sum, "axes", axes, "epsilon", (double) epsilon);
        }
        boolean beta = betaIndex > 0 && op.present(betaIndex);
        boolean last = !half && !beta;
        Value y = op.e.op("mul", last ? op.e.out(0) : op.e.tmp("scaled"), "x", normed, "y", toFloat32(op, op.in(2), "gamma"));
        if (beta) y = op.e.op("add", half ? op.e.tmp("shifted") : op.e.out(0), "x", y, "y", toFloat32(op, op.in(betaIndex), "beta"));
        if (half) y = op.e.op("cast", op.e.out(0), "x", y, "dtype", "fp16");
        Value sumResult = !sumUsed ? null : half ? op.e.op("cast", op.e.out(3), "x", sum, "dtype", "fp16") : sum;
        return java.util.Arrays.asList(y, null, null, sumResult);
    }

    /**
     * com.microsoft RotaryEmbedding as ONNX Runtime's CPU kernel (rotary_embedding.cc) computes it:
     * input [B, S, N·h] (num_heads given) or [B, N, S, h]; per position p (position_ids [B, S], or
     * one offset: p = offset + s) the first rotary_embedding_dim (default h) values of each head
     * are rotated by cos_cache[p] / sin_cache[p] ([max positions, rotary dim / 2]): halves
     * (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin), or, interleaved, each pair (x[2k], x[2k+1])
     * the same way; values past the rotary dim pass through. Lowered on a static input shape with
     * gather (the cos and sin rows), slice_by_index, mul, sub, add and concat (interleaved: the
     * pairs as a trailing axis of 2 by reshape).
     */
    private static List<Value> rotaryEmbedding(OnnxOp op) {
        if (op.type(0).dtype() != DType.FLOAT32) throw op.fail("input must be float32, got " + op.type(0).dtype().shortName());
        if (op.attrFloat("scale", 1f) != 1f) throw op.fail("scale " + op.attrFloat("scale", 1f) + " is not 1 (ONNX Runtime's CPU kernel ignores it)");
        if (op.attrInt("is_packed_batching", 0) != 0) throw op.fail("is_packed_batching=1 has no lowering");
        long[] shape = op.staticShape(0);
        if (shape == null) throw op.needsStaticShape(0, "input needs a static shape");
        long[] cosShape = op.staticShape(2);
        if (cosShape == null || cosShape.length != 2 || op.staticShape(3) == null || !java.util.Arrays.equals(cosShape, op.staticShape(3))) {
            throw op.fail("cos_cache and sin_cache must be [max positions, rotary dim / 2] of one static shape, got " + op.type(2) + " and " + op.type(3));
        }
        long half = cosShape[1];
        long heads = op.attrInt("num_heads", 0);
        long rotary = op.attrInt("rotary_embedding_dim", 0);
        boolean transposed = shape.length == 4;
        if (shape.length != 3 && shape.length != 4) throw op.fail("input must be [B, S, hidden] or [B, N, S, head size], got " + op.type(0));
        long batch = shape[0];
        long seq = transposed ? shape[2] : shape[1];
        long headSize;
        if (transposed) {
            headSize = shape[3];
            heads = shape[1];
        } else {
            headSize = heads > 0 ? shape[2] / heads : 2 * half;
            if (headSize == 0 || shape[2] % headSize != 0) throw op.fail("hidden size " + shape[2] + " is not a multiple of the head size " + headSize);
            heads = shape[2] / headSize;
        }
        if (rotary == 0) rotary = headSize;
        if (rotary != 2 * half || rotary > headSize || rotary % 2 != 0) {
            throw op.fail("rotary dim " + rotary + " does not fit head size " + headSize + " and cos_cache " + op.type(2) + " (rotary dim / 2 columns)");
        }
        boolean interleaved = op.attrInt("interleaved", 0) != 0;

        // the cos and sin rows of each (batch, position): [B or 1, S, half], then a heads axis of 1
        long[] ids = op.staticShape(1);
        if (ids == null) throw op.needsStaticShape(1, "position_ids needs a static shape");
        Value positions;
        if (ids.length == 1 && ids[0] == 1) {
            long[] steps = new long[(int) seq];
            for (int i = 0; i < seq; i++) steps[i] = i;
            Value offset = op.e.op("add", op.e.tmp("positions_1d"), "x", op.in(1), "y", steps);
            positions = op.e.op("expand_dims", op.e.tmp("positions"), "x", offset, "axes", new long[] {0});
        } else if (ids.length == 2 && ids[0] == batch && ids[1] == seq) {
            positions = op.in(1);
        } else {
            throw op.fail("position_ids must be [1] (an offset) or [" + batch + ", " + seq + "], got " + op.type(1));
        }
        long headAxis = transposed ? 1 : 2;
        Value cos = op.e.op("expand_dims", op.e.tmp("cos"), "x", op.e.op("gather", op.e.tmp("cos_rows"), "x", op.in(2), "indices", positions,
                "axis", 0L), "axes", new long[] {headAxis});
        Value sin = op.e.op("expand_dims", op.e.tmp("sin"), "x", op.e.op("gather", op.e.tmp("sin_rows"), "x", op.in(3), "indices", positions,
                "axis", 0L), "axes", new long[] {headAxis});

        long[] split = transposed ? shape : new long[] {batch, seq, heads, headSize};
        Value x = transposed ? op.in(0) : op.e.op("reshape", op.e.tmp("heads"), "x", op.in(0), "shape", split);
        Value rotated = interleaved ? rotatePairs(op, x, split, rotary, cos, sin) : rotateHalves(op, x, split, rotary, cos, sin);
        if (rotary < headSize) {
            Value rest = lastAxisSlice(op, x, split, rotary, headSize, "pass_through");
            rotated = op.e.op("concat", op.e.tmp("joined"), "values", List.of(rotated, rest), "axis", -1L, "interleave", false);
        }
        if (transposed) return OnnxOp.one(rotated); // the converter gives it the ONNX name
        return OnnxOp.one(op.e.op("reshape", op.e.out(0), "x", rotated, "shape", shape));
    }

    /** x[..., from:to] of a [.., .., .., h] tensor. */
    static Value lastAxisSlice(OnnxOp op, Value x, long[] shape, long from, long to, String hint) {
        int rank = shape.length;
        long[] begin = new long[rank];
        long[] end = shape.clone();
        begin[rank - 1] = from;
        end[rank - 1] = to;
        long[] stride = new long[rank];
        java.util.Arrays.fill(stride, 1);
        return op.e.op("slice_by_index", op.e.tmp(hint), "x", x, "begin", begin, "end", end, "stride", stride);
    }

    /** (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin) on the first {@code rotary} values of the last axis. */
    static Value rotateHalves(OnnxOp op, Value x, long[] shape, long rotary, Value cos, Value sin) {
        Value x1 = lastAxisSlice(op, x, shape, 0, rotary / 2, "x1");
        Value x2 = lastAxisSlice(op, x, shape, rotary / 2, rotary, "x2");
        Value first = op.e.op("sub", op.e.tmp("first"), "x", op.e.op("mul", op.e.tmp("x1_cos"), "x", x1, "y", cos),
                "y", op.e.op("mul", op.e.tmp("x2_sin"), "x", x2, "y", sin));
        Value second = op.e.op("add", op.e.tmp("second"), "x", op.e.op("mul", op.e.tmp("x2_cos"), "x", x2, "y", cos),
                "y", op.e.op("mul", op.e.tmp("x1_sin"), "x", x1, "y", sin));
        return op.e.op("concat", op.e.tmp("rotated"), "values", List.of(first, second), "axis", -1L, "interleave", false);
    }

    /** Each pair (x[2k], x[2k+1]) of the first {@code rotary} values rotated by cos[k], sin[k]; the pairs as a trailing axis of 2. */
    static Value rotatePairs(OnnxOp op, Value x, long[] shape, long rotary, Value cos, Value sin) {
        int rank = shape.length;
        Value part = rotary == shape[rank - 1] ? x : lastAxisSlice(op, x, shape, 0, rotary, "rotary_part");
        long[] pairs = java.util.Arrays.copyOf(shape, rank + 1);
        pairs[rank - 1] = rotary / 2;
        pairs[rank] = 2;
        Value p = op.e.op("reshape", op.e.tmp("pairs"), "x", part, "shape", pairs);
        Value even = op.e.op("squeeze", op.e.tmp("even"), "x", lastAxisSlice(op, p, pairs, 0, 1, "even_pair"), "axes", new long[] {-1});
        Value odd = op.e.op("squeeze", op.e.tmp("odd"), "x", lastAxisSlice(op, p, pairs, 1, 2, "odd_pair"), "axes", new long[] {-1});
        Value first = op.e.op("sub", op.e.tmp("first"), "x", op.e.op("mul", op.e.tmp("even_cos"), "x", even, "y", cos),
                "y", op.e.op("mul", op.e.tmp("odd_sin"), "x", odd, "y", sin));
        Value second = op.e.op("add", op.e.tmp("second"), "x", op.e.op("mul", op.e.tmp("odd_cos"), "x", odd, "y", cos),
                "y", op.e.op("mul", op.e.tmp("even_sin"), "x", even, "y", sin));
        Value stacked = op.e.op("concat", op.e.tmp("rotated_pairs"), "values", List.of(
                op.e.op("expand_dims", op.e.tmp("first_pair"), "x", first, "axes", new long[] {-1}),
                op.e.op("expand_dims", op.e.tmp("second_pair"), "x", second, "axes", new long[] {-1})), "axis", -1L, "interleave", false);
        long[] back = shape.clone();
        back[rank - 1] = rotary;
        return op.e.op("reshape", op.e.tmp("rotated"), "x", stacked, "shape", back);
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
