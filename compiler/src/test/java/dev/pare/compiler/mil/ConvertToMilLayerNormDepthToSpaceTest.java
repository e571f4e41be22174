package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX LayerNormalization (opset 17) and DepthToSpace (both modes), the two standard ops of the
 * corpus's Swin2SR super-resolution model that had no MIL lowering, converted, written as an
 * .mlpackage, read back and run in the MIL interpreter against ONNX Runtime.
 */
class ConvertToMilLayerNormDepthToSpaceTest {

    @TempDir Path tmp;

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 2 + 0.5);
        return v;
    }

    private static List<String> milOps(Model m) {
        return m.graph().allNodes().stream().map(Node::op).filter(o -> o.startsWith("mil.")).toList();
    }

    private static AttributeProto epsilon(float eps) {
        return AttributeProto.newBuilder().setName("epsilon").setType(AttributeProto.AttributeType.FLOAT).setF(eps).build();
    }

    @Test
    void layerNormalizationOverTheLastAxisIsMilLayerNormWithGammaAndBeta() throws Exception {
        GraphProto g = new OnnxGraphBuilder("ln_last").input("x", FLOAT, 2, 3, 4)
                .floats("scale", new long[] {4}, 1f, 0.5f, -2f, 3f).floats("bias", new long[] {4}, 0f, 1f, -0.25f, 2f)
                .node("LayerNormalization", new String[] {"x", "scale", "bias"}, new String[] {"y"}, intAttr("axis", -1), epsilon(1e-3f))
                .output("y", FLOAT, 2, 3, 4).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("ln_last.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("ln_last.mlpackage"));
        assertEquals(List.of("mil.layer_norm"), milOps(m).stream().filter(o -> !o.equals("mil.const")).toList());
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {2, 3, 4}, values(24, 1))), 1e-5);
    }

    @Test
    void layerNormalizationOverTwoAxesWithABroadcastScaleAndNoBias() throws Exception {
        // Scale [4] broadcasts over the normalized [3, 4]: not layer_norm's gamma, a mul after it
        GraphProto g = new OnnxGraphBuilder("ln_two").input("x", FLOAT, 2, 3, 4)
                .floats("scale", new long[] {4}, 1f, 0.5f, -2f, 3f)
                .node("LayerNormalization", new String[] {"x", "scale"}, new String[] {"y"}, intAttr("axis", 1))
                .output("y", FLOAT, 2, 3, 4).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("ln_two.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("ln_two.mlpackage"));
        List<String> ops = milOps(m).stream().filter(o -> !o.equals("mil.const")).toList();
        assertEquals(List.of("mil.layer_norm", "mil.mul"), ops);
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {2, 3, 4}, values(24, 2))), 1e-5);
    }

    private void depthToSpace(String mode, String milOp) throws Exception {
        GraphProto g = new OnnxGraphBuilder("d2s_" + mode).input("x", FLOAT, 2, 12, 3, 2)
                .node("DepthToSpace", new String[] {"x"}, new String[] {"y"}, intAttr("blocksize", 2), str("mode", mode))
                .output("y", FLOAT, 2, 3, 6, 4).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(mode + ".onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(mode + ".mlpackage"));
        assertTrue(milOps(m).contains(milOp), milOps(m).toString());
        float[] x = new float[2 * 12 * 3 * 2];
        for (int i = 0; i < x.length; i++) x[i] = i;  // every element distinct: a wrong permutation cannot match
        assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {2, 12, 3, 2}, x)), 0));
    }

    @Test
    void depthToSpaceCrdIsPixelShuffle() throws Exception {
        depthToSpace("CRD", "mil.pixel_shuffle");
    }

    @Test
    void depthToSpaceDcrIsMilDepthToSpace() throws Exception {
        depthToSpace("DCR", "mil.depth_to_space");
    }
}
