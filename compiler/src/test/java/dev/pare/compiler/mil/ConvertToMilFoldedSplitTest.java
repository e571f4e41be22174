package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Split of a constant folds (tf2onnx shuffles Pad's pads with Split → Concat, as in M-LSD), so the
 * Pad gets constant pads and everything after it a static shape (a Resize to Shape-derived sizes).
 */
class ConvertToMilFoldedSplitTest {

    @TempDir Path tmp;

    @Test
    void splitOfAConstantFoldsAndPadGetsAStaticShape() throws Exception {
        Path onnx = OnnxGraphBuilder.write(new OnnxGraphBuilder("split").input("x", FLOAT, 1, 2, 3, 3)
                .longs("p", new long[] {8}, 0, 0, 1, 0, 0, 0, 0, 1)
                .node("Split", new String[] {"p"}, new String[] {"a", "b"})
                .node("Concat", new String[] {"b", "a"}, new String[] {"pads"}, OnnxGraphBuilder.intAttr("axis", 0))
                .node("Pad", "y", "x", "pads")
                .output("y", FLOAT, 1, 2, 4, 4).build(), tmp.resolve("split.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("split.mlpackage"));
        assertEquals("f32[1,2,4,4]", m.graph().outputs().get(0).type().toString());
        assertEquals(0, m.graph().nodes().stream().filter(n -> n.op().equals("mil.split")).count(), "the split folded");
        float[] x = new float[18];
        for (int i = 0; i < x.length; i++) x[i] = i;
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {1, 2, 3, 3}, x)), 0);
    }
}
