package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.OnnxGraphBuilder.BOOL;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.floatAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.ints;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;

/**
 * A tiny LLaMA-style decoder with a KV cache, written with plain ONNX ops the way
 * torch.onnx.export writes one (opset 17): inputs {@code input_ids} [batch, seq],
 * {@code attention_mask} [batch, past + seq] and {@code past_key_values.N.key/value}
 * [batch, kv heads, past, head dim]; outputs {@code logits} and {@code present.N.key/value} (the
 * Concat of past and new). RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul (the final norm as
 * SimplifiedLayerNormalization, as ONNX Runtime's exporters write it), rotary embeddings by
 * Gather of the positions' cos/sin rows and Slice/Neg/Concat/Mul/Add, a causal and padding mask
 * computed from the input shapes by Shape/Gather/Range/LessOrEqual/And/Where, grouped-query heads
 * repeated by Unsqueeze/Expand/Reshape to shapes computed from Shape, SwiGLU MLP. All dims are
 * symbolic; weights are seeded uniform random. Synthetic: no package the corpus can reach ships
 * such a model.
 */
final class KvCacheDecoderModel {

    static final int VOCAB = 32;
    static final int HIDDEN = 16;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = HIDDEN / HEADS;
    static final int FFN = 24;
    static final int LAYERS = 2;
    static final int MAX_POSITIONS = 64;

    private KvCacheDecoderModel() {}

    static String pastKey(int layer) { return "past_key_values." + layer + ".key"; }

    static String pastValue(int layer) { return "past_key_values." + layer + ".value"; }

