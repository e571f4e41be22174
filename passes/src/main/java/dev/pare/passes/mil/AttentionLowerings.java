package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's fused decoder attention, as its transformers optimizer and GenAI model builder
 * write it: {@code com.microsoft} GroupQueryAttention and MultiHeadAttention, lowered on static
 * shapes to MIL matmul / softmax / concat with the arithmetic of ONNX Runtime's CPU kernels
 * (contrib_ops/cpu/bert in ONNX Runtime): scores = scale · (Q·Kᵀ) as one product then one scaling,
 * a causal mask known from the shapes, softmax over the last axis, probabilities · V. Grouped
 * heads share a key/value head by reshaping the G = num_heads / kv_num_heads query heads of a
 * group into the rows of one product, so no key or value is copied.
 */
final class AttentionLowerings {

    private AttentionLowerings() {}

    private static final String MS = "com.microsoft.";

    static void register(Map<String, Lowering> m) {
        m.put(MS + "GroupQueryAttention", AttentionLowerings::groupQueryAttention);
        m.put(MS + "MultiHeadAttention", AttentionLowerings::multiHeadAttention);
    }

    /** What a masked score becomes before the softmax (exp of it is exactly 0, as the kernel's skipped entries). */
    private static final float MASKED = -Float.MAX_VALUE;

    /**
     * GroupQueryAttention (ONNX Runtime 1.29, CPU kernel group_query_attention.cc and
     * gqa_attention_base.h): query [B, S, N·h] with key and value [B, S, Nk·h], or packed QKV
     * [B, S, (N + 2·Nk)·h] (key and value absent); past_key / past_value [B, Nk, P, h] (BNSH, not
     * a shared buffer); present = concat(past, new) along the sequence axis. Query i (absolute
     * position P + i) attends keys 0..P + i, or with local_window_size W the last W of them
     * (P + i − W + 1 .. P + i: what ONNX Runtime 1.29's CPU kernel computes; the contrib op text
     * reads as W + 1, which does not match it).
     * do_rotary rotates the new Q and K at positions P + i by cos_cache / sin_cache first
     * (halves or, with rotary_interleaved, pairs).
     *
     * <p>seqlens_k is read by the kernel at run time; the lowering takes it to be P + S − 1 for
     * every batch entry (each row as long as the buffers: no padding), which is what the
     * sequence positions above assume; when it folds to a constant, that is checked.
     * total_sequence_length, when it folds, must be P + S.
     */
    private static List<Value> groupQueryAttention(OnnxOp op) {
        long heads = op.attrInt("num_heads", 0);
        long kvHeads = op.attrInt("kv_num_heads", 0);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw op.fail("num_heads " + heads + " must be a positive multiple of kv_num_heads " + kvHeads);
        }
        if (op.attrFloat("softcap", 0f) != 0f) throw op.fail("softcap " + op.attrFloat("softcap", 0f) + " has no lowering (only 0)");
        if (op.attrInt("smooth_softmax", 0) == 1) throw op.fail("smooth_softmax=1 has no lowering");
        if (op.attrInt("causal", 1) != 1) throw op.fail("causal=" + op.attrInt("causal", 1) + " (bidirectional) has no lowering, only causal=1");
        if (op.attrInt("sliding_window_cache", 0) != 0) throw op.fail("sliding_window_cache=1 has no lowering");
        if (!op.attrString("k_quant_type", "NONE").equals("NONE") || !op.attrString("v_quant_type", "NONE").equals("NONE")) {
            throw op.fail("a quantized KV cache (k_quant_type / v_quant_type) has no lowering");
        }
        String[] unsupported = {"position_ids", "attention_bias", "head_sink", "k_scale", "v_scale", "q_norm_weight", "k_norm_weight"};
        for (int i = 9; i < op.inputs() && i < 9 + unsupported.length; i++) {
            if (op.present(i)) throw op.fail("input " + i + " (" + unsupported[i - 9] + ") has no lowering");
        }
        if (used(op, 3)) throw op.fail("the output_qk output has no lowering");
        requireFloat32(op, 0, 1, 2, 3, 4, 7, 8);

