package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.BOOL;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.graph;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Scan converted to a MIL while_loop, written as an .mlpackage, read back and run in the MIL
 * interpreter: the same outputs as ONNX Runtime for several scan lengths, both directions,
 * non-zero scan axes on inputs and outputs, several state values and scan outputs, and values of
 * the enclosing graph used in the body; opset 8's batched Scan for batches of 1, 2 and 3 (unrolled,
 * one loop per entry), with and without a shorter sequence_lens; refusals name the node and the
 * attribute.
 */
class ConvertToMilScanTest {

    @TempDir Path tmp;

    private static float[] ramp(int n, float start, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return v;
    }

    private static List<String> ops(Model m, String... wanted) {
        List<String> w = List.of(wanted);
        return m.graph().allNodes().stream().map(Node::op).filter(w::contains).toList();
    }

    /**
     * Two states and two scan inputs of length T: a [T, 3] scanned forward along axis 0, b [2, T]
     * scanned in reverse along axis 1. s_out = s + a_t * k (k an input of the outer graph), p_out = p * h (h an outer constant) +
     * b_t; scan outputs s_out (axis 0, forward) and p_out - b_t (axis -1, reverse).
     */
    private static GraphProto twoStatesTwoScans() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("s", FLOAT, 3).input("p", FLOAT, 2).input("a_t", FLOAT, 3).input("b_t", FLOAT, 2)
                .node("Mul", "ak", "a_t", "k").node("Add", "s_out", "s", "ak")
                .node("Mul", "ph", "p", "h").node("Add", "p_out", "ph", "b_t")
                .node("Identity", "row", "s_out").node("Sub", "col", "p_out", "b_t")
                .output("s_out", FLOAT, 3).output("p_out", FLOAT, 2).output("row", FLOAT, 3).output("col", FLOAT, 2).build();
        return new OnnxGraphBuilder("scan2").input("a", FLOAT, "T", 3).input("b", FLOAT, 2, "T").input("s0", FLOAT, 3).input("k", FLOAT, 3)
                .floats("h", new long[0], 0.75f).floats("p0", new long[] {2}, 1f, -2f)
                .node("Scan", new String[] {"s0", "p0", "a", "b"}, new String[] {"s_final", "p_final", "rows", "cols"},
                        graph("body", body), intAttr("num_scan_inputs", 2), ints("scan_input_axes", 0, 1),
                        ints("scan_input_directions", 0, 1), ints("scan_output_axes", 0, -1), ints("scan_output_directions", 0, 1))
                .output("s_final", FLOAT, 3).output("p_final", FLOAT, 2).output("rows", FLOAT, "T", 3).output("cols", FLOAT, 2, "T")
                .build();
    }

    private static java.util.Map<String, dev.pare.compiler.testing.OrtRunner.Tensor> twoScanInputs(int t) {
        return inputs("a", floats(new long[] {t, 3}, ramp(3 * t, -1f, 0.25f)), "b", floats(new long[] {2, t}, ramp(2 * t, 2f, -0.5f)),
                "s0", floats(new long[] {3}, 0.1f, 0.2f, -0.3f), "k", floats(new long[] {3}, 0.5f, -1f, 2f));
    }

    @Test
    void scanWithStatesAxesAndDirectionsMatchesOnnxRuntimeForSeveralLengths() throws Exception {
        Path onnx = OnnxGraphBuilder.write(twoStatesTwoScans(), tmp.resolve("scan2.onnx"));
        // T symbolic: the trip count is read from a's shape at run time; the rows have static sizes, so the stacks are preallocated
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("scan2.mlpackage"));
        assertEquals(List.of("mil.while_loop"), ops(m, "mil.while_loop", "mil.cond"));
        assertEquals(List.of("mil.gather", "mil.gather", "mil.scatter", "mil.scatter"), bodyOps(m, "mil.gather", "mil.scatter", "mil.concat"));
        assertEquals(1, ops(m, "mil.transpose").size()); // the reversed output's axis -1
        for (int t : new int[] {1, 3, 6}) ConvertedVsOrt.assertMatches(onnx, m, twoScanInputs(t), 1e-6);
        // T given: a constant trip count
        Model fixed = ConvertedVsOrt.convert(onnx, List.of("a:4,3", "b:2,4"), tmp.resolve("scan2_fixed.mlpackage"));
        assertEquals(List.of(), ops(fixed, "mil.shape"));
        ConvertedVsOrt.assertMatches(onnx, fixed, twoScanInputs(4), 1e-6);
    }

    /**
     * Rows whose size n is known only at run time: the reversed output is stacked by prepending
     * (the first iteration's row itself, then concat in front), the forward one by appending.
     */
    private static GraphProto symbolicRows() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("acc", FLOAT, "n").input("x_t", FLOAT, "n")
                .node("Add", "acc_out", "acc", "x_t").node("Mul", "twice", "x_t", "two").node("Identity", "back", "acc_out")
                .output("acc_out", FLOAT, "n").output("back", FLOAT, "n").output("twice", FLOAT, "n").build();
        return new OnnxGraphBuilder("symbolic").input("x", FLOAT, "T", "n").input("acc0", FLOAT, "n")
                .floats("two", new long[0], 2f)
                .node("Scan", new String[] {"acc0", "x"}, new String[] {"acc_final", "backwards", "doubled"}, graph("body", body),
                        intAttr("num_scan_inputs", 1), ints("scan_input_directions", 1), ints("scan_output_directions", 1, 0))
                .output("acc_final", FLOAT, "n").output("backwards", FLOAT, "T", "n").output("doubled", FLOAT, "T", "n").build();
    }

    @Test
    void rowsOfRunTimeSizeAreConcatenatedInTheirDirection() throws Exception {
        Path onnx = OnnxGraphBuilder.write(symbolicRows(), tmp.resolve("symbolic.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("symbolic.mlpackage"));
        assertEquals(List.of(), bodyOps(m, "mil.scatter"));
        for (int t : new int[] {1, 2, 5}) {
            for (int n : new int[] {1, 3}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {t, n}, ramp(t * n, -2f, 0.5f)),
                        "acc0", floats(new long[] {n}, ramp(n, 1f, 1f))), 1e-6);
            }
        }
    }

    /**
     * An int64 counter state (MIL: int32) and a uint8 scan output (stacked in int32 and cast back,
     * then an int32 feature): c_out = c + 1, scans c_out and uint8(x_t).
     */
    private static GraphProto integerScan() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("c", INT64).input("x_t", FLOAT, 2)
                .node("Add", "c_out", "c", "one").node("Identity", "c_row", "c_out")
                .node("Cast", new String[] {"x_t"}, new String[] {"u"}, intAttr("to", UINT8))
                .output("c_out", INT64).output("c_row", INT64).output("u", UINT8, 2).build();
        return new OnnxGraphBuilder("ints").input("x", FLOAT, "T", 2).input("c0", INT64)
                .longs("one", new long[0], 1)
                .node("Scan", new String[] {"c0", "x"}, new String[] {"c_final", "counts", "bytes"}, graph("body", body),
                        intAttr("num_scan_inputs", 1), ints("scan_output_directions", 1, 0))
                .output("c_final", INT64).output("counts", INT64, "T").output("bytes", UINT8, "T", 2).build();
    }

    @Test
    void integerStatesAndUint8ScanOutputsAreExact() throws Exception {
        Path onnx = OnnxGraphBuilder.write(integerScan(), tmp.resolve("ints.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("ints.mlpackage"));
        for (int t : new int[] {1, 4}) {
            float[] x = new float[2 * t];
            for (int i = 0; i < x.length; i++) x[i] = (i * 37) % 256;
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {t, 2}, x), "c0", ConvertedVsOrt.scalar(-3)), 0);
        }
    }

    /**
     * A Scan inside a Loop body: per Loop iteration, v_out = v + sum_t x_t * v, the Scan body using
     * the Loop body's carried value v and the main graph's input x (two enclosing graphs).
     */
    private static GraphProto scanInLoop() {
        GraphProto scanBody = new OnnxGraphBuilder("scan_body")
                .input("s", FLOAT, 3).input("x_t", FLOAT, 3)
                .node("Mul", "xv", "x_t", "v").node("Add", "s_out", "s", "xv")
                .output("s_out", FLOAT, 3).build();
        GraphProto loopBody = new OnnxGraphBuilder("loop_body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 3)
                .node("Scan", new String[] {"v", "x"}, new String[] {"v_out"}, graph("body", scanBody), intAttr("num_scan_inputs", 1))
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 3).build();
        return new OnnxGraphBuilder("nested").input("x", FLOAT, "T", 3).input("v0", FLOAT, 3).input("m", INT64)
                .node("Loop", new String[] {"m", "", "v0"}, new String[] {"v_final"}, graph("body", loopBody))
                .output("v_final", FLOAT, 3).build();
    }

    @Test
    void aScanNestedInALoopUsesValuesOfBothEnclosingGraphs() throws Exception {
        Path onnx = OnnxGraphBuilder.write(scanInLoop(), tmp.resolve("nested.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("nested.mlpackage"));
        assertEquals(List.of("mil.while_loop", "mil.while_loop"), ops(m, "mil.while_loop"));
        for (int t : new int[] {1, 3}) {
            for (long trips : new long[] {0, 2}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {t, 3}, ramp(3 * t, -0.5f, 0.125f)),
                        "v0", floats(new long[] {3}, 1f, -2f, 0.5f), "m", ConvertedVsOrt.scalar(trips)), 1e-6);
            }
        }
    }

    /** Opset 8: sequence_lens first, a batch axis 0 on every input and output, the scan axis 1. */
    private static GraphProto batchedSum(Object batch, boolean reverse) {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("s", FLOAT, 2).input("x_t", FLOAT, 2)
                .node("Add", "s_out", "s", "x_t").node("Mul", "scaled", "s_out", "k")
                .output("s_out", FLOAT, 2).output("scaled", FLOAT, 2).build();
        List<AttributeProto> attrs = new ArrayList<>(List.of(graph("body", body), intAttr("num_scan_inputs", 1)));
        if (reverse) attrs.add(ints("directions", 1));
        return new OnnxGraphBuilder("scan8").input("s0", FLOAT, batch, 2).input("x", FLOAT, batch, "T", 2)
                .floats("k", new long[] {2}, 3f, -0.5f)
                .node("Scan", new String[] {"", "s0", "x"}, new String[] {"y", "z"}, attrs.toArray(AttributeProto[]::new))
                .output("y", FLOAT, batch, 2).output("z", FLOAT, batch, "T", 2).build();
    }

    @Test
    void opset8ScanWithABatchOfOneMatchesOnnxRuntime() throws Exception {
        for (boolean reverse : new boolean[] {false, true}) {
            Path onnx = OnnxGraphBuilder.write(batchedSum(1, reverse), tmp.resolve("scan8_" + reverse + ".onnx"), 8);
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("scan8_" + reverse + ".mlpackage"));
            for (int t : new int[] {1, 3, 5}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("s0", floats(new long[] {1, 2}, 0.5f, -1f),
                        "x", floats(new long[] {1, t, 2}, ramp(2 * t, 1f, -0.75f))), 1e-6);
            }
        }
    }

    /**
     * Opset 8 with a body that is not elementwise (a MatMul by an outer weight and a ReduceSum), two
     * states, two scan inputs: s_out = (s + a_t) · W, c_out = c + b_t; scan outputs the row sum of
     * s_out [1] and c_out · 2 [3]. sequence_lens a constant when given.
     */
    private static GraphProto batchedMatmul(int batch, Object length, boolean reverse, long[] sequenceLens) {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("s_in", FLOAT, 2).input("c_in", FLOAT, 3).input("a_t", FLOAT, 2).input("b_t", FLOAT, 3)
                .node("Add", "sa", "s_in", "a_t").node("MatMul", "s_out", "sa", "w").node("Add", "c_out", "c_in", "b_t")
                .node("ReduceSum", new String[] {"s_out"}, new String[] {"row_sum"}, intAttr("keepdims", 1))
                .node("Mul", "twice", "c_out", "two")
                .output("s_out", FLOAT, 2).output("c_out", FLOAT, 3).output("row_sum", FLOAT, 1).output("twice", FLOAT, 3).build();
        List<AttributeProto> attrs = new ArrayList<>(List.of(graph("body", body), intAttr("num_scan_inputs", 2)));
        if (reverse) attrs.add(ints("directions", 1, 0));
        OnnxGraphBuilder g = new OnnxGraphBuilder("scan8mm").input("s0", FLOAT, batch, 2).input("c0", FLOAT, batch, 3)
                .input("a", FLOAT, batch, length, 2).input("b", FLOAT, batch, length, 3)
                .floats("w", new long[] {2, 2}, 0.5f, -1f, 2f, 0.25f).floats("two", new long[0], 2f);
        if (sequenceLens != null) g.longs("lens", new long[] {batch}, sequenceLens);
        return g.node("Scan", new String[] {sequenceLens != null ? "lens" : "", "s0", "c0", "a", "b"}, new String[] {"s", "c", "sums", "doubled"},
                        attrs.toArray(AttributeProto[]::new))
                .output("s", FLOAT, batch, 2).output("c", FLOAT, batch, 3).output("sums", FLOAT, batch, length, 1)
                .output("doubled", FLOAT, batch, length, 3).build();
    }

    private static java.util.Map<String, dev.pare.compiler.testing.OrtRunner.Tensor> batchedInputs(int batch, int t, long seed) {
        return inputs("s0", floats(new long[] {batch, 2}, ConvertedVsOrt.uniform(batch * 2, seed, -1, 1)),
                "c0", floats(new long[] {batch, 3}, ConvertedVsOrt.uniform(batch * 3, seed + 1, -1, 1)),
                "a", floats(new long[] {batch, t, 2}, ConvertedVsOrt.uniform(batch * t * 2, seed + 2, -1, 1)),
                "b", floats(new long[] {batch, t, 3}, ConvertedVsOrt.uniform(batch * t * 3, seed + 3, -1, 1)));
    }

    @Test
    void opset8ScanWithBatchesOfTwoAndThreeMatchesOnnxRuntime() throws Exception {
        for (int batch : new int[] {2, 3}) {
            for (boolean reverse : new boolean[] {false, true}) {
                // scan length known only at run time: each entry's trip count is read from its input's shape
                String name = "scan8_b" + batch + "_" + reverse;
                Path onnx = OnnxGraphBuilder.write(batchedMatmul(batch, "T", reverse, null), tmp.resolve(name + ".onnx"), 8);
                Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"));
                assertEquals(batch, ops(m, "mil.while_loop").size(), name + ": one loop per batch entry");
                for (int t : new int[] {1, 4}) ConvertedVsOrt.assertMatches(onnx, m, batchedInputs(batch, t, t + batch), 1e-6);
                // the simpler body too (outer constant k, a scan output per step)
                Path sum = OnnxGraphBuilder.write(batchedSum(batch, reverse), tmp.resolve(name + "_sum.onnx"), 8);
                Model ms = ConvertedVsOrt.convert(sum, List.of(), tmp.resolve(name + "_sum.mlpackage"));
                ConvertedVsOrt.assertMatches(sum, ms, inputs("s0", floats(new long[] {batch, 2}, ramp(2 * batch, 0.5f, -1f)),
                        "x", floats(new long[] {batch, 3, 2}, ramp(6 * batch, 1f, -0.75f))), 1e-6);
            }
        }
    }

    @Test
    void opset8SequenceLensShorterThanTheInputsStopEachEntryAndZeroItsScanOutputs() throws Exception {
        for (boolean reverse : new boolean[] {false, true}) {
            for (long[] lens : new long[][] {{4, 2, 1}, {1, 4, 3}, {4, 4, 4}}) {
                String name = "scan8_lens_" + reverse + "_" + lens[0] + lens[1] + lens[2];
                Path onnx = OnnxGraphBuilder.write(batchedMatmul(3, 4, reverse, lens), tmp.resolve(name + ".onnx"), 8);
                Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"));
                for (long seed = 1; seed <= 2; seed++) ConvertedVsOrt.assertMatches(onnx, m, batchedInputs(3, 4, seed), 1e-6);
                // the outputs past an entry's length are zeros, so a padding that was missing would show
                var out = new dev.pare.compiler.coreml.eval.MilInterpreter(m.graph()).run(java.util.Map.of(
                        "s0", dev.pare.ir.TensorData.ofFloats(new long[] {3, 2}, ConvertedVsOrt.uniform(6, 1, -1, 1)),
                        "c0", dev.pare.ir.TensorData.ofFloats(new long[] {3, 3}, ConvertedVsOrt.uniform(9, 2, -1, 1)),
                        "a", dev.pare.ir.TensorData.ofFloats(new long[] {3, 4, 2}, ConvertedVsOrt.uniform(24, 3, -1, 1)),
                        "b", dev.pare.ir.TensorData.ofFloats(new long[] {3, 4, 3}, ConvertedVsOrt.uniform(36, 4, -1, 1))));
                float[] doubled = dev.pare.compiler.coreml.eval.MilTensor.of(out.get("doubled")).toFloats();
                for (int b = 0; b < 3; b++) {
                    for (int step = 0; step < 4; step++) {
                        boolean zero = doubled[(b * 4 + step) * 3] == 0f;
                        assertEquals(step >= lens[b], zero, name + " entry " + b + " step " + step);
                    }
                }
            }
        }
    }

    private Exception refusal(GraphProto g, int opset, String name) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"), opset);
        return assertThrows(Exception.class, () -> ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage")));
    }

    @Test
    void unsupportedScansAreRefusedNamingTheNodeAndTheAttribute() throws Exception {
        // a batch known only at run time: the body is copied once per entry, so the lowering needs the count
        Exception symbolic = refusal(batchedSum("B", false), 8, "batchB");
        assertTrue(symbolic.getMessage().contains("Scan 'Scan_0': opset 8 Scan runs its body once per batch entry (axis 0), and input 1 "
                + "has batch B; give --input-shape s0="), symbolic.getMessage());
        Exception large = refusal(batchedSum(65, false), 8, "batch65");
        assertTrue(large.getMessage().contains("Scan 'Scan_0': opset 8 Scan with batch 65 would copy its body 65 times (the lowering unrolls "
                + "at most 64); opset 9's Scan, without a batch axis, has no such bound"), large.getMessage());
        Exception lens = refusal(batchedMatmul(2, 4, false, new long[] {4, 5}), 8, "lens5");
        assertTrue(lens.getMessage().contains("Scan 'Scan_0': input 'sequence_lens' entry 1 is 5, not in 1..4 (the scan length)"), lens.getMessage());
        GraphProto computedLens = new OnnxGraphBuilder("computed").input("x", FLOAT, 2, 4, 2).input("s0", FLOAT, 2, 2).input("n", INT64, 2)
                .node("Scan", new String[] {"n", "s0", "x"}, new String[] {"y"}, graph("body", new OnnxGraphBuilder("body")
                        .input("s", FLOAT, 2).input("x_t", FLOAT, 2).node("Add", "s_out", "s", "x_t").output("s_out", FLOAT, 2).build()),
                        intAttr("num_scan_inputs", 1))
                .output("y", FLOAT, 2, 2).build();
        Exception computed = refusal(computedLens, 8, "computed");
        assertTrue(computed.getMessage().contains("Scan 'Scan_0': input 'sequence_lens' (opset 8) must be a constant; it is computed from the "
                + "values of input 'n'"), computed.getMessage());

        GraphProto body = new OnnxGraphBuilder("body").input("s", FLOAT, 3).input("a_t", FLOAT, 3)
                .node("Add", "s_out", "s", "a_t").output("s_out", FLOAT, 3).build();
        Exception direction = refusal(new OnnxGraphBuilder("dir").input("a", FLOAT, 4, 3).input("s0", FLOAT, 3)
                .node("Scan", new String[] {"s0", "a"}, new String[] {"s"}, graph("body", body), intAttr("num_scan_inputs", 1),
                        ints("scan_input_directions", 2))
                .output("s", FLOAT, 3).build(), 17, "dir");
        assertTrue(direction.getMessage().contains("Scan 'Scan_0': attribute 'scan_input_directions' entry 0 is 2 (0 forward, 1 reverse)"),
                direction.getMessage());

        Exception axis = refusal(new OnnxGraphBuilder("axis").input("a", FLOAT, 4, 3).input("s0", FLOAT, 3)
                .node("Scan", new String[] {"s0", "a"}, new String[] {"s"}, graph("body", body), intAttr("num_scan_inputs", 1),
                        ints("scan_input_axes", 2))
                .output("s", FLOAT, 3).build(), 17, "axis");
        assertTrue(axis.getMessage().contains("Scan 'Scan_0': attribute 'scan_input_axes' gives axis 2 for scan input 0 of rank 2"),
                axis.getMessage());

        GraphProto twoInputs = new OnnxGraphBuilder("body").input("s", FLOAT, 3).input("a_t", FLOAT, 3).input("b_t", FLOAT, 3)
                .node("Add", "s_out", "s", "a_t").output("s_out", FLOAT, 3).build();
        Exception lengths = refusal(new OnnxGraphBuilder("lengths").input("a", FLOAT, 4, 3).input("b", FLOAT, 5, 3).input("s0", FLOAT, 3)
                .node("Scan", new String[] {"s0", "a", "b"}, new String[] {"s"}, graph("body", twoInputs), intAttr("num_scan_inputs", 2))
                .output("s", FLOAT, 3).build(), 17, "lengths");
        assertTrue(lengths.getMessage().contains("Scan 'Scan_0': scan inputs 0 and 1 have lengths 4 and 5 along their scan axes "
                + "(scan_input_axes); Scan needs one length"), lengths.getMessage());
    }

    /** The ops of the given types inside loop bodies (not the main graph). */
    private static List<String> bodyOps(Model m, String... wanted) {
        List<String> w = List.of(wanted);
        return m.graph().allNodes().stream().filter(n -> n.graph() != m.graph()).map(Node::op).filter(w::contains).toList();
    }
}
