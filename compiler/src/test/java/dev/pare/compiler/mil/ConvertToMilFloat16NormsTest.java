package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT16;
import static dev.pare.compiler.mil.OnnxGraphBuilder.floatAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Float16;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * float16 RMS normalization (SimplifiedLayerNormalization) and LayerNormalization, converted,
 * written as an .mlpackage, read back and run in the MIL interpreter against ONNX Runtime on the
 * same float16 inputs. ONNX Runtime's CPU kernels widen x to float32, compute the statistics and
 * the result in float32 and round once to float16; the lowering casts in and out around float32
 * ops, so the outputs may differ only where a float32 rounding in between (a sum's order) moves
 * the result across a float16 rounding boundary: the tolerance is 1 float16 ulp per element, or,
 * for a result that cancels to near 0 (normalized · scale + bias), 1e-6 of the output's largest
 * magnitude (float32's absolute error there, which is several float16 ulps of so small a value).
 */
class ConvertToMilFloat16NormsTest {

    @TempDir Path tmp;

    /**
     * The largest difference in float16 ulps, how many elements differ at all and by more than 1
     * ulp, and the largest difference relative to the output's largest magnitude.
     */
    private record UlpStats(int maxUlps, int differing, int beyondOneUlp, int elements, double maxRelativeToMax) {}

    private static float[] halves(float[] v) {
        float[] h = new float[v.length];
        for (int i = 0; i < v.length; i++) h[i] = Float16.toFloat(Float16.fromFloat(v[i]));
        return h;
    }

    /** float16 bits on a line where adjacent values are 1 apart (negative values mirrored). */
    private static int ordered(float v) {
        int bits = Float16.fromFloat(v) & 0xFFFF;
        return (bits & 0x8000) != 0 ? -(bits & 0x7FFF) : bits;
    }

    private static UlpStats compare(Path onnx, Model m, long[] shape, float[] x) throws Exception {
        return compare(onnx, m, Map.of("x", Tensor.ofFloats(shape, x)), "y");
    }

    /** Output {@code output} of both runs on the same float16 inputs (given as floats already rounded to float16). */
    private static UlpStats compare(Path onnx, Model m, Map<String, Tensor> inputs, String output) throws Exception {
        Map<String, Tensor> expected = OrtRunner.runUnoptimized(onnx, inputs);
        Map<String, TensorData> in = new java.util.HashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) in.put(e.getKey(), TensorData.ofFloats(e.getValue().shape(), e.getValue().floats()));
        Map<String, TensorData> actual = new MilInterpreter(m.graph()).run(in);
        MilTensor y = MilTensor.of(actual.get(output));
        assertEquals(dev.pare.ir.DType.FLOAT16, actual.get(output).dtype(), "the output stays float16");
        assertArrayEquals(expected.get(output).shape(), Arrays.stream(y.shape()).asLongStream().toArray());
        float[] want = expected.get(output).floats();
        float[] got = y.toFloats();
        double largest = 0;
        for (float w : want) largest = Math.max(largest, Math.abs(w));
        int max = 0;
        int differing = 0;
        int beyond = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            assertTrue(Float.isFinite(want[i]) && Float.isFinite(got[i]), "element " + i + ": ort " + want[i] + " mil " + got[i]);
            int d = Math.abs(ordered(want[i]) - ordered(got[i]));
            double abs = Math.abs(want[i] - got[i]);
            max = Math.max(max, d);
            worst = Math.max(worst, abs / largest);
            if (d != 0) differing++;
            if (d > 1) beyond++;
            // a result that cancels to near 0 (normalized · scale + bias) keeps float32's absolute error, many fp16 ulps there
            assertTrue(d <= 1 || abs <= 1e-6 * largest, "element " + i + ": ort " + want[i] + " mil " + got[i] + " (" + d + " ulps)");
        }
        return new UlpStats(max, differing, beyond, want.length, worst);
    }

    private static List<String> ops(Model m) {
        return m.graph().allNodes().stream().map(Node::op).filter(o -> o.startsWith("mil.") && !o.equals("mil.const")).toList();
    }

    private Model convert(GraphProto g, String name) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
        return ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"));
    }

    private static GraphProto rmsNorm(int width) {
        return new OnnxGraphBuilder("rms16").input("x", FLOAT16, 2, 3, width)
                .halves("scale", new long[] {width}, uniform(width, 5, -2, 2))
                .node("SimplifiedLayerNormalization", new String[] {"x", "scale"}, new String[] {"y"},
                        intAttr("axis", -1), floatAttr("epsilon", 1e-6f), intAttr("stash_type", 1))
                .output("y", FLOAT16, 2, 3, width).build();
    }

    @Test
    void float16RmsNormIsComputedInFloat32AndMatchesOnnxRuntimeWithinOneUlp() throws Exception {
        int width = 768;
        Model m = convert(rmsNorm(width), "rms16");
        assertEquals(List.of("mil.cast", "mil.mul", "mil.reduce_mean", "mil.add", "mil.sqrt", "mil.real_div", "mil.cast", "mil.mul",
                "mil.cast"), ops(m));
        long[] shape = {2, 3, width};
        // typical activations, and activations whose squares (|x| > 256) and row sums of squares overflow float16
        for (double range : new double[] {4, 600}) {
            for (long seed = 1; seed <= 2; seed++) {
                UlpStats s = compare(tmp.resolve("rms16.onnx"), m, shape, halves(uniform(6 * width, seed, -range, range)));
                System.out.println("SimplifiedLayerNormalization fp16 [2,3," + width + "] |x| < " + range + " seed " + seed + ": " + s);
            }
        }
    }

    private static GraphProto layerNorm(boolean broadcastScale) {
        OnnxGraphBuilder b = new OnnxGraphBuilder("ln16").input("x", FLOAT16, 2, 5, 384);
        if (broadcastScale) {
            // scale and bias over the last axis only, with the statistics over the last two: the mul/add form
            b.halves("scale", new long[] {384}, uniform(384, 7, -2, 2)).halves("bias", new long[] {384}, uniform(384, 8, -1, 1));
        } else {
            b.halves("scale", new long[] {5, 384}, uniform(5 * 384, 7, -2, 2)).halves("bias", new long[] {5, 384}, uniform(5 * 384, 8, -1, 1));
        }
        return b.node("LayerNormalization", new String[] {"x", "scale", "bias"}, new String[] {"y"}, intAttr("axis", -2),
                floatAttr("epsilon", 1e-12f)).output("y", FLOAT16, 2, 5, 384).build();
    }

    @Test
    void float16LayerNormalizationIsComputedInFloat32AndMatchesOnnxRuntimeWithinOneUlp() throws Exception {
        for (boolean broadcast : new boolean[] {false, true}) {
            String name = "ln16_" + broadcast;
            Model m = convert(layerNorm(broadcast), name);
            assertEquals(List.of("mil.cast", "mil.layer_norm", "mil.cast", "mil.mul", "mil.cast", "mil.add", "mil.cast"), ops(m));
            for (double range : new double[] {3, 500}) {
                UlpStats s = compare(tmp.resolve(name + ".onnx"), m, new long[] {2, 5, 384}, halves(uniform(2 * 5 * 384, 3, -range, range)));
                System.out.println("LayerNormalization fp16 [2,5,384] axis -2 " + (broadcast ? "scale [384]" : "scale [5,384]") + " |x| < "
                        + range + ": " + s);
            }
        }
    }

    /**
     * ONNX Runtime's fused residual norm in float16, [2, 4, 256]: output and input_skip_bias_sum
     * (the next residual), with a bias, the skip broadcast over the batch for the simplified form.
     */
    private static GraphProto skipNorm(boolean simplified) {
        int h = 256;
        OnnxGraphBuilder b = new OnnxGraphBuilder("skip16").input("x", FLOAT16, 2, 4, h).input("skip", FLOAT16, simplified ? 1 : 2, 4, h)
                .halves("gamma", new long[] {h}, uniform(h, 5, -2, 2)).halves("beta", new long[] {h}, uniform(h, 6, -1, 1))
                .halves("bias", new long[] {h}, uniform(h, 7, -0.5, 0.5));
        String[] in = simplified ? new String[] {"x", "skip", "gamma", "bias"} : new String[] {"x", "skip", "gamma", "beta", "bias"};
        return b.msNode(simplified ? "SkipSimplifiedLayerNormalization" : "SkipLayerNormalization", in, new String[] {"y", "", "", "sum"},
                        floatAttr("epsilon", 1e-6f))
                .output("y", FLOAT16, 2, 4, h).output("sum", FLOAT16, 2, 4, h).build();
    }

    @Test
    void float16SkipLayerNormalizationsMatchOnnxRuntimeWithinOneUlp() throws Exception {
        for (boolean simplified : new boolean[] {true, false}) {
            String name = "skip16_" + simplified;
            Model m = convert(skipNorm(simplified), name);
            for (double range : new double[] {4, 300}) {
                Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {2, 4, 256}, halves(uniform(2048, 11, -range, range))),
                        "skip", Tensor.ofFloats(new long[] {simplified ? 1 : 2, 4, 256}, halves(uniform(simplified ? 1024 : 2048, 12, -range, range))));
                UlpStats y = compare(tmp.resolve(name + ".onnx"), m, in, "y");
                UlpStats sum = compare(tmp.resolve(name + ".onnx"), m, in, "sum");
                System.out.println((simplified ? "SkipSimplifiedLayerNormalization" : "SkipLayerNormalization") + " fp16 [2,4,256] |x| < " + range
                        + ": output " + y + ", input_skip_bias_sum " + sum);
                assertEquals(0, sum.differing(), "the sum is rounded once from float32, as ONNX Runtime rounds it");
            }
        }
    }

    @Test
    void statisticsInAnotherTypeThanFloat32AreRefusedWithTheFix() {
        GraphProto g = new OnnxGraphBuilder("stash").input("x", FLOAT16, 2, 8).halves("scale", new long[] {8}, uniform(8, 5, -2, 2))
                .node("SimplifiedLayerNormalization", new String[] {"x", "scale"}, new String[] {"y"}, intAttr("axis", -1), intAttr("stash_type", 10))
                .output("y", FLOAT16, 2, 8).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "stash"));
        assertTrue(e.getMessage().contains("SimplifiedLayerNormalization 'SimplifiedLayerNormalization_0': stash_type 10 (statistics in float16) "
                + "has no lowering, only 1 (float32): ONNX Runtime's CPU kernel computes them in float32 whatever the attribute says; "
                + "re-export with stash_type=1"), e.getMessage());
        GraphProto mixed = new OnnxGraphBuilder("mixed").input("x", FLOAT16, 2, 8).floats("scale", new long[] {8}, uniform(8, 5, -2, 2))
                .floats("bias", new long[] {8}, uniform(8, 6, -2, 2))
                .node("LayerNormalization", new String[] {"x", "scale", "bias"}, new String[] {"y"}, intAttr("axis", -1))
                .output("y", FLOAT16, 2, 8).build();
        Exception m = assertThrows(Exception.class, () -> convert(mixed, "mixed"));
        assertTrue(m.getMessage().contains("LayerNormalization 'LayerNormalization_0': input 1 is f32 and X f16; the lowering needs one "
                + "element type (ONNX Runtime's CPU kernel too)"), m.getMessage());
    }
}