        long[] q = op.staticShape(0);
        if (q == null) throw op.needsStaticShape(0, "query needs a static shape");
        if (q.length != 3) throw op.fail("query must be [batch, sequence, hidden], got " + op.type(0));
        long batch = q[0];
        long seq = q[1];
        boolean packed = !op.present(1);
        if (packed == op.present(2)) throw op.fail("key and value must both be given, or neither (packed QKV)");
        long width = packed ? heads + 2 * kvHeads : heads;
        if (q[2] % width != 0) throw op.fail("query's last dimension " + q[2] + " is not a multiple of " + width + " heads");
        long headSize = q[2] / width;
        long[] kvShape = {batch, seq, kvHeads * headSize};
        if (!packed) {
            for (int i = 1; i <= 2; i++) {
                long[] s = op.staticShape(i);
                if (s == null) throw op.needsStaticShape(i, (i == 1 ? "key" : "value") + " needs a static shape");
                if (!Arrays.equals(s, kvShape)) {
                    throw op.fail((i == 1 ? "key " : "value ") + op.type(i) + " must be " + Arrays.toString(kvShape)
                            + " (batch, sequence, kv_num_heads · head size)");
                }
            }
        }
        long past = pastLength(op, 3, 4, new long[] {batch, kvHeads, -1, headSize}, "[batch, kv_num_heads, past, head size]");
        long total = past + seq;
        long[] totalLength = op.present(6) ? op.constInts(6) : null;
        if (totalLength != null && (totalLength.length != 1 || totalLength[0] != total)) {
            throw op.fail("total_sequence_length is " + Arrays.toString(totalLength) + ", not past " + past + " + sequence " + seq
                    + " (the lowering needs each row as long as the KV buffers)");
        }

        long[] seqlens = op.present(5) ? op.constInts(5) : null;
        if (seqlens != null) {
            for (long l : seqlens) {
                if (l != total - 1) {
                    throw op.fail("seqlens_k is " + Arrays.toString(seqlens) + "; the lowering needs " + (total - 1)
                            + " (past + sequence - 1) for every batch entry: rows without padding");
                }
            }
        }
        Value query = op.in(0);
        Value key = packed ? null : op.in(1);
        Value value = packed ? null : op.in(2);
        if (packed) {
            query = lastAxisPart(op, op.in(0), q, 0, heads * headSize, "query");
            key = lastAxisPart(op, op.in(0), q, heads * headSize, (heads + kvHeads) * headSize, "key");
            value = lastAxisPart(op, op.in(0), q, (heads + kvHeads) * headSize, width * headSize, "value");
        }
        Value qh = toHeads(op, query, batch, seq, heads, headSize, "q");
        Value kh = toHeads(op, key, batch, seq, kvHeads, headSize, "k");
        Value vh = toHeads(op, value, batch, seq, kvHeads, headSize, "v");
        if (op.attrInt("do_rotary", 0) == 1) {
            Value[] cosSin = rotaryRows(op, past, seq, headSize);
            boolean interleaved = op.attrInt("rotary_interleaved", 0) == 1;
            long rotary = 2 * op.staticShape(7)[1];
            qh = rotate(op, qh, new long[] {batch, heads, seq, headSize}, rotary, cosSin, interleaved);
            kh = rotate(op, kh, new long[] {batch, kvHeads, seq, headSize}, rotary, cosSin, interleaved);
        }
        Value presentKey = op.present(3) ? op.e.op("concat", used(op, 1) ? op.e.out(1) : op.e.tmp("present_key"),
                "values", List.of(op.in(3), kh), "axis", 2L, "interleave", false) : kh;
        Value presentValue = op.present(4) ? op.e.op("concat", used(op, 2) ? op.e.out(2) : op.e.tmp("present_value"),
                "values", List.of(op.in(4), vh), "axis", 2L, "interleave", false) : vh;