    static GraphProto build(long seed) {
        OnnxGraphBuilder b = new OnnxGraphBuilder("tiny_llama_kv")
                .input("input_ids", INT64, "batch_size", "sequence_length")
                .input("attention_mask", INT64, "batch_size", "total_sequence_length");
        for (int l = 0; l < LAYERS; l++) {
            b.input(pastKey(l), FLOAT, "batch_size", KV_HEADS, "past_sequence_length", HEAD_DIM);
            b.input(pastValue(l), FLOAT, "batch_size", KV_HEADS, "past_sequence_length", HEAD_DIM);
        }
        long s = seed * 1000;
        b.floats("embed_tokens", new long[] {VOCAB, HIDDEN}, uniform(VOCAB * HIDDEN, s++, -1, 1));
        float[] cos = new float[MAX_POSITIONS * HEAD_DIM];
        float[] sin = new float[cos.length];
        for (int p = 0; p < MAX_POSITIONS; p++) {
            for (int k = 0; k < HEAD_DIM / 2; k++) {
                double angle = p * Math.pow(10000, -2.0 * k / HEAD_DIM);
                for (int half = 0; half < 2; half++) {
                    cos[p * HEAD_DIM + k + half * HEAD_DIM / 2] = (float) Math.cos(angle);
                    sin[p * HEAD_DIM + k + half * HEAD_DIM / 2] = (float) Math.sin(angle);
                }
            }
        }
        b.floats("cos_cached", new long[] {MAX_POSITIONS, HEAD_DIM}, cos).floats("sin_cached", new long[] {MAX_POSITIONS, HEAD_DIM}, sin);
        b.longs("i0", new long[0], 0).longs("i1", new long[0], 1).longs("i2", new long[0], 2)
                .longs("axes0", new long[] {1}, 0).longs("axes1", new long[] {1}, 1).longs("axes01", new long[] {2}, 0, 1)
                .longs("axes12", new long[] {2}, 1, 2).longs("axes2", new long[] {1}, 2)
                .longs("start0", new long[] {1}, 0).longs("end1", new long[] {1}, 1)
                .longs("start2", new long[] {1}, 2).longs("end4", new long[] {1}, 4).longs("axis3", new long[] {1}, 3)
                .longs("half_dim", new long[] {1}, HEAD_DIM / 2).longs("int_max", new long[] {1}, Long.MAX_VALUE)
                .longs("heads", new long[] {1}, HEADS).longs("kv_heads", new long[] {1}, KV_HEADS).longs("n_rep", new long[] {1}, HEADS / KV_HEADS)
                .longs("split_q", new long[] {4}, 0, 0, HEADS, HEAD_DIM).longs("split_kv", new long[] {4}, 0, 0, KV_HEADS, HEAD_DIM)
                .longs("merge", new long[] {3}, 0, 0, HIDDEN)
                .floats("two", new long[0], 2f).floats("eps", new long[0], 1e-6f).floats("zero", new long[0], 0f)
                .floats("min_value", new long[0], -Float.MAX_VALUE)
                .floats("scale", new long[0], (float) (1 / Math.sqrt(HEAD_DIM)));

        // positions past .. past + seq and the additive mask [batch, 1, seq, total], from the shapes
        b.node("Shape", "ids_shape", "input_ids").node("Gather", "seq_len", "ids_shape", "i1")
                .node("Shape", "past_shape", pastKey(0)).node("Gather", "past_len", "past_shape", "i2")
                .node("Add", "total_len", "past_len", "seq_len")
                .node("Range", "positions", "past_len", "total_len", "i1")
                .node("Range", "key_positions", "i0", "total_len", "i1")
                .node("Unsqueeze", "query_column", "positions", "axes1").node("Unsqueeze", "key_row", "key_positions", "axes0")
                .node("LessOrEqual", "causal", "key_row", "query_column")
                .node("Cast", new String[] {"attention_mask"}, new String[] {"mask_bool"}, intAttr("to", BOOL))
                .node("Unsqueeze", "mask_4d", "mask_bool", "axes12")
                .node("And", "allowed", "causal", "mask_4d")
                .node("Where", "mask_bias", "allowed", "zero", "min_value")
                .node("Gather", "cos_rows", "cos_cached", "positions").node("Unsqueeze", "cos", "cos_rows", "axes01")
                .node("Gather", "sin_rows", "sin_cached", "positions").node("Unsqueeze", "sin", "sin_rows", "axes01");

        b.node("Gather", "h0", "embed_tokens", "input_ids");
        String x = "h0";
        for (int l = 0; l < LAYERS; l++) {
            String p = "l" + l + "_";
            b.floats(p + "ln1", new long[] {HIDDEN}, uniform(HIDDEN, s++, 0.5, 1.5))
                    .floats(p + "ln2", new long[] {HIDDEN}, uniform(HIDDEN, s++, 0.5, 1.5))
                    .floats(p + "wq", new long[] {HIDDEN, HIDDEN}, uniform(HIDDEN * HIDDEN, s++, -0.5, 0.5))
                    .floats(p + "wk", new long[] {HIDDEN, KV_HEADS * HEAD_DIM}, uniform(HIDDEN * KV_HEADS * HEAD_DIM, s++, -0.5, 0.5))
                    .floats(p + "wv", new long[] {HIDDEN, KV_HEADS * HEAD_DIM}, uniform(HIDDEN * KV_HEADS * HEAD_DIM, s++, -0.5, 0.5))
                    .floats(p + "wo", new long[] {HIDDEN, HIDDEN}, uniform(HIDDEN * HIDDEN, s++, -0.5, 0.5))
                    .floats(p + "w_gate", new long[] {HIDDEN, FFN}, uniform(HIDDEN * FFN, s++, -0.5, 0.5))
                    .floats(p + "w_up", new long[] {HIDDEN, FFN}, uniform(HIDDEN * FFN, s++, -0.5, 0.5))
                    .floats(p + "w_down", new long[] {FFN, HIDDEN}, uniform(FFN * HIDDEN, s++, -0.5, 0.5));
            String h = rmsNorm(b, x, p + "ln1", p + "attn_norm");
            b.node("MatMul", p + "q_proj", h, p + "wq").node("MatMul", p + "k_proj", h, p + "wk").node("MatMul", p + "v_proj", h, p + "wv");
            String q = heads(b, p + "q_proj", "split_q", p + "q");
            String k = heads(b, p + "k_proj", "split_kv", p + "k");
            String v = heads(b, p + "v_proj", "split_kv", p + "v");
            String qRot = rotary(b, q, p + "q_rot");
            String kRot = rotary(b, k, p + "k_rot");
            b.node("Concat", new String[] {pastKey(l), kRot}, new String[] {"present." + l + ".key"}, intAttr("axis", 2))
                    .node("Concat", new String[] {pastValue(l), v}, new String[] {"present." + l + ".value"}, intAttr("axis", 2));
            String kAll = repeatKv(b, "present." + l + ".key", p + "k_rep");
            String vAll = repeatKv(b, "present." + l + ".value", p + "v_rep");
            b.node("Transpose", new String[] {kAll}, new String[] {p + "k_t"}, ints("perm", 0, 1, 3, 2))
                    .node("MatMul", p + "scores_raw", qRot, p + "k_t").node("Mul", p + "scores_scaled", p + "scores_raw", "scale")
                    .node("Add", p + "scores", p + "scores_scaled", "mask_bias")
                    .node("Softmax", new String[] {p + "scores"}, new String[] {p + "probs"}, intAttr("axis", -1))
                    .node("MatMul", p + "context", p + "probs", vAll)
                    .node("Transpose", new String[] {p + "context"}, new String[] {p + "context_t"}, ints("perm", 0, 2, 1, 3))
                    .node("Reshape", p + "context_merged", p + "context_t", "merge")
                    .node("MatMul", p + "o_proj", p + "context_merged", p + "wo")
                    .node("Add", p + "residual1", x, p + "o_proj");
            String h2 = rmsNorm(b, p + "residual1", p + "ln2", p + "mlp_norm");
            b.node("MatMul", p + "gate", h2, p + "w_gate").node("Sigmoid", p + "gate_sigmoid", p + "gate")
                    .node("Mul", p + "gate_silu", p + "gate", p + "gate_sigmoid").node("MatMul", p + "up", h2, p + "w_up")
                    .node("Mul", p + "gated", p + "gate_silu", p + "up").node("MatMul", p + "down", p + "gated", p + "w_down")
                    .node("Add", p + "residual2", p + "residual1", p + "down");
            x = p + "residual2";
        }
        b.floats("final_norm", new long[] {HIDDEN}, uniform(HIDDEN, s++, 0.5, 1.5))
                .floats("lm_head", new long[] {HIDDEN, VOCAB}, uniform(HIDDEN * VOCAB, s, -0.5, 0.5))
                .node("SimplifiedLayerNormalization", new String[] {x, "final_norm"}, new String[] {"final_hidden"},
                        intAttr("axis", -1), floatAttr("epsilon", 1e-6f), intAttr("stash_type", 1))
                .node("MatMul", "logits", "final_hidden", "lm_head");
        b.output("logits", FLOAT, "batch_size", "sequence_length", VOCAB);
        for (int l = 0; l < LAYERS; l++) {
            b.output("present." + l + ".key", FLOAT, "batch_size", KV_HEADS, "total_sequence_length", HEAD_DIM);
            b.output("present." + l + ".value", FLOAT, "batch_size", KV_HEADS, "total_sequence_length", HEAD_DIM);
        }
        return b.build();
    }

