package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The synthetic KV-cache decoder ({@link KvCacheDecoderModel}) converted with fixed input shapes,
 * a prefill (past length 0) and decode steps (past length > 0, batch 2 with left padding in the
 * attention mask), and run in the MIL interpreter against unoptimized ONNX Runtime: every output
 * (logits and the present keys and values) within 1e-5 of its largest magnitude.
 */
class ConvertToMilKvCacheDecoderTest {

    @TempDir Path tmp;

    private Path model() throws Exception {
        return OnnxGraphBuilder.write(KvCacheDecoderModel.build(1), tmp.resolve("tiny_llama_kv.onnx"));
    }

    private static List<String> shapes(int batch, int seq, int past) {
        List<String> s = new ArrayList<>(List.of("input_ids:" + batch + "," + seq, "attention_mask:" + batch + "," + (past + seq)));
        for (int l = 0; l < KvCacheDecoderModel.LAYERS; l++) {
            String dims = batch + "," + KvCacheDecoderModel.KV_HEADS + "," + past + "," + KvCacheDecoderModel.HEAD_DIM;
            s.add(KvCacheDecoderModel.pastKey(l) + ":" + dims);
            s.add(KvCacheDecoderModel.pastValue(l) + ":" + dims);
        }
        return s;
    }

    /** Token ids, a mask whose first {@code padding[b]} positions of row b are 0, random past keys and values. */
    private static Map<String, Tensor> inputs(int batch, int seq, int past, int[] padding, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] ids = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(KvCacheDecoderModel.VOCAB);
        long[] mask = new long[batch * (past + seq)];
        for (int bi = 0; bi < batch; bi++) {
            for (int t = 0; t < past + seq; t++) mask[bi * (past + seq) + t] = t < padding[bi] ? 0 : 1;
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(new long[] {batch, seq}, ids));
        in.put("attention_mask", Tensor.ofLongs(new long[] {batch, past + seq}, mask));
        long[] kvShape = {batch, KvCacheDecoderModel.KV_HEADS, past, KvCacheDecoderModel.HEAD_DIM};
        int n = batch * KvCacheDecoderModel.KV_HEADS * past * KvCacheDecoderModel.HEAD_DIM;
        for (int l = 0; l < KvCacheDecoderModel.LAYERS; l++) {
            in.put(KvCacheDecoderModel.pastKey(l), Tensor.ofFloats(kvShape, uniform(n, seed * 10 + 2 * l, -2, 2)));
            in.put(KvCacheDecoderModel.pastValue(l), Tensor.ofFloats(kvShape, uniform(n, seed * 10 + 2 * l + 1, -2, 2)));
        }
        return in;
    }

    private void check(String name, int batch, int seq, int past, int[] padding) throws Exception {
        Path onnx = model();
        Model m = ConvertedVsOrt.convert(onnx, shapes(batch, seq, past), tmp.resolve(name + ".mlpackage"));
        Map<String, Long> ops = new java.util.TreeMap<>();
        for (dev.pare.ir.Node node : m.graph().allNodes()) {
            if (!node.op().equals("mil.const")) ops.merge(node.op(), 1L, Long::sum);
        }
        System.out.println(name + ": " + ops);
        // the shapes, positions and mask are known once the input shapes are: folded, not computed in MIL
        for (String folded : List.of("mil.shape", "mil.range_1d", "mil.fill")) assertTrue(!ops.containsKey(folded), name + ": " + ops);
        for (long seed = 1; seed <= 2; seed++) {
            Map<String, Double> errors = ConvertedVsOrt.relativeErrors(onnx, m, inputs(batch, seq, past, padding, seed));
            assertEquals(1 + 2 * KvCacheDecoderModel.LAYERS, errors.size(), errors.toString());
            System.out.println(name + " seed " + seed + ": max |ort - mil| / max |ort| per output " + errors);
            errors.forEach((out, e) -> assertTrue(e <= 1e-5, name + ": " + out + " relative error " + e));
        }
    }

    /**
     * The same decoder in the form ONNX Runtime's GenAI builder writes (MatMulNBits,
     * GroupQueryAttention with rotary, SkipSimplifiedLayerNormalization): converted for iOS 18
     * (4-bit blockwise weights), a prompt and decode steps against ONNX Runtime.
     */
    @Test
    void genaiBuilderFormWithInt4WeightsMatchesOnnxRuntime() throws Exception {
        Path onnx = OnnxGraphBuilder.write(FusedDecoderModel.build(2), tmp.resolve("tiny_genai_int4.onnx"));
        int[][] cases = {{1, 5, 0}, {1, 1, 5}, {2, 1, 7}, {1, 3, 4}};
        for (int[] c : cases) {
            int batch = c[0];
            int seq = c[1];
            int past = c[2];
            String name = "genai_b" + batch + "_s" + seq + "_p" + past;
            List<String> shapes = new ArrayList<>(List.of("input_ids:" + batch + "," + seq, "attention_mask:" + batch + "," + (past + seq)));
            for (int l = 0; l < FusedDecoderModel.LAYERS; l++) {
                String dims = batch + "," + FusedDecoderModel.KV_HEADS + "," + past + "," + FusedDecoderModel.HEAD_DIM;
                shapes.add(KvCacheDecoderModel.pastKey(l) + ":" + dims);
                shapes.add(KvCacheDecoderModel.pastValue(l) + ":" + dims);
            }
            Model m = ConvertedVsOrt.convert(onnx, shapes, tmp.resolve(name + ".mlpackage"), "ios18");
            Map<String, Long> ops = new java.util.TreeMap<>();
            for (dev.pare.ir.Node node : m.graph().allNodes()) if (!node.op().equals("mil.const")) ops.merge(node.op(), 1L, Long::sum);
            System.out.println(name + ": " + ops);
            assertEquals(15L, ops.get("mil.constexpr_blockwise_shift_scale"), "the 4-bit weights stay compressed: " + ops);
            for (long seed = 1; seed <= 2; seed++) {
                SplittableRandom r = new SplittableRandom(seed);
                Map<String, Tensor> in = new LinkedHashMap<>();
                long[] ids = new long[batch * seq];
                for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(FusedDecoderModel.VOCAB);
                long[] mask = new long[batch * (past + seq)];
                java.util.Arrays.fill(mask, 1); // GroupQueryAttention's lowering: rows without padding
                in.put("input_ids", Tensor.ofLongs(new long[] {batch, seq}, ids));
                in.put("attention_mask", Tensor.ofLongs(new long[] {batch, past + seq}, mask));
                long[] kv = {batch, FusedDecoderModel.KV_HEADS, past, FusedDecoderModel.HEAD_DIM};
                int n = batch * FusedDecoderModel.KV_HEADS * past * FusedDecoderModel.HEAD_DIM;
                for (int l = 0; l < FusedDecoderModel.LAYERS; l++) {
                    in.put(KvCacheDecoderModel.pastKey(l), Tensor.ofFloats(kv, uniform(n, seed * 10 + 2 * l, -2, 2)));
                    in.put(KvCacheDecoderModel.pastValue(l), Tensor.ofFloats(kv, uniform(n, seed * 10 + 2 * l + 1, -2, 2)));
                }
                Map<String, Double> errors = ConvertedVsOrt.relativeErrors(onnx, m, in);
                System.out.println(name + " seed " + seed + ": max |ort - mil| / max |ort| per output " + errors);
                assertEquals(1 + 2 * FusedDecoderModel.LAYERS, errors.size(), errors.toString());
                errors.forEach((out, e) -> assertTrue(e <= 1e-5, name + ": " + out + " relative error " + e));
            }
        }
    }

    @Test
    void prefillWithoutPastMatchesOnnxRuntime() throws Exception {
        check("prefill", 1, 5, 0, new int[] {0});
    }

    @Test
    void decodeStepsWithAPastAndLeftPaddingMatchOnnxRuntime() throws Exception {
        check("decode1", 2, 1, 6, new int[] {0, 2});
        check("decode3", 2, 3, 4, new int[] {1, 0});
    }
}
