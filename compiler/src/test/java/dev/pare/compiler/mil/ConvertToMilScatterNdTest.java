package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX ScatterND (opset 18, every reduction): folded when data, indices and updates are constants
 * (how Swin's shifted-window attention mask is built once the input shape is given), otherwise MIL
 * scatter_nd; converted, written as an .mlpackage, read back and run in the MIL interpreter against
 * ONNX Runtime, bit for bit.
 */
class ConvertToMilScatterNdTest {

    @TempDir Path tmp;

    private static final String[] REDUCTIONS = {"none", "add", "mul", "max", "min"};
    private static final float[] DATA = {1, -2, 3, 0.5f, 4, -1, 2, 2, -3, 7, 0.25f, -0.5f};
    /** Row 1 twice: under none the later update wins, the reductions combine both in order. */
    private static final long[] ROWS = {1, 3, 1};
    private static final float[] UPDATES = {2, -3, 0.5f, -1, 6, 1.5f, 3, -4, 8};

    private static List<String> ops(Model m) {
        return m.graph().allNodes().stream().map(Node::op).filter(o -> o.startsWith("mil.") && !o.equals("mil.const")).toList();
    }

    private static float[] xValues() {
        float[] x = new float[12];
        for (int i = 0; i < x.length; i++) x[i] = 0.75f + i * 0.5f;
        return x;
    }

    @Test
    void constantOperandsFoldForEveryReductionAsOnnxRuntimeComputes() throws Exception {
        for (String reduction : REDUCTIONS) {
            GraphProto g = new OnnxGraphBuilder("fold_" + reduction).input("x", FLOAT, 4, 3)
                    .floats("data", new long[] {4, 3}, DATA).longs("rows", new long[] {3, 1}, ROWS)
                    .floats("updates", new long[] {3, 3}, UPDATES)
                    .node("ScatterND", new String[] {"data", "rows", "updates"}, new String[] {"s"}, str("reduction", reduction))
                    .node("Mul", "y", "x", "s").output("y", FLOAT, 4, 3).build();
            Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("fold_" + reduction + ".onnx"), 18);
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("fold_" + reduction + ".mlpackage"));
            assertEquals(List.of("mil.mul"), ops(m), reduction + ": the scatter folds to a constant");
            assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {4, 3}, xValues())), 0), reduction);
        }
    }

    @Test
    void theFoldedValuesAreOnnxsInOrderUpdates() throws Exception {
        // x = 1: y is the folded tensor itself; row 1 gets updates rows 0 then 2
        float[] ones = new float[12];
        java.util.Arrays.fill(ones, 1f);
        float[][] expectedRow1 = {
            {3, -4, 8},                       // none: the last update
            {0.5f + 2 + 3, 4 - 3 - 4, -1 + 0.5f + 8},  // add
            {0.5f * 2 * 3, 4 * -3 * -4, -1 * 0.5f * 8},  // mul
            {3, 4, 8},                        // max
            {0.5f, -4, -1},                   // min
        };
        for (int r = 0; r < REDUCTIONS.length; r++) {
            String reduction = REDUCTIONS[r];
            GraphProto g = new OnnxGraphBuilder("values_" + reduction).input("x", FLOAT, 4, 3)
                    .floats("data", new long[] {4, 3}, DATA).longs("rows", new long[] {3, 1}, ROWS)
                    .floats("updates", new long[] {3, 3}, UPDATES)
                    .node("ScatterND", new String[] {"data", "rows", "updates"}, new String[] {"s"}, str("reduction", reduction))
                    .node("Mul", "y", "x", "s").output("y", FLOAT, 4, 3).build();
            Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("values_" + reduction + ".onnx"), 18);
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("values_" + reduction + ".mlpackage"));
            Map<String, TensorData> out = new MilInterpreter(m.graph()).run(Map.of("x", TensorData.ofFloats(new long[] {4, 3}, ones)));
            float[] y = MilTensor.of(out.get("y")).toFloats();
            assertArrayEquals(expectedRow1[r], java.util.Arrays.copyOfRange(y, 3, 6), reduction + " row 1");
            assertArrayEquals(java.util.Arrays.copyOfRange(DATA, 0, 3), java.util.Arrays.copyOfRange(y, 0, 3), reduction + " row 0 untouched");
        }
    }

    @Test
    void computedDataAndUpdatesBecomeMilScatterNdForEveryReduction() throws Exception {
        String[] modes = {"update", "add", "mul", "max", "min"};
        for (int r = 0; r < REDUCTIONS.length; r++) {
            String reduction = REDUCTIONS[r];
            // indices -1 (the last row) and a duplicate row 1
            GraphProto g = new OnnxGraphBuilder("lower_" + reduction).input("x", FLOAT, 4, 3).input("u", FLOAT, 3, 3)
                    .longs("rows", new long[] {3, 1}, 1, -1, 1)
                    .node("ScatterND", new String[] {"x", "rows", "u"}, new String[] {"y"}, str("reduction", reduction))
                    .output("y", FLOAT, 4, 3).build();
            Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("lower_" + reduction + ".onnx"), 18);
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("lower_" + reduction + ".mlpackage"));
            assertEquals(List.of("mil.scatter_nd"), ops(m), reduction);
            Node scatter = m.graph().nodes().stream().filter(n -> n.op().equals("mil.scatter_nd")).findFirst().orElseThrow();
            dev.pare.ir.StringData mode = (dev.pare.ir.StringData) dev.pare.ir.MilParams.get(scatter, "mode").orElseThrow().data();
            assertEquals(modes[r], new String(mode.element(0), java.nio.charset.StandardCharsets.UTF_8), reduction);
            assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, m,
                    inputs("x", floats(new long[] {4, 3}, xValues()), "u", floats(new long[] {3, 3}, UPDATES)), 0), reduction);
        }
    }

    @Test
    void computedIndicesAddressingTwoAxesMatchOnnxRuntime() throws Exception {
        // data [3, 4, 2], indices [2, 2] pick (i, j) pairs, each update a [2] slice
        GraphProto g = new OnnxGraphBuilder("computed").input("x", FLOAT, 3, 4, 2).input("idx", INT64, 2, 2).input("u", FLOAT, 2, 2)
                .node("ScatterND", new String[] {"x", "idx", "u"}, new String[] {"y"})
                .output("y", FLOAT, 3, 4, 2).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("computed.onnx"), 11);
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("computed.mlpackage"));
        assertEquals(List.of("mil.scatter_nd"), ops(m));
        float[] x = new float[24];
        for (int i = 0; i < x.length; i++) x[i] = i;
        for (long[] idx : new long[][] {{2, 3, 0, 1}, {1, 0, 1, 2}}) {
            assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {3, 4, 2}, x),
                    "idx", ConvertedVsOrt.longs(new long[] {2, 2}, idx), "u", floats(new long[] {2, 2}, -1, -2, -3, -4)), 0));
        }
    }

    /** Swin's mask: zeros of the input's shape, regions filled by ScatterND, added to the input. */
    private static GraphProto maskFromTheInputShape() {
        return new OnnxGraphBuilder("mask").input("x", FLOAT, 1, "h", "w")
                .longs("cells", new long[] {2, 3}, 0, 1, 2, 0, 2, 3).floats("marks", new long[] {2}, 5f, -7f)
                .node("Shape", "shape", "x")
                .node("ConstantOfShape", "zeros", "shape")
                .node("ScatterND", "mask", "zeros", "cells", "marks")
                .node("Add", "y", "x", "mask").output("y", FLOAT, 1, "h", "w").build();
    }

    @Test
    void aMaskBuiltFromTheInputShapeFoldsWithInputShapesAndIsScatterNdWithout() throws Exception {
        Path onnx = OnnxGraphBuilder.write(maskFromTheInputShape(), tmp.resolve("mask.onnx"), 11);
        float[] x = new float[12];
        for (int i = 0; i < x.length; i++) x[i] = i * 0.5f;
        var in = inputs("x", floats(new long[] {1, 3, 4}, x));
        Model folded = ConvertedVsOrt.convert(onnx, List.of("x:1,3,4"), tmp.resolve("mask_static.mlpackage"));
        assertEquals(List.of("mil.add"), ops(folded), "with the input shape the whole mask is a constant");
        assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, folded, in, 0));
        Model dynamic = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("mask_dynamic.mlpackage"));
        assertTrue(ops(dynamic).contains("mil.scatter_nd"), ops(dynamic).toString());
        assertEquals(0.0, ConvertedVsOrt.assertMatches(onnx, dynamic, in, 0));
    }

    @Test
    void aConstantIndexOutOfRangeIsRefusedNamingTheNode() throws Exception {
        GraphProto g = new OnnxGraphBuilder("bad").input("x", FLOAT, 4, 3)
                .floats("data", new long[] {4, 3}, DATA).longs("rows", new long[] {1, 1}, 4)
                .floats("updates", new long[] {1, 3}, 1, 2, 3)
                .node("ScatterND", new String[] {"data", "rows", "updates"}, new String[] {"s"})
                .node("Mul", "y", "x", "s").output("y", FLOAT, 4, 3).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("bad.onnx"), 11);
        Exception e = assertThrows(Exception.class, () -> ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("bad.mlpackage")));
        assertTrue(e.getMessage().contains("ScatterND 'ScatterND_0': index 4 is out of range for axis 0 of length 4"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("bad.mlpackage")));
    }
}
