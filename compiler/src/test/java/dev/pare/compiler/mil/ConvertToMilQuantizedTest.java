package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniformBytes;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT32;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic int8 quantization (DynamicQuantizeLinear, MatMulInteger, ConvInteger, QuantizeLinear,
 * DequantizeLinear) against hand-computed values and, exactly, against ONNX Runtime.
 */
class ConvertToMilQuantizedTest {

    @TempDir Path tmp;

    private Model convert(GraphProto g, Path onnx) throws Exception {
        OnnxGraphBuilder.write(g, onnx);
        return ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(onnx.getFileName() + ".mlpackage"));
    }

    private static Map<String, TensorData> run(Model m, String input, long[] shape, float... x) {
        return new MilInterpreter(m.graph()).run(Map.of(input, TensorData.ofFloats(shape, x)));
    }

    private static float[] values(Map<String, TensorData> out, String name) {
        return MilTensor.of(out.get(name)).toFloats();
    }

    private static GraphProto dynamicQuantize(int n) {
        return new OnnxGraphBuilder("dql").input("x", FLOAT, 1, n)
                .node("DynamicQuantizeLinear", new String[] {"x"}, new String[] {"y", "scale", "zp"})
                .output("y", UINT8, 1, n).output("scale", FLOAT).output("zp", UINT8).build();
    }

    @Test
    void dynamicQuantizeLinearGivesTheSpecValues() throws Exception {
        Model m = convert(dynamicQuantize(4), tmp.resolve("dql.onnx"));
        // range [-1, 2]: scale 3/255, zp round(1 / scale) = 85, y = round(x / scale) + 85
        Map<String, TensorData> out = run(m, "x", new long[] {1, 4}, -1f, 0f, 1f, 2f);
        assertArrayEquals(new float[] {0, 85, 170, 255}, values(out, "y"));
        assertEquals(3f / 255f, values(out, "scale")[0]);
        assertArrayEquals(new float[] {85}, values(out, "zp"));
        assertEquals("INT32", MilTensor.of(out.get("y")).dtype().name(), "Core ML outputs have no uint8: int32 holds the codes");
        // all positive: min(0, min x) = 0, so zp 0; all zero: scale 1 as in ONNX Runtime (0/0 otherwise)
        out = run(m, "x", new long[] {1, 4}, 0.5f, 1f, 0.25f, 0.75f);
        // 0.5 / float32(1/255) is 127.49999...: 127
        assertArrayEquals(new float[] {127, 255, 64, 191}, values(out, "y"));
        assertArrayEquals(new float[] {0}, values(out, "zp"));
        out = run(m, "x", new long[] {1, 4}, 0f, 0f, 0f, 0f);
        assertArrayEquals(new float[] {0, 0, 0, 0}, values(out, "y"));
        assertArrayEquals(new float[] {1}, values(out, "scale"));
    }

    @Test
    void dynamicQuantizeLinearMatchesOnnxRuntimeExactly() throws Exception {
        Path onnx = tmp.resolve("dql_ort.onnx");
        Model m = convert(dynamicQuantize(257), onnx);
        for (long seed = 1; seed <= 3; seed++) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {1, 257}, uniform(257, seed, -3, 5))), 0);
        }
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {1, 257}, new float[257])), 0);
    }

    /** x -> DynamicQuantizeLinear -> MatMulInteger(W, per-column zero points) -> Cast float [* scales]. */
    private static GraphProto matMulInteger(int k, int n, int wType, byte[] w, byte[] wzp, String output) {
        OnnxGraphBuilder b = new OnnxGraphBuilder("mmi").input("x", FLOAT, 2, k)
                .bytes("w", wType, new long[] {k, n}, w).bytes("wzp", wType, new long[] {n}, wzp)
                .floats("wscale", new long[] {n}, uniform(n, 9, 0.01, 0.02))
                .node("DynamicQuantizeLinear", new String[] {"x"}, new String[] {"q", "qs", "qzp"})
                .node("MatMulInteger", new String[] {"q", "w", "qzp", "wzp"}, new String[] {"acc"});
        if (output.equals("acc")) return b.output("acc", INT32, 2, n).build();
        b.node("Cast", new String[] {"acc"}, new String[] {"accf"}, intAttr("to", FLOAT));
        if (output.equals("accf")) return b.output("accf", FLOAT, 2, n).build();
        return b.node("Mul", "s", "qs", "wscale").node("Mul", "y", "accf", "s").output("y", FLOAT, 2, n).build();
    }

    @Test
    void matMulIntegerMatchesOnnxRuntimeExactly() throws Exception {
        // uint8 weights: ONNX Runtime's u8s8 kernels may saturate int16 pair sums on CPUs without
        // VNNI (its quantization docs say so), u8u8 is exact
        int k = 40;
        int n = 6;
        for (String output : new String[] {"acc", "y"}) {
            Path onnx = tmp.resolve("mmi_" + output + ".onnx");
            Model m = convert(matMulInteger(k, n, UINT8, uniformBytes(k * n, 3, 0, 255), uniformBytes(n, 4, 120, 135), output), onnx);
            for (long seed = 1; seed <= 2; seed++) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {2, k}, uniform(2 * k, seed, -2, 3))), 0);
            }
        }
    }

    @Test
    void matMulIntegerWithInt8WeightsGivesTheExactSums() throws Exception {
        int k = 3;
        int n = 2;
        byte[] w = {-128, 127, 5, -7, 100, 0};
        Model m = convert(matMulInteger(k, n, INT8, w, new byte[] {-3, 2}, "acc"), tmp.resolve("mmi_i8.onnx"));
        // x in [-1, 2]: scale 3/255, zp 85, q = [0, 85, 255] and [170, 85, 0]
        Map<String, TensorData> out = run(m, "x", new long[] {2, k}, -1f, 0f, 2f, 1f, 0f, -1f);
        long[][] q = {{0 - 85, 85 - 85, 255 - 85}, {170 - 85, 0, 0 - 85}};
        float[] expected = new float[2 * n];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int t = 0; t < k; t++) s += q[i][t] * (w[t * n + j] - (j == 0 ? -3 : 2));
                expected[i * n + j] = s;
            }
        }
        assertArrayEquals(expected, values(out, "acc"));
    }

    @Test
    void matMulIntegerSplitsKWhereFloat32SumsWouldRound() throws Exception {
        // x all 1: q = 255, zp 0; w - wzp = 255 (one 254): sums 255 * (500 * 255 - 1), above 2^24 and odd
        int k = 500;
        byte[] w = new byte[k];
        java.util.Arrays.fill(w, (byte) 127);
        w[17] = 126;
        Model m = convert(matMulInteger(k, 1, INT8, w, new byte[] {-128}, "accf"), tmp.resolve("mmi_big.onnx"));
        long matmuls = m.graph().nodes().stream().filter(nd -> nd.op().equals("mil.matmul")).count();
        assertEquals(2, matmuls, "at 255 * 255 per row, 258 rows stay below 2^24: K = 500 takes 2 chunks");
        float[] ones = new float[2 * k];
        java.util.Arrays.fill(ones, 1f);
        // two exact partial sums added once in float32 round as the model's Cast of the int32 sum does
        float exact = (float) (255L * (500 * 255 - 1));
        assertArrayEquals(new float[] {exact, exact}, values(run(m, "x", new long[] {2, k}, ones), "accf"));
    }

    @Test
    void convIntegerMatchesOnnxRuntimeExactly() throws Exception {
        int c = 3;
        int mOut = 4;
        GraphProto g = new OnnxGraphBuilder("convint").input("x", FLOAT, 1, c, 6, 5)
                .bytes("w", UINT8, new long[] {mOut, c, 3, 3}, uniformBytes(mOut * c * 9, 5, 0, 255))
                .bytes("wzp", UINT8, new long[] {}, (byte) 131)
                .node("DynamicQuantizeLinear", new String[] {"x"}, new String[] {"q", "qs", "qzp"})
                .node("ConvInteger", new String[] {"q", "w", "qzp", "wzp"}, new String[] {"acc"},
                        ints("pads", 1, 1, 1, 1), ints("strides", 1, 2))
                .node("Cast", new String[] {"acc"}, new String[] {"y"}, intAttr("to", FLOAT))
                .output("y", FLOAT, 1, mOut, 6, 3).build();
        Path onnx = tmp.resolve("convint.onnx");
        Model m = convert(g, onnx);
        for (long seed = 1; seed <= 2; seed++) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {1, c, 6, 5}, uniform(c * 30, seed, -1, 4))), 0);
        }
    }

    @Test
    void dequantizeOfAGatheredTableAndQuantizeLinearMatchOnnxRuntime() throws Exception {
        GraphProto g = new OnnxGraphBuilder("dq").input("ids", INT64, 3).input("x", FLOAT, 2, 3)
                .bytes("table", UINT8, new long[] {5, 4}, uniformBytes(20, 6, 0, 255))
                .floats("ts", new long[] {}, 0.05f).bytes("tzp", UINT8, new long[] {}, (byte) 120)
                .floats("xs", new long[] {}, 0.1f).bytes("xzp", INT8, new long[] {}, (byte) -3)
                .node("Gather", "rows", "table", "ids")
                .node("DequantizeLinear", "emb", "rows", "ts", "tzp")
                .node("QuantizeLinear", "xq", "x", "xs", "xzp")
                .node("DequantizeLinear", "xd", "xq", "xs", "xzp")
                .output("emb", FLOAT, 3, 4).output("xd", FLOAT, 2, 3).build();
        Path onnx = tmp.resolve("dq.onnx");
        Model m = convert(g, onnx);
        // 0.25 and -0.35 sit on rounding ties of x / 0.1 (half to even), 20 saturates at 127
        var in = inputs("ids", ConvertedVsOrt.longs(new long[] {3}, 4, 0, 2),
                "x", floats(new long[] {2, 3}, 0.25f, -0.35f, 20f, -20f, 1.23f, 0f));
        ConvertedVsOrt.assertMatches(onnx, m, in, 0);
    }

    @Test
    void gatherElementsOfALutTableMatchesOnnxRuntime() throws Exception {
        // the shape of Pare's grouped-LUT decode (formats/onnx LutLowering): codes computed in the
        // graph pick entries of a [groups, entries] table along axis 1; and constant negative indices
        GraphProto g = new OnnxGraphBuilder("ge").input("codes", INT64, 3, 5).input("x", FLOAT, 2, 4)
                .floats("table", new long[] {3, 4}, uniform(12, 9, -1, 1))
                .longs("neg", new long[] {2, 2}, -1, 0, 3, -4)
                .node("GatherElements", new String[] {"table", "codes"}, new String[] {"w"}, intAttr("axis", 1))
                .node("GatherElements", new String[] {"x", "neg"}, new String[] {"y"}, intAttr("axis", 1))
                .output("w", FLOAT, 3, 5).output("y", FLOAT, 2, 2).build();
        Path onnx = tmp.resolve("ge.onnx");
        Model m = convert(g, onnx);
        long[] codes = {0, 3, 1, 2, 2, 3, 3, 0, 1, 1, 2, 0, 0, 3, 1};
        var in = inputs("codes", ConvertedVsOrt.longs(new long[] {3, 5}, codes), "x", floats(new long[] {2, 4}, uniform(8, 4, -2, 2)));
        ConvertedVsOrt.assertMatches(onnx, m, in, 0);
    }

    @Test
    void miniLmInt8MatchesOnnxRuntimeWithoutFusions() throws Exception {
        Path onnx = dev.pare.compiler.testing.TestModels.MINILM_Q;
        Model m = ConvertedVsOrt.convert(onnx, List.of("input_ids:1,32", "attention_mask:1,32", "token_type_ids:1,32"),
                tmp.resolve("minilm_q.mlpackage"));
        long[] ids = new long[32];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(1000, 30000);
        long[] ones = new long[32];
        java.util.Arrays.fill(ones, 1);
        var in = inputs("input_ids", ConvertedVsOrt.longs(new long[] {1, 32}, ids),
                "attention_mask", ConvertedVsOrt.longs(new long[] {1, 32}, ones),
                "token_type_ids", ConvertedVsOrt.longs(new long[] {1, 32}, new long[32]));
        float[] exact = dev.pare.compiler.testing.OrtRunner.runUnoptimized(onnx, in).get("last_hidden_state").floats();
        float[] fused = dev.pare.compiler.testing.OrtRunner.run(onnx, in).get("last_hidden_state").floats();
        Map<String, TensorData> feeds = new java.util.HashMap<>();
        for (var e : in.entrySet()) {
            int[] v = java.util.Arrays.stream(e.getValue().longs()).mapToInt(Math::toIntExact).toArray();
            feeds.put(e.getKey(), MilTensor.ints(dev.pare.ir.DType.INT32, new int[] {1, 32}, v).toData());
        }
        float[] mil = MilTensor.of(new MilInterpreter(m.graph()).run(feeds).get("last_hidden_state")).toFloats();
        double scale = 0;
        for (float v : exact) scale = Math.max(scale, Math.abs(v));
        double milErr = 0;
        double ortErr = 0;
        for (int i = 0; i < exact.length; i++) {
            milErr = Math.max(milErr, Math.abs(mil[i] - exact[i]) / scale);
            ortErr = Math.max(ortErr, Math.abs(fused[i] - exact[i]) / scale);
        }
        // measured: 1.3e-7 against ORT without fusions; ORT's own fused int8 kernels (DynamicQuantizeMatMul,
        // u8s8 pair sums that may saturate) are 3e-2 from that, so the comparison is with the unfused run
        assertEquals(0, milErr, 1e-5, "interpreter vs ONNX Runtime without fusions (optimized ORT differs by " + ortErr + ")");
    }
}
