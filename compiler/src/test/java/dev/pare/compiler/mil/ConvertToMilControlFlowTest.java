package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.ConvertedVsOrt.scalar;
import static dev.pare.compiler.mil.OnnxGraphBuilder.BOOL;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.graph;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX If and Loop converted to MIL cond and while_loop, written as an .mlpackage, read back and
 * run in the MIL interpreter: the same outputs as ONNX Runtime for both branches and for several
 * trip counts, with subgraphs that use values of the enclosing graphs.
 */
class ConvertToMilControlFlowTest {

    @TempDir Path tmp;

    private static final long[] X_SHAPE = {2, 3};
    private static final float[] POSITIVE = {0.5f, 1f, -0.25f, 2f, 0.75f, -1f};
    private static final float[] NEGATIVE = {-0.5f, 1f, -2.25f, -2f, 0.75f, -1f};

    private Model convert(String name, GraphProto g, List<String> shapes) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
        return ConvertedVsOrt.convert(onnx, shapes, tmp.resolve(name + ".mlpackage"));
    }

    private static List<String> ops(Model m) {
        return m.graph().allNodes().stream().map(Node::op).filter(o -> o.equals("mil.cond") || o.equals("mil.while_loop")).toList();
    }

    /** y = sum(x) > 0 ? relu(x) * k : x - k, both branches using the outer constant k. */
    private static GraphProto ifModel() {
        GraphProto then = new OnnxGraphBuilder("then")
                .node("Relu", "r", "x").node("Mul", "t", "r", "k")
                .output("t", FLOAT, 2, 3).build();
        GraphProto otherwise = new OnnxGraphBuilder("else")
                .node("Sub", "e", "x", "k")
                .output("e", FLOAT, 2, 3).build();
        return new OnnxGraphBuilder("if_model").input("x", FLOAT, 2, 3)
                .floats("k", new long[] {3}, 2f, 3f, 4f)
                .node("ReduceSum", new String[] {"x"}, new String[] {"s"}, intAttr("keepdims", 0))
                .floats("zero", new long[0], 0f)
                .node("Greater", "c", "s", "zero")
                .node("If", new String[] {"c"}, new String[] {"y"}, graph("then_branch", then), graph("else_branch", otherwise))
                .output("y", FLOAT, 2, 3).build();
    }

    @Test
    void ifTakesEitherBranchLikeOnnxRuntime() throws Exception {
        Path onnx = OnnxGraphBuilder.write(ifModel(), tmp.resolve("if.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("if.mlpackage"));
        assertEquals(List.of("mil.cond"), ops(m));
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE)), 1e-6);
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, NEGATIVE)), 1e-6);
    }

    /**
     * v_out = v + x * float(i), acc_out = acc * 0.5 + v_out, repeated M times (no loop condition);
     * x is a value of the outer graph.
     */
    private static GraphProto countedLoop() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3).input("acc", FLOAT, 2, 3)
                .node("Cast", new String[] {"i"}, new String[] {"fi"}, intAttr("to", FLOAT))
                .node("Mul", "xi", "x", "fi").node("Add", "v_out", "v", "xi")
                .node("Mul", "half", "acc", "h").node("Add", "acc_out", "half", "v_out")
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).output("acc_out", FLOAT, 2, 3).build();
        return new OnnxGraphBuilder("loop_model").input("x", FLOAT, 2, 3).input("m", INT64)
                .floats("h", new long[0], 0.5f).floats("acc0", new long[] {2, 3}, 1, 2, 3, 4, 5, 6)
                .node("Loop", new String[] {"m", "", "x", "acc0"}, new String[] {"v_final", "acc_final"}, graph("body", body))
                .output("v_final", FLOAT, 2, 3).output("acc_final", FLOAT, 2, 3).build();
    }

    @Test
    void loopRunsItsTripCountWithLoopCarriedValues() throws Exception {
        Path onnx = OnnxGraphBuilder.write(countedLoop(), tmp.resolve("loop.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("loop.mlpackage"));
        assertEquals(List.of("mil.while_loop"), ops(m));
        for (long trips : new long[] {0, 1, 3, 7}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "m", scalar(trips)), 1e-5);
        }
    }

    /**
     * No trip count: the loop doubles v until its sum reaches the input limit (the body's condition
     * output decides), counting the iterations in a loop-carried value.
     */
    private static GraphProto conditionLoop(boolean withHugeTripCount) {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3).input("n", FLOAT)
                .node("Add", "v_out", "v", "v").node("Add", "n_out", "n", "one")
                .node("ReduceSum", new String[] {"v_out"}, new String[] {"s"}, intAttr("keepdims", 0))
                .node("Less", "c_out", "s", "limit")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).output("n_out", FLOAT).build();
        OnnxGraphBuilder b = new OnnxGraphBuilder("cond_loop").input("x", FLOAT, 2, 3).input("limit", FLOAT)
                .floats("one", new long[0], 1f).floats("n0", new long[0], 0f)
                .node("ReduceSum", new String[] {"x"}, new String[] {"s0"}, intAttr("keepdims", 0))
                .node("Less", "c0", "s0", "limit");
        if (withHugeTripCount) b.longs("m", new long[0], Long.MAX_VALUE);
        return b.node("Loop", new String[] {withHugeTripCount ? "m" : "", "c0", "x", "n0"}, new String[] {"v_final", "n_final"},
                        graph("body", body))
                .output("v_final", FLOAT, 2, 3).output("n_final", FLOAT).build();
    }

    @Test
    void loopWithOnlyAConditionStopsWhenTheBodySaysSo() throws Exception {
        for (boolean huge : new boolean[] {false, true}) {
            Path onnx = OnnxGraphBuilder.write(conditionLoop(huge), tmp.resolve("cond_loop" + huge + ".onnx"));
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("cond_loop" + huge + ".mlpackage"));
            for (float limit : new float[] {-1f, 5f, 40f, 1000f}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "limit", floats(new long[0], limit)), 1e-6);
            }
        }
    }

    /** Inside the loop body an If picks, by the iteration number, between adding x and scaling by k (outer values). */
    private static GraphProto ifInsideLoop() {
        GraphProto then = new OnnxGraphBuilder("then").node("Add", "t", "v", "x").output("t", FLOAT, 2, 3).build();
        GraphProto otherwise = new OnnxGraphBuilder("else").node("Mul", "e", "v", "k").output("e", FLOAT, 2, 3).build();
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3)
                .node("Less", "early", "i", "two")
                .node("If", new String[] {"early"}, new String[] {"v_out"}, graph("then_branch", then), graph("else_branch", otherwise))
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).build();
        return new OnnxGraphBuilder("nested").input("x", FLOAT, 2, 3).input("m", INT64)
                .floats("k", new long[] {3}, -1f, 0.5f, 2f).longs("two", new long[0], 2)
                .node("Loop", new String[] {"m", "", "x"}, new String[] {"v_final"}, graph("body", body))
                .output("v_final", FLOAT, 2, 3).build();
    }

    @Test
    void anIfNestedInALoopUsesValuesOfBothEnclosingGraphs() throws Exception {
        Path onnx = OnnxGraphBuilder.write(ifInsideLoop(), tmp.resolve("nested.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("nested.mlpackage"));
        assertEquals(List.of("mil.while_loop", "mil.cond"), ops(m));
        for (long trips : new long[] {0, 1, 2, 5}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, NEGATIVE), "m", scalar(trips)), 1e-5);
        }
    }

    /**
     * v_out = v + x per iteration (x from the outer graph); scan outputs: the rows v_out * k (k an
     * outer constant) and, with {@code twoScans}, the iteration number i as int64 scalars.
     */
    private static GraphProto countedScanLoop(boolean twoScans) {
        OnnxGraphBuilder body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3)
                .node("Add", "v_out", "v", "x").node("Mul", "row", "v_out", "k")
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).output("row", FLOAT, 2, 3);
        if (twoScans) body.node("Identity", "i_out", "i").output("i_out", INT64);
        List<String> results = twoScans ? List.of("v_final", "rows", "iterations") : List.of("v_final", "rows");
        OnnxGraphBuilder g = new OnnxGraphBuilder("scan_loop").input("x", FLOAT, 2, 3).input("m", INT64)
                .floats("k", new long[] {3}, -1f, 0.5f, 2f)
                .node("Loop", new String[] {"m", "", "x"}, results.toArray(String[]::new), graph("body", body.build()))
                .output("v_final", FLOAT, 2, 3).output("rows", FLOAT, "trips", 2, 3);
        if (twoScans) g.output("iterations", INT64, "trips");
        return g.build();
    }

    @Test
    void scanOutputsStackOneRowPerIterationForEveryTripCount() throws Exception {
        for (boolean twoScans : new boolean[] {false, true}) {
            Path onnx = OnnxGraphBuilder.write(countedScanLoop(twoScans), tmp.resolve("scan" + twoScans + ".onnx"));
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("scan" + twoScans + ".mlpackage"));
            assertEquals(List.of("mil.while_loop"), ops(m));
            for (long trips : new long[] {0, 1, 5}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "m", scalar(trips)), 1e-6);
            }
        }
    }

    /**
     * The loop doubles v while sum(v) stays below the input limit (the condition; with
     * {@code tripCount}, also at most 3 times) and scans each doubled v and its sum (a scalar per
     * iteration, so a 1-D stack).
     */
    private static GraphProto conditionScanLoop(boolean tripCount) {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3)
                .node("Add", "v_out", "v", "v")
                .node("ReduceSum", new String[] {"v_out"}, new String[] {"s"}, intAttr("keepdims", 0))
                .node("Less", "c_out", "s", "limit").node("Identity", "v_row", "v_out")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).output("v_row", FLOAT, 2, 3).output("s", FLOAT).build();
        OnnxGraphBuilder b = new OnnxGraphBuilder("cond_scan").input("x", FLOAT, 2, 3).input("limit", FLOAT)
                .node("ReduceSum", new String[] {"x"}, new String[] {"s0"}, intAttr("keepdims", 0))
                .node("Less", "c0", "s0", "limit");
        if (tripCount) b.longs("m", new long[0], 3);
        return b.node("Loop", new String[] {tripCount ? "m" : "", "c0", "x"}, new String[] {"v_final", "vs", "sums"}, graph("body", body))
                .output("v_final", FLOAT, 2, 3).output("vs", FLOAT, "n", 2, 3).output("sums", FLOAT, "n").build();
    }

    @Test
    void scanOutputsOfALoopTheConditionStopsHoldTheIterationsRun() throws Exception {
        for (boolean tripCount : new boolean[] {false, true}) {
            Path onnx = OnnxGraphBuilder.write(conditionScanLoop(tripCount), tmp.resolve("cond_scan" + tripCount + ".onnx"));
            Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("cond_scan" + tripCount + ".mlpackage"));
            // sum(x) = 3 and doubles per iteration: limit 1 runs 0 iterations, 5 one (6), 7 two (6, 12),
            // 100 six (6 ... 192); at most 3 with the trip count
            for (float limit : new float[] {1f, 5f, 7f, 100f}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "limit", floats(new long[0], limit)), 1e-6);
            }
        }
    }

    /**
     * Scans v_out = v + v where v's first size is the symbol "rows": without input shapes the
     * stack's row size is known only inside the loop. With {@code trips} the trip count is a
     * constant, otherwise an input.
     */
    private static GraphProto symbolicScanLoop(int elemType) {
        OnnxGraphBuilder body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, "rows", 3)
                .node("Add", "v_out", "v", "v").node("Identity", "c_out", "c_in");
        if (elemType == FLOAT) body.node("Identity", "scan", "v_out");
        else body.node("Cast", new String[] {"v_out"}, new String[] {"scan"}, intAttr("to", elemType));
        body.output("c_out", BOOL).output("v_out", FLOAT, "rows", 3).output("scan", elemType, "rows", 3);
        return new OnnxGraphBuilder("scan").input("x", FLOAT, "rows", 3).input("m", INT64)
                .node("Loop", new String[] {"m", "", "x"}, new String[] {"v_final", "all"}, graph("body", body.build()))
                .output("v_final", FLOAT, "rows", 3).output("all", elemType, "trips", "rows", 3).build();
    }

    @Test
    void aScanOutputWhoseSizesAreKnownOnlyInsideTheLoopStartsFromItsFirstRow() throws Exception {
        Path onnx = OnnxGraphBuilder.write(symbolicScanLoop(FLOAT), tmp.resolve("symbolic_scan.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("symbolic_scan.mlpackage"));
        assertEquals(List.of("mil.while_loop", "mil.cond"), ops(m));
        float[] four = new float[12];
        for (int j = 0; j < four.length; j++) four[j] = j * 0.25f - 1f;
        // no iteration: [0, 0, 3], the unknown size 0, as ONNX Runtime gives for the symbolic one
        for (long trips : new long[] {0, 1, 2, 5}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "m", scalar(trips)), 1e-6);
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {4, 3}, four), "m", scalar(trips)), 1e-6);
        }
        // given the shapes, the stack's sizes are static and the plain concat form is used
        Model fixed = convert("symbolic_scan_fixed", symbolicScanLoop(FLOAT), List.of("x:2,3"));
        assertEquals(List.of("mil.while_loop"), ops(fixed));
        for (long trips : new long[] {1, 5}) {
            ConvertedVsOrt.assertMatches(onnx, fixed, inputs("x", floats(X_SHAPE, POSITIVE), "m", scalar(trips)), 1e-6);
        }
        // no iteration: [0, 2, 3] from the given shape (ONNX Runtime, not told the shape, gives [0, 0, 3]: also empty)
        Map<String, TensorData> none = new MilInterpreter(fixed.graph()).run(Map.of(
                "x", TensorData.ofFloats(X_SHAPE, POSITIVE), "m", MilTensor.ints(DType.INT32, new int[0], new int[] {0}).toData()));
        assertArrayEquals(new int[] {0, 2, 3}, MilTensor.of(none.get("all")).shape());
    }

    /**
     * The pattern of ONNX's own Loop test (test_loop11): y accumulates x[i : i + 1] of a constant x,
     * sliced by the iteration number, and each y is scanned; the slice's size is not known before
     * the loop runs.
     */
    @Test
    void aScanOfSlicesTakenByTheIterationNumberMatchesOnnxRuntime() throws Exception {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("y", FLOAT, 1)
                .node("Unsqueeze", "start", "i", "axis0")
                .node("Add", "end", "start", "one")
                .node("Slice", "xi", "xs", "start", "end")
                .node("Add", "y_out", "y", "xi").node("Identity", "y_scan", "y_out").node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("y_out", FLOAT, 1).output("y_scan", FLOAT, 1).build();
        GraphProto g = new OnnxGraphBuilder("slices").input("y", FLOAT, 1).input("m", INT64)
                .floats("xs", new long[] {5}, 1f, 2f, 3f, 4f, 5f).longs("one", new long[] {1}, 1).longs("axis0", new long[] {1}, 0)
                .node("Loop", new String[] {"m", "", "y"}, new String[] {"y_final", "ys"}, graph("body", body))
                .output("y_final", FLOAT, 1).output("ys", FLOAT, "trips", 1).build();
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve("slices.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("slices.mlpackage"));
        for (long trips : new long[] {0, 1, 5}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("y", floats(new long[] {1}, -2f), "m", scalar(trips)), 1e-6);
        }
    }

    /**
     * uint8 and int8 scan outputs (fill has no 8-bit type): the stack is built in int32 and cast
     * back after the loop, so the values and dtype are ONNX Runtime's, with static and symbolic row
     * sizes.
     */
    @Test
    void eightBitScanOutputsAreStackedInInt32AndCastBack() throws Exception {
        float[] small = {0f, 1f, 2f, 3f, 1f, 2f}; // doubled 5 times: at most 96, in both 8-bit ranges
        for (int type : new int[] {OnnxGraphBuilder.UINT8, OnnxGraphBuilder.INT8}) {
            Path onnx = OnnxGraphBuilder.write(symbolicScanLoop(type), tmp.resolve("scan8_" + type + ".onnx"));
            for (List<String> shapes : List.of(List.of("x:2,3"), List.<String>of())) {
                // a uint8 output is an int32 feature (cast at the end); int8 features need iOS 26
                boolean u8 = type == OnnxGraphBuilder.UINT8;
                Model m = ConvertedVsOrt.convert(onnx, shapes, tmp.resolve("scan8_" + type + shapes.size() + ".mlpackage"), u8 ? null : "ios26");
                Value all = m.graph().outputs().get(1);
                assertEquals(u8 ? DType.INT32 : DType.INT8, all.tensorType().dtype());
                Node cast = u8 ? all.producer().operand(1).producer() : all.producer();
                assertEquals("mil.cast", cast.op());
                assertEquals("mil.while_loop", cast.operand(1).producer().op());
                // no iteration with the shape given: [0, 2, 3], where ONNX Runtime, not told the shape, gives [0, 0, 3]
                for (long trips : shapes.isEmpty() ? new long[] {0, 1, 5} : new long[] {1, 5}) {
                    ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, small), "m", scalar(trips)), 0);
                }
            }
        }
    }

    /** countedScanLoop with the trip count a constant (M = trips), or with a cond input (the concat form). */
    private static GraphProto scanLoopOf(long trips, boolean condInput) {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3)
                .node("Add", "v_out", "v", "x").node("Mul", "row", "v_out", "k")
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).output("row", FLOAT, 2, 3).build();
        OnnxGraphBuilder g = new OnnxGraphBuilder("scan_const").input("x", FLOAT, 2, 3);
        if (condInput) g.input("go", BOOL);
        return g.floats("k", new long[] {3}, -1f, 0.5f, 2f).longs("m", new long[0], trips)
                .node("Loop", new String[] {"m", condInput ? "go" : "", "x"}, new String[] {"v_final", "rows"}, graph("body", body))
                .output("v_final", FLOAT, 2, 3).output("rows", FLOAT, trips, 2, 3).build();
    }

    /** The scatter and concat ops inside the loop body. */
    private static List<String> bodyOps(Model m) {
        return m.graph().allNodes().stream().filter(n -> n.graph() != m.graph()).map(Node::op)
                .filter(o -> o.equals("mil.scatter") || o.equals("mil.concat")).toList();
    }

    /**
     * A loop that always runs its M trips (no condition can stop it) preallocates its stacks:
     * fill([M, 2, 3]) and one scatter per iteration, no concat; the rows equal the concat form's
     * bit for bit and ONNX Runtime's, for 0, 1 and 5 trips, with M a constant or an input.
     */
    @Test
    void aLoopThatRunsEveryTripWritesItsRowsIntoAPreallocatedStack() throws Exception {
        for (long trips : new long[] {0, 1, 5}) {
            Path onnx = OnnxGraphBuilder.write(scanLoopOf(trips, false), tmp.resolve("pre" + trips + ".onnx"));
            Model pre = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("pre" + trips + ".mlpackage"));
            assertEquals(List.of("mil.scatter"), bodyOps(pre));
            Value init = m0(pre);
            assertEquals(List.of((long) trips, 2L, 3L), java.util.Arrays.stream(init.tensorType().shape()).boxed().toList());
            ConvertedVsOrt.assertMatches(onnx, pre, inputs("x", floats(X_SHAPE, POSITIVE)), 0);

            // the same loop with a condition input (true) keeps the concat form
            Path withCond = OnnxGraphBuilder.write(scanLoopOf(trips, true), tmp.resolve("cat" + trips + ".onnx"));
            Model cat = ConvertedVsOrt.convert(withCond, List.of(), tmp.resolve("cat" + trips + ".mlpackage"));
            assertEquals(List.of("mil.concat"), bodyOps(cat));
            Map<String, TensorData> a = new MilInterpreter(pre.graph()).run(Map.of("x", TensorData.ofFloats(X_SHAPE, POSITIVE)));
            Map<String, TensorData> b = new MilInterpreter(cat.graph()).run(Map.of("x", TensorData.ofFloats(X_SHAPE, POSITIVE),
                    "go", MilTensor.ints(DType.INT32, new int[0], new int[] {1}).toData()));
            assertArrayEquals(MilTensor.of(b.get("rows")).toFloats(), MilTensor.of(a.get("rows")).toFloats());
            assertArrayEquals(MilTensor.of(b.get("rows")).shape(), MilTensor.of(a.get("rows")).shape());
        }
        // M an input: the stack's first size is max(M, 0) at run time
        Path onnx = OnnxGraphBuilder.write(countedScanLoop(true), tmp.resolve("pre_input.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("pre_input.mlpackage"));
        assertEquals(List.of("mil.scatter", "mil.scatter"), bodyOps(m));
        for (long trips : new long[] {-2, 0, 1, 5}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, POSITIVE), "m", scalar(trips)), 0);
        }
    }

    /** The start value of the while_loop's first scan accumulator (loop variable 3). */
    private static Value m0(Model m) {
        Node loop = m.graph().allNodes().stream().filter(n -> n.op().equals("mil.while_loop")).findFirst().orElseThrow();
        return loop.operands().get(3);
    }
}