    /** x / sqrt(mean(x^2) + eps) * weight, as torch exports LlamaRMSNorm. */
    private static String rmsNorm(OnnxGraphBuilder b, String x, String weight, String p) {
        b.node("Pow", p + "_sq", x, "two")
                .node("ReduceMean", new String[] {p + "_sq"}, new String[] {p + "_mean"}, ints("axes", -1), intAttr("keepdims", 1))
                .node("Add", p + "_mean_eps", p + "_mean", "eps").node("Sqrt", p + "_rms", p + "_mean_eps")
                .node("Div", p + "_normed", x, p + "_rms").node("Mul", p, weight, p + "_normed");
        return p;
    }

    /** [batch, seq, n * head dim] to [batch, n, seq, head dim]. */
    private static String heads(OnnxGraphBuilder b, String x, String shape, String p) {
        b.node("Reshape", p + "_split", x, shape).node("Transpose", new String[] {p + "_split"}, new String[] {p}, ints("perm", 0, 2, 1, 3));
        return p;
    }

    /** x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x2, x1). */
    private static String rotary(OnnxGraphBuilder b, String x, String p) {
        b.node("Slice", p + "_x1", x, "start0", "half_dim", "axis3").node("Slice", p + "_x2", x, "half_dim", "int_max", "axis3")
                .node("Neg", p + "_neg_x2", p + "_x2")
                .node("Concat", new String[] {p + "_neg_x2", p + "_x1"}, new String[] {p + "_rotated"}, intAttr("axis", -1))
                .node("Mul", p + "_cos", x, "cos").node("Mul", p + "_sin", p + "_rotated", "sin").node("Add", p, p + "_cos", p + "_sin");
        return p;
    }

    /** [batch, kv heads, total, head dim] repeated to [batch, heads, total, head dim] (transformers' repeat_kv). */
    private static String repeatKv(OnnxGraphBuilder b, String kv, String p) {
        b.node("Shape", p + "_shape", kv).node("Slice", p + "_batch", p + "_shape", "start0", "end1")
                .node("Slice", p + "_tail", p + "_shape", "start2", "end4")
                .node("Concat", new String[] {p + "_batch", "kv_heads", "n_rep", p + "_tail"}, new String[] {p + "_expand_shape"}, intAttr("axis", 0))
                .node("Concat", new String[] {p + "_batch", "heads", p + "_tail"}, new String[] {p + "_merged_shape"}, intAttr("axis", 0))
                .node("Unsqueeze", p + "_5d", kv, "axes2").node("Expand", p + "_expanded", p + "_5d", p + "_expand_shape")
                .node("Reshape", p, p + "_expanded", p + "_merged_shape");
        return p;
    }
}
