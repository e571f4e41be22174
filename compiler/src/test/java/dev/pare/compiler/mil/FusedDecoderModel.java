package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniformBytes;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT32;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.floatAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;

/**
 * A tiny decoder in the form ONNX Runtime's GenAI model builder writes for CPU with int4 weights:
 * every projection a com.microsoft MatMulNBits (4 bits, blocks of 32, zero points), attention a
 * GroupQueryAttention with do_rotary (4 query heads over 2 key/value heads of 16), residuals and
 * RMS norms as SkipSimplifiedLayerNormalization, seqlens_k and total_sequence_length computed from
 * attention_mask as int32; same inputs and outputs as {@link KvCacheDecoderModel}. Synthetic:
 * seeded random codes, scales and norms.
 */
final class FusedDecoderModel {

    static final int VOCAB = 32;
    static final int HIDDEN = 64;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = HIDDEN / HEADS;
    static final int FFN = 96;
    static final int LAYERS = 2;
    static final int MAX_POSITIONS = 32;
    static final int BLOCK = 32;

    private FusedDecoderModel() {}

    static GraphProto build(long seed) {
        OnnxGraphBuilder b = new OnnxGraphBuilder("tiny_genai_int4")
                .input("input_ids", INT64, "batch_size", "sequence_length")
                .input("attention_mask", INT64, "batch_size", "total_sequence_length");
        for (int l = 0; l < LAYERS; l++) {
            b.input(KvCacheDecoderModel.pastKey(l), FLOAT, "batch_size", KV_HEADS, "past_sequence_length", HEAD_DIM);
            b.input(KvCacheDecoderModel.pastValue(l), FLOAT, "batch_size", KV_HEADS, "past_sequence_length", HEAD_DIM);
        }
        long[] s = {seed * 1000};
        b.floats("embed_tokens", new long[] {VOCAB, HIDDEN}, uniform(VOCAB * HIDDEN, s[0]++, -1, 1));
        float[] cos = new float[MAX_POSITIONS * HEAD_DIM / 2];
        float[] sin = new float[cos.length];
        for (int p = 0; p < MAX_POSITIONS; p++) {
            for (int k = 0; k < HEAD_DIM / 2; k++) {
                double angle = p * Math.pow(10000, -2.0 * k / HEAD_DIM);
                cos[p * HEAD_DIM / 2 + k] = (float) Math.cos(angle);
                sin[p * HEAD_DIM / 2 + k] = (float) Math.sin(angle);
            }
        }
        b.floats("cos_cache", new long[] {MAX_POSITIONS, HEAD_DIM / 2}, cos).floats("sin_cache", new long[] {MAX_POSITIONS, HEAD_DIM / 2}, sin)
                .longs("one", new long[0], 1).longs("axis1", new long[] {1}, 1)
                .node("ReduceSum", new String[] {"attention_mask", "axis1"}, new String[] {"mask_sum"}, intAttr("keepdims", 0))
                .node("Sub", "seqlens_64", "mask_sum", "one")
                .node("Cast", new String[] {"seqlens_64"}, new String[] {"seqlens_k"}, intAttr("to", INT32))
                .node("Shape", "mask_shape", "attention_mask").node("Gather", "total_64", "mask_shape", "one")
                .node("Cast", new String[] {"total_64"}, new String[] {"total_len"}, intAttr("to", INT32))
                .node("Gather", "h0", "embed_tokens", "input_ids");
        String residual = "h0";
        String normed = null;
        for (int l = 0; l < LAYERS; l++) {
            String p = "l" + l + "_";
            b.floats(p + "ln1", new long[] {HIDDEN}, uniform(HIDDEN, s[0]++, 0.5, 1.5))
                    .floats(p + "ln2", new long[] {HIDDEN}, uniform(HIDDEN, s[0]++, 0.5, 1.5));
            if (l == 0) {
                b.node("SimplifiedLayerNormalization", new String[] {residual, p + "ln1"}, new String[] {p + "attn_in"},
                        intAttr("axis", -1), floatAttr("epsilon", 1e-6f), intAttr("stash_type", 1));
            } else {
                b.msNode("SkipSimplifiedLayerNormalization", new String[] {normed, residual, p + "ln1"}, new String[] {p + "attn_in", "", "", p + "res0"},
                        floatAttr("epsilon", 1e-6f));
                residual = p + "res0";
            }
            matMulNBits(b, p + "attn_in", p + "q", HIDDEN, HIDDEN, s);
            matMulNBits(b, p + "attn_in", p + "k", HIDDEN, KV_HEADS * HEAD_DIM, s);
            matMulNBits(b, p + "attn_in", p + "v", HIDDEN, KV_HEADS * HEAD_DIM, s);
            b.msNode("GroupQueryAttention", new String[] {p + "q", p + "k", p + "v", KvCacheDecoderModel.pastKey(l), KvCacheDecoderModel.pastValue(l),
                    "seqlens_k", "total_len", "cos_cache", "sin_cache"}, new String[] {p + "attn", "present." + l + ".key", "present." + l + ".value"},
                    intAttr("num_heads", HEADS), intAttr("kv_num_heads", KV_HEADS), intAttr("do_rotary", 1));
            matMulNBits(b, p + "attn", p + "o", HIDDEN, HIDDEN, s);
            b.msNode("SkipSimplifiedLayerNormalization", new String[] {p + "o", residual, p + "ln2"}, new String[] {p + "mlp_in", "", "", p + "res1"},
                    floatAttr("epsilon", 1e-6f));
            residual = p + "res1";
            matMulNBits(b, p + "mlp_in", p + "gate", HIDDEN, FFN, s);
            matMulNBits(b, p + "mlp_in", p + "up", HIDDEN, FFN, s);
            b.node("Sigmoid", p + "gate_sigmoid", p + "gate").node("Mul", p + "gate_silu", p + "gate", p + "gate_sigmoid")
                    .node("Mul", p + "gated", p + "gate_silu", p + "up");
            matMulNBits(b, p + "gated", p + "down", FFN, HIDDEN, s);
            normed = p + "down";
        }
        b.floats("final_norm", new long[] {HIDDEN}, uniform(HIDDEN, s[0]++, 0.5, 1.5))
                .msNode("SkipSimplifiedLayerNormalization", new String[] {normed, residual, "final_norm"}, new String[] {"final_hidden"},
                        floatAttr("epsilon", 1e-6f));
        matMulNBits(b, "final_hidden", "logits", HIDDEN, VOCAB, s);
        b.output("logits", FLOAT, "batch_size", "sequence_length", VOCAB);
        for (int l = 0; l < LAYERS; l++) {
            b.output("present." + l + ".key", FLOAT, "batch_size", KV_HEADS, "total_sequence_length", HEAD_DIM);
            b.output("present." + l + ".value", FLOAT, "batch_size", KV_HEADS, "total_sequence_length", HEAD_DIM);
        }
        return b.build();
    }

    /** out = x · Wᵀ with W [n, k] as 4-bit codes in blocks of 32 with scales and zero points. */
    private static void matMulNBits(OnnxGraphBuilder b, String x, String out, int k, int n, long[] seed) {
        int blocks = k / BLOCK;
        b.bytes(out + "_w", UINT8, new long[] {n, blocks, BLOCK / 2}, uniformBytes(n * k / 2, seed[0]++, 0, 255))
                .floats(out + "_scales", new long[] {n * blocks}, uniform(n * blocks, seed[0]++, 0.01, 0.04))
                .bytes(out + "_zp", UINT8, new long[] {n * ((blocks + 1) / 2)}, uniformBytes(n * ((blocks + 1) / 2), seed[0]++, 0, 255))
                .msNode("MatMulNBits", new String[] {x, out + "_w", out + "_scales", out + "_zp"}, new String[] {out},
                        intAttr("K", k), intAttr("N", n), intAttr("bits", 4), intAttr("block_size", BLOCK));
    }
}
