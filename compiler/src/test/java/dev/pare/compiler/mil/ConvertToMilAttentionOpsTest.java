package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT32;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.floatAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * com.microsoft GroupQueryAttention and MultiHeadAttention as ONNX Runtime's GenAI builder and
 * transformers optimizer write them for decoders, converted with static shapes (a prompt with no
 * past, and steps with a past), run in the MIL interpreter against ONNX Runtime on random inputs:
 * every output within 1e-5 of its largest magnitude. Refusals name the node and the reason.
 */
class ConvertToMilAttentionOpsTest {

    @TempDir Path tmp;

    // ONNX Runtime's GroupQueryAttention with do_rotary needs a head size that is a multiple of 16
    static final int HEAD = 16;

    private Model convert(GraphProto g, String name) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
        return ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"));
    }

    private static Object[] dims(long... d) { return java.util.Arrays.stream(d).boxed().toArray(); }

    private static Tensor random(long[] shape, long seed) {
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        return Tensor.ofFloats(shape, uniform(n, seed, -2, 2));
    }

    private void assertMatches(String name, long seed, Model m, Map<String, Tensor> in) throws Exception {
        Map<String, Double> errors = ConvertedVsOrt.relativeErrors(tmp.resolve(name + ".onnx"), m, in);
        System.out.println(name + " seed " + seed + ": max |ort - mil| / max |ort| " + errors);
        errors.forEach((out, e) -> assertTrue(e <= 1e-5, name + ": " + out + " relative error " + e));
    }

    /**
     * GroupQueryAttention as the GenAI builder wires it: seqlens_k = ReduceSum(attention_mask) - 1
     * and total_sequence_length = its width, both as int32; past [B, Nk, P, h] and present outputs.
     */
    private static GraphProto gqa(String name, long batch, long seq, long past, long heads, long kvHeads, boolean packed,
            boolean rotary, AttributeProto... extra) {
        long total = past + seq;
        OnnxGraphBuilder b = new OnnxGraphBuilder(name);
        if (packed) b.input("qkv", FLOAT, dims(batch, seq, (heads + 2 * kvHeads) * HEAD));
        else b.input("q", FLOAT, dims(batch, seq, heads * HEAD)).input("k", FLOAT, dims(batch, seq, kvHeads * HEAD))
                .input("v", FLOAT, dims(batch, seq, kvHeads * HEAD));
        b.input("attention_mask", INT64, dims(batch, total))
                .input("past_key", FLOAT, dims(batch, kvHeads, past, HEAD)).input("past_value", FLOAT, dims(batch, kvHeads, past, HEAD))
                .longs("one", new long[0], 1).longs("axis1", new long[] {1}, 1)
                .node("ReduceSum", new String[] {"attention_mask", "axis1"}, new String[] {"mask_sum"}, intAttr("keepdims", 0))
                .node("Sub", "seqlens_64", "mask_sum", "one")
                .node("Cast", new String[] {"seqlens_64"}, new String[] {"seqlens_k"}, intAttr("to", INT32))
                .node("Shape", "mask_shape", "attention_mask").node("Gather", "total_64", "mask_shape", "one")
                .node("Cast", new String[] {"total_64"}, new String[] {"total_len"}, intAttr("to", INT32));
        List<String> in = new ArrayList<>(packed ? List.of("qkv", "", "") : List.of("q", "k", "v"));
        in.addAll(List.of("past_key", "past_value", "seqlens_k", "total_len"));
        List<AttributeProto> attrs = new ArrayList<>(List.of(intAttr("num_heads", heads), intAttr("kv_num_heads", kvHeads)));
        attrs.addAll(List.of(extra));
        if (rotary) {
            int positions = 16;
            float[] cos = new float[positions * HEAD / 2];
            float[] sin = new float[cos.length];
            for (int p = 0; p < positions; p++) {
                for (int k = 0; k < HEAD / 2; k++) {
                    double angle = p * Math.pow(10000, -2.0 * k / HEAD);
                    cos[p * HEAD / 2 + k] = (float) Math.cos(angle);
                    sin[p * HEAD / 2 + k] = (float) Math.sin(angle);
                }
            }
            b.floats("cos_cache", new long[] {positions, HEAD / 2}, cos).floats("sin_cache", new long[] {positions, HEAD / 2}, sin);
            in.addAll(List.of("cos_cache", "sin_cache"));
            attrs.add(intAttr("do_rotary", 1));
        }
        return b.msNode("GroupQueryAttention", in.toArray(String[]::new), new String[] {"out", "present_key", "present_value"},
                        attrs.toArray(AttributeProto[]::new))
                .output("out", FLOAT, dims(batch, seq, heads * HEAD))
                .output("present_key", FLOAT, dims(batch, kvHeads, total, HEAD)).output("present_value", FLOAT, dims(batch, kvHeads, total, HEAD))
                .build();
    }

    private static Map<String, Tensor> gqaInputs(long batch, long seq, long past, long heads, long kvHeads, boolean packed, long seed) {
        long total = past + seq;
        Map<String, Tensor> in = new LinkedHashMap<>();
        if (packed) in.put("qkv", random(new long[] {batch, seq, (heads + 2 * kvHeads) * HEAD}, seed));
        else {
            in.put("q", random(new long[] {batch, seq, heads * HEAD}, seed));
            in.put("k", random(new long[] {batch, seq, kvHeads * HEAD}, seed + 1));
            in.put("v", random(new long[] {batch, seq, kvHeads * HEAD}, seed + 2));
        }
        long[] mask = new long[(int) (batch * total)];
        java.util.Arrays.fill(mask, 1);
        in.put("attention_mask", Tensor.ofLongs(new long[] {batch, total}, mask));
        in.put("past_key", random(new long[] {batch, kvHeads, past, HEAD}, seed + 3));
        in.put("past_value", random(new long[] {batch, kvHeads, past, HEAD}, seed + 4));
        return in;
    }

    private void checkGqa(String name, long batch, long seq, long past, long heads, long kvHeads, boolean packed, boolean rotary,
            AttributeProto... extra) throws Exception {
        Model m = convert(gqa(name, batch, seq, past, heads, kvHeads, packed, rotary, extra), name);
        for (long seed = 1; seed <= 2; seed++) assertMatches(name, seed, m, gqaInputs(batch, seq, past, heads, kvHeads, packed, seed * 10));
    }

    @Test
    void groupQueryAttentionPromptAndDecodeStepsMatchOnnxRuntime() throws Exception {
        checkGqa("gqa_prompt", 2, 5, 0, 4, 2, false, false);
        checkGqa("gqa_decode", 2, 1, 6, 4, 2, false, false);
        checkGqa("gqa_chunk", 1, 3, 4, 4, 1, false, false);
        checkGqa("gqa_mha_like", 1, 2, 3, 2, 2, false, false);
    }

    @Test
    void groupQueryAttentionPackedRotaryAndLocalWindowMatchOnnxRuntime() throws Exception {
        checkGqa("gqa_packed", 2, 4, 0, 4, 2, true, false);
        checkGqa("gqa_packed_decode", 2, 1, 5, 4, 2, true, false);
        checkGqa("gqa_rotary_prompt", 1, 4, 0, 4, 2, true, true);
        checkGqa("gqa_rotary_decode", 2, 1, 5, 4, 2, false, true); // ONNX Runtime: batch 1 when sequence > 1 with a past
        checkGqa("gqa_rotary_interleaved", 1, 3, 4, 4, 2, true, true, intAttr("rotary_interleaved", 1));
        checkGqa("gqa_window_decode", 2, 1, 5, 4, 2, false, false, intAttr("local_window_size", 2));
        checkGqa("gqa_window_prompt", 1, 5, 0, 4, 2, false, false, intAttr("local_window_size", 2));
        checkGqa("gqa_window", 1, 4, 3, 4, 2, false, false, intAttr("local_window_size", 2));
        checkGqa("gqa_scale", 1, 3, 2, 4, 2, false, false, floatAttr("scale", 0.2f));
    }

    @Test
    void groupQueryAttentionRefusalsNameTheReason() {
        Exception softcap = assertThrows(Exception.class, () -> convert(gqa("gqa_softcap", 1, 2, 1, 4, 2, false, false, floatAttr("softcap", 30f)), "gqa_softcap"));
        assertTrue(softcap.getMessage().contains("GroupQueryAttention 'GroupQueryAttention_6': softcap 30.0 has no lowering (only 0)"), softcap.getMessage());
        Exception smooth = assertThrows(Exception.class, () -> convert(gqa("gqa_smooth", 1, 2, 1, 4, 2, false, false, intAttr("smooth_softmax", 1)), "gqa_smooth"));
        assertTrue(smooth.getMessage().contains("smooth_softmax=1 has no lowering"), smooth.getMessage());
        Exception heads = assertThrows(Exception.class, () -> convert(gqa("gqa_heads", 1, 2, 1, 4, 3, false, false), "gqa_heads"));
        assertTrue(heads.getMessage().contains("num_heads 4 must be a positive multiple of kv_num_heads 3"), heads.getMessage());
    }

    @Test
    void groupQueryAttentionWithAConstantSeqlensOfPaddedRowsIsRefused() {
        GraphProto g = new OnnxGraphBuilder("gqa_pad").input("q", FLOAT, 2, 1, 16).input("k", FLOAT, 2, 1, 8).input("v", FLOAT, 2, 1, 8)
                .input("past_key", FLOAT, 2, 1, 3, 8).input("past_value", FLOAT, 2, 1, 3, 8)
                .bytes("seqlens_k", INT32, new long[] {2}, (byte) 3, (byte) 0, (byte) 0, (byte) 0, (byte) 1, (byte) 0, (byte) 0, (byte) 0)
                .bytes("total", INT32, new long[0], (byte) 4, (byte) 0, (byte) 0, (byte) 0)
                .msNode("GroupQueryAttention", new String[] {"q", "k", "v", "past_key", "past_value", "seqlens_k", "total"},
                        new String[] {"out"}, intAttr("num_heads", 2), intAttr("kv_num_heads", 1))
                .output("out", FLOAT, 2, 1, 16).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "gqa_pad"));
        assertTrue(e.getMessage().contains("GroupQueryAttention 'GroupQueryAttention_0': seqlens_k is [3, 1]; the lowering needs 3 "
                + "(past + sequence - 1) for every batch entry: rows without padding"), e.getMessage());
    }

    /** MultiHeadAttention with separate 3-D query/key/value, optional bias, past and attention_bias. */
    private static GraphProto mha(String name, long batch, long seq, long past, long heads, boolean bias, boolean attentionBias,
            AttributeProto... extra) {
        long hidden = heads * HEAD;
        long total = past + seq;
        OnnxGraphBuilder b = new OnnxGraphBuilder(name).input("q", FLOAT, dims(batch, seq, hidden)).input("k", FLOAT, dims(batch, seq, hidden))
                .input("v", FLOAT, dims(batch, seq, hidden))
                .input("past_key", FLOAT, dims(batch, heads, past, HEAD)).input("past_value", FLOAT, dims(batch, heads, past, HEAD))
                .floats("bias", new long[] {3 * hidden}, uniform((int) (3 * hidden), 77, -1, 1));
        if (attentionBias) b.input("attention_bias", FLOAT, dims(1, heads, seq, total));
        String[] in = {"q", "k", "v", bias ? "bias" : "", "", attentionBias ? "attention_bias" : "", "past_key", "past_value"};
        List<AttributeProto> attrs = new ArrayList<>(List.of(intAttr("num_heads", heads)));
        attrs.addAll(List.of(extra));
        return b.msNode("MultiHeadAttention", in, new String[] {"out", "present_key", "present_value"}, attrs.toArray(AttributeProto[]::new))
                .output("out", FLOAT, dims(batch, seq, hidden))
                .output("present_key", FLOAT, dims(batch, heads, total, HEAD)).output("present_value", FLOAT, dims(batch, heads, total, HEAD))
                .build();
    }

    private void checkMha(String name, long batch, long seq, long past, long heads, boolean bias, boolean attentionBias, AttributeProto... extra)
            throws Exception {
        Model m = convert(mha(name, batch, seq, past, heads, bias, attentionBias, extra), name);
        long hidden = heads * HEAD;
        for (long seed = 1; seed <= 2; seed++) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("q", random(new long[] {batch, seq, hidden}, seed));
            in.put("k", random(new long[] {batch, seq, hidden}, seed + 1));
            in.put("v", random(new long[] {batch, seq, hidden}, seed + 2));
            in.put("past_key", random(new long[] {batch, heads, past, HEAD}, seed + 3));
            in.put("past_value", random(new long[] {batch, heads, past, HEAD}, seed + 4));
            if (attentionBias) in.put("attention_bias", random(new long[] {1, heads, seq, past + seq}, seed + 5));
            assertMatches(name, seed, m, in);
        }
    }

    @Test
    void multiHeadAttentionCausalDecoderMatchesOnnxRuntime() throws Exception {
        checkMha("mha_prompt", 2, 5, 0, 2, true, false, intAttr("unidirectional", 1));
        checkMha("mha_decode", 2, 1, 6, 2, true, false, intAttr("unidirectional", 1));
        checkMha("mha_chunk", 1, 3, 4, 2, false, false, intAttr("unidirectional", 1), floatAttr("scale", 0.3f));
    }

    @Test
    void multiHeadAttentionWithAttentionBiasMatchesOnnxRuntime() throws Exception {
        checkMha("mha_attn_bias", 2, 3, 2, 2, true, true);
    }

    @Test
    void multiHeadAttentionKeyPaddingMaskIsRefused() {
        GraphProto g = new OnnxGraphBuilder("mha_kpm").input("q", FLOAT, 1, 2, 16).input("k", FLOAT, 1, 2, 16).input("v", FLOAT, 1, 2, 16)
                .input("mask", INT32, 1, 2)
                .msNode("MultiHeadAttention", new String[] {"q", "k", "v", "", "mask"}, new String[] {"out"}, intAttr("num_heads", 2))
                .output("out", FLOAT, 1, 2, 16).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "mha_kpm"));
        assertTrue(e.getMessage().contains("MultiHeadAttention 'MultiHeadAttention_0': input 4 (key_padding_mask) has no lowering"), e.getMessage());
    }
}