        float scale = op.attrFloat("scale", 0f);
        if (scale == 0f) scale = 1f / (float) Math.sqrt(headSize);
        long window = op.attrInt("local_window_size", -1);
        float[] mask = new float[(int) (seq * total)];
        boolean anyMasked = false;
        for (int i = 0; i < seq; i++) {
            long position = past + i;
            for (int j = 0; j < total; j++) {
                boolean masked = j > position || (window > 0 && j <= position - window);
                if (masked) mask[(int) (i * total + j)] = MASKED;
                anyMasked |= masked;
            }
        }
        Value bias = anyMasked ? op.e.constant(op.e.tmp("causal_mask"), TensorData.ofFloats(new long[] {seq, total}, mask)) : null;
        Value out = attend(op, qh, presentKey, presentValue, batch, heads, kvHeads, seq, total, headSize, headSize, scale, bias);
        List<Value> results = new ArrayList<>(Arrays.asList(out, used(op, 1) ? presentKey : null, used(op, 2) ? presentValue : null));
        while (results.size() < op.node.results().size()) results.add(null);
        return results.subList(0, op.node.results().size());
    }

    /**
     * MultiHeadAttention (ONNX Runtime 1.29, CPU kernel multihead_attention.cc and
     * attention_cpu_base.h) in the form its transformers optimizer writes for decoders: query
     * [B, S, N·h], key and value [B, L, N·h] / [B, L, N·hv] (separate, 3-D), an optional bias
     * [N·h + N·h + N·hv] added to each, past_key / past_value [B, N, P, h], attention_bias
     * [B or 1, N or 1, S, P + L] added to the scaled scores, unidirectional=1 for a causal mask
     * (query i sees keys 0..P + i; a masked score gets mask_filter_value added, as the kernel
     * does). present = concat(past, new key / value).
     */
    private static List<Value> multiHeadAttention(OnnxOp op) {
        long heads = op.attrInt("num_heads", 0);
        if (heads <= 0) throw op.fail("num_heads must be positive, got " + heads);
        String[] unsupported = {null, null, null, null, "key_padding_mask", null, null, null, "past_sequence_length", "cache_indirection"};
        for (int i = 4; i < op.inputs(); i++) {
            if (i < unsupported.length && unsupported[i] != null && op.present(i)) throw op.fail("input " + i + " (" + unsupported[i] + ") has no lowering");
        }
        if (op.inputs() > 10) {
            for (int i = 10; i < op.inputs(); i++) if (op.present(i)) throw op.fail("input " + i + " has no lowering");
        }
        if (used(op, 3)) throw op.fail("the qk output has no lowering");
        requireFloat32(op, 0, 1, 2, 3, 5, 6, 7);
        long[] q = op.staticShape(0);
        if (q == null) throw op.needsStaticShape(0, "query needs a static shape");
        if (q.length != 3) throw op.fail("query must be [batch, sequence, hidden] (packed forms have no lowering), got " + op.type(0));
        if (!op.present(1) || !op.present(2)) throw op.fail("key and value must be given (packed QKV has no lowering)");
        long[] k = op.staticShape(1);
        long[] v = op.staticShape(2);
        if (k == null) throw op.needsStaticShape(1, "key needs a static shape");
        if (v == null) throw op.needsStaticShape(2, "value needs a static shape");
        if (k.length != 3 || v.length != 3) {
            throw op.fail("key and value must be [batch, sequence, hidden] (BNSH or packed KV have no lowering), got " + op.type(1) + " and " + op.type(2));
        }
        long batch = q[0];
        long seq = q[1];
        long kvSeq = k[1];
        if (q[2] % heads != 0 || v[2] % heads != 0) throw op.fail("hidden sizes " + q[2] + " and " + v[2] + " are not multiples of num_heads " + heads);
        long headSize = q[2] / heads;
        long vHeadSize = v[2] / heads;
        if (k[0] != batch || v[0] != batch || k[2] != q[2] || v[1] != kvSeq) {
            throw op.fail("key " + op.type(1) + " and value " + op.type(2) + " do not fit query " + op.type(0));
        }
        long past = pastLength(op, 6, 7, new long[] {batch, heads, -1, headSize}, "[batch, num_heads, past, head size]");
        if (past > 0 && op.staticShape(7)[3] != vHeadSize) throw op.fail("past_value " + op.type(7) + " must have head size " + vHeadSize);
        long total = past + kvSeq;

        Value query = op.in(0);
        Value key = op.in(1);
        Value value = op.in(2);
        if (op.present(3)) {
            long[] b = op.staticShape(3);
            long biasWidth = 2 * q[2] + v[2];
            if (b == null || b.length != 1 || b[0] != biasWidth) throw op.fail("bias " + op.type(3) + " must be [" + biasWidth + "]");
            long[] bShape = {biasWidth};
            query = op.e.op("add", op.e.tmp("q_biased"), "x", query, "y", lastAxisPart(op, op.in(3), bShape, 0, q[2], "q_bias"));
            key = op.e.op("add", op.e.tmp("k_biased"), "x", key, "y", lastAxisPart(op, op.in(3), bShape, q[2], 2 * q[2], "k_bias"));
            value = op.e.op("add", op.e.tmp("v_biased"), "x", value, "y", lastAxisPart(op, op.in(3), bShape, 2 * q[2], biasWidth, "v_bias"));
        }
        Value qh = toHeads(op, query, batch, seq, heads, headSize, "q");
        Value kh = toHeads(op, key, batch, kvSeq, heads, headSize, "k");
        Value vh = toHeads(op, value, batch, kvSeq, heads, vHeadSize, "v");
        Value presentKey = op.present(6) ? op.e.op("concat", used(op, 1) ? op.e.out(1) : op.e.tmp("present_key"),
                "values", List.of(op.in(6), kh), "axis", 2L, "interleave", false) : kh;
        Value presentValue = op.present(7) ? op.e.op("concat", used(op, 2) ? op.e.out(2) : op.e.tmp("present_value"),
                "values", List.of(op.in(7), vh), "axis", 2L, "interleave", false) : vh;

        Value bias = null;
        if (op.present(5)) {
            long[] ab = op.staticShape(5);
            if (ab == null || ab.length != 4 || (ab[0] != 1 && ab[0] != batch) || (ab[1] != 1 && ab[1] != heads) || ab[2] != seq || ab[3] != total) {
                throw op.fail("attention_bias " + op.type(5) + " must be [" + batch + " or 1, " + heads + " or 1, " + seq + ", " + total + "]");
            }
            bias = op.in(5);
        }
        if (op.attrInt("unidirectional", 0) == 1) {
            float filter = op.attrFloat("mask_filter_value", -10000f);
            float[] mask = new float[(int) (seq * total)];
            for (int i = 0; i < seq; i++) {
                for (int j = 0; j < total; j++) if (j > past + i) mask[(int) (i * total + j)] = filter;
            }
            Value causal = op.e.constant(op.e.tmp("causal_mask"), TensorData.ofFloats(new long[] {seq, total}, mask));
            // the kernel writes the causal mask first and adds the scaled product to it (GEMM with beta 1), the bias after
            bias = bias == null ? causal : op.e.op("add", op.e.tmp("mask_and_bias"), "x", causal, "y", bias);
        }
        float scale = op.attrFloat("scale", 0f);
        if (scale == 0f) scale = 1f / (float) Math.sqrt(headSize);
        Value out = attend(op, qh, presentKey, presentValue, batch, heads, heads, seq, total, headSize, vHeadSize, scale, bias);
        List<Value> results = new ArrayList<>(Arrays.asList(out, used(op, 1) ? presentKey : null, used(op, 2) ? presentValue : null));
        while (results.size() < op.node.results().size()) results.add(null);
        return results.subList(0, op.node.results().size());
    }

    /**
     * softmax(scale · (Q·Kᵀ) + bias) · V for Q [B, N, S, h] and K, V [B, Nk, T, h]: with G = N / Nk
     * query heads per key head, Q is read as [B, Nk, G·S, h] (heads n = kv·G + g are adjacent), so
     * each group is one product with its key head. Result [B, S, N·hv], named as the node's output 0.
     */
    private static Value attend(OnnxOp op, Value q, Value k, Value v, long batch, long heads, long kvHeads, long seq, long total,
            long headSize, long vHeadSize, float scale, Value bias) {
        long group = heads / kvHeads;
        Value rows = group == 1 ? q : op.e.op("reshape", op.e.tmp("q_grouped"), "x", q, "shape", new long[] {batch, kvHeads, group * seq, headSize});
        Value scores = op.e.op("matmul", op.e.tmp("scores"), "x", rows, "y", k, "transpose_x", false, "transpose_y", true);
        if (group > 1) scores = op.e.op("reshape", op.e.tmp("scores_heads"), "x", scores, "shape", new long[] {batch, heads, seq, total});
        Value scaled = op.e.op("mul", op.e.tmp("scores_scaled"), "x", scores, "y", op.floatLike(scores, op.e.tmp("scale"), scale));
        if (bias != null) scaled = op.e.op("add", op.e.tmp("scores_masked"), "x", scaled, "y", bias);
        Value probs = op.e.op("softmax", op.e.tmp("probs"), "x", scaled, "axis", -1L);
        if (group > 1) probs = op.e.op("reshape", op.e.tmp("probs_grouped"), "x", probs, "shape", new long[] {batch, kvHeads, group * seq, total});
        Value context = op.e.op("matmul", op.e.tmp("context"), "x", probs, "y", v, "transpose_x", false, "transpose_y", false);
        if (group > 1) context = op.e.op("reshape", op.e.tmp("context_heads"), "x", context, "shape", new long[] {batch, heads, seq, vHeadSize});
        Value bsnh = op.e.op("transpose", op.e.tmp("context_bsnh"), "x", context, "perm", new long[] {0, 2, 1, 3});
        return op.e.op("reshape", op.e.out(0), "x", bsnh, "shape", new long[] {batch, seq, heads * vHeadSize});
    }

    /** [B, S, n·h] as [B, n, S, h]. */
    private static Value toHeads(OnnxOp op, Value x, long batch, long seq, long n, long headSize, String hint) {
        Value split = op.e.op("reshape", op.e.tmp(hint + "_bsnh"), "x", x, "shape", new long[] {batch, seq, n, headSize});
        return op.e.op("transpose", op.e.tmp(hint + "_heads"), "x", split, "perm", new long[] {0, 2, 1, 3});
    }

    /** x[..., from:to] of a tensor of the given static shape. */
    private static Value lastAxisPart(OnnxOp op, Value x, long[] shape, long from, long to, String hint) {
        return ContribLowerings.lastAxisSlice(op, x, shape, from, to, hint);
    }

    /** The past length P from past key (input {@code ki}) and value ({@code vi}) of the expected shape (-1: any), 0 when absent. */
    private static long pastLength(OnnxOp op, int ki, int vi, long[] expected, String layout) {
        if (op.present(ki) != op.present(vi)) throw op.fail("past_key and past_value must both be given, or neither");
        if (!op.present(ki)) return 0;
        long[] pk = op.staticShape(ki);
        if (pk == null) throw op.needsStaticShape(ki, "past_key needs a static shape");
        long[] pv = op.staticShape(vi);
        if (pv == null) throw op.needsStaticShape(vi, "past_value needs a static shape");
        for (long[] s : new long[][] {pk, pv}) {
            boolean fits = s.length == 4 && s[2] == pk[2];
            for (int d = 0; fits && d < 4; d++) fits = expected[d] < 0 || s[d] == expected[d] || (s == pv && d == 3);
            if (!fits) throw op.fail("past_key " + op.type(ki) + " and past_value " + op.type(vi) + " must be " + layout);
        }
        return pk[2];
    }

    /** The cos and sin rows of positions past .. past + seq − 1, each [S, rotary dim / 2]. */
    private static Value[] rotaryRows(OnnxOp op, long past, long seq, long headSize) {
        if (!op.present(7) || !op.present(8)) throw op.fail("do_rotary=1 needs cos_cache and sin_cache");
        long[] cos = op.staticShape(7);
        long[] sin = op.staticShape(8);
        if (cos == null || cos.length != 2 || !Arrays.equals(cos, sin) || 2 * cos[1] > headSize) {
            throw op.fail("cos_cache and sin_cache must be [max positions, rotary dim / 2 <= head size / 2] of one static shape, got "
                    + op.type(7) + " and " + op.type(8));
        }
        if (past + seq > cos[0]) throw op.fail("positions up to " + (past + seq - 1) + " need more than the " + cos[0] + " rows of cos_cache");
        long[] positions = new long[(int) seq];
        for (int i = 0; i < seq; i++) positions[i] = past + i;
        Value ids = op.e.constant(op.e.tmp("positions"), MilEmitter.int32(new long[] {seq}, positions));
        return new Value[] {
            op.e.op("gather", op.e.tmp("cos_rows"), "x", op.in(7), "indices", ids, "axis", 0L),
            op.e.op("gather", op.e.tmp("sin_rows"), "x", op.in(8), "indices", ids, "axis", 0L)};
    }

    /** x [B, n, S, h] rotated on its first {@code rotary} values (the rest passes through), as RotaryEmbedding. */
    private static Value rotate(OnnxOp op, Value x, long[] shape, long rotary, Value[] cosSin, boolean interleaved) {
        Value rotated = interleaved ? ContribLowerings.rotatePairs(op, x, shape, rotary, cosSin[0], cosSin[1])
                : ContribLowerings.rotateHalves(op, x, shape, rotary, cosSin[0], cosSin[1]);
        if (rotary == shape[3]) return rotated;
        Value rest = ContribLowerings.lastAxisSlice(op, x, shape, rotary, shape[3], "pass_through");
        return op.e.op("concat", op.e.tmp("rotary_joined"), "values", List.of(rotated, rest), "axis", -1L, "interleave", false);
    }

    private static boolean used(OnnxOp op, int result) {
        if (result >= op.node.results().size()) return false;
        Value r = op.node.result(result);
        return !r.isAbsent() && (r.hasUses() || r.graph().isOutput(r));
    }

    static void requireFloat32(OnnxOp op, int... inputs) {
        for (int i : inputs) {
            if (op.present(i) && op.type(i).dtype() != DType.FLOAT32) {
                throw op.fail("input " + i + " is " + op.type(i).dtype().shortName() + "; the lowering is for float32 (checked against ONNX Runtime so)");
            }
        }
    }
}
