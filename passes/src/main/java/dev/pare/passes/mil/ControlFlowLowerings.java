package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX If and Loop as MIL {@code cond} and {@code while_loop}. The ONNX subgraphs are lowered in
 * place and become the MIL blocks (so their nodes keep using values of the enclosing graphs, as
 * MIL blocks may). Loop's iteration counter and condition become the first two loop variables.
 */
final class ControlFlowLowerings {

    private ControlFlowLowerings() {}

    static void register(Map<String, Lowering> m) {
        m.put("If", ControlFlowLowerings::lowerIf);
        m.put("Loop", ControlFlowLowerings::lowerLoop);
    }

    private static final TensorType INT32_SCALAR = TensorType.of(DType.INT32);
    private static final TensorType BOOL_SCALAR = TensorType.of(DType.BOOL);

    /** cond(pred) with the then branch as block 0 and the else branch as block 1. */
    private static List<Value> lowerIf(OnnxOp op) {
        Graph then = op.subgraph("then_branch");
        Graph otherwise = op.subgraph("else_branch");
        int results = op.node.results().size();
        if (then.outputs().size() != results || otherwise.outputs().size() != results) {
            throw op.fail("its branches give " + then.outputs().size() + " and " + otherwise.outputs().size()
                    + " outputs for " + results + " results");
        }
        Value pred = scalarBool(op, op.in(0), "pred");
        op.blocks.lower(then);
        op.blocks.lower(otherwise);
        List<TensorType> types = new ArrayList<>();
        for (int i = 0; i < results; i++) {
            types.add(merge(op, "output " + i, then.outputs().get(i).tensorType(), otherwise.outputs().get(i).tensorType()));
        }
        List<String> names = resultNames(op, results, 0);
        then.rewriter().setGraphName(names.get(0) + "_block0");
        otherwise.rewriter().setGraphName(names.get(0) + "_block1");
        return op.e.blockOp("cond", names, types, List.of(then, otherwise), "pred", pred);
    }

    /**
     * while_loop over (iteration, condition, carried values..., scan accumulators...): the condition
     * block tests {@code iteration < M and condition} (each part only when the ONNX Loop has it),
     * the body is the ONNX body with {@code iteration + 1} put in front of its outputs. Each scan
     * output is collected in a loop variable that starts as an empty [0, d1, ...] tensor and grows
     * by one row per iteration ({@code concat} with the value given a new axis 0), so it ends as
     * ONNX's stack of the per-iteration values whether M, the condition or both stop the loop. An
     * int8 / uint8 scan output (a dtype fill lacks) is stacked as int32 and cast back after the loop.
     */
    private static List<Value> lowerLoop(OnnxOp op) {
        Graph body = op.subgraph("body");
        int carried = op.inputs() - 2;
        if (carried < 0 || body.inputs().size() != carried + 2) {
            throw op.fail("its body takes " + body.inputs().size() + " inputs for " + Math.max(0, carried) + " loop-carried values");
        }
        int scans = body.outputs().size() - 1 - carried;
        if (scans < 0) {
            throw op.fail("its body gives " + body.outputs().size() + " outputs for a condition and " + carried + " loop-carried values");
        }
        Value maxTrips = tripCount(op);
        List<Value> vars = new ArrayList<>();
        vars.add(op.e.constant(op.e.tmp("iteration_init"), MilEmitter.int32(new long[0], 0)));
        vars.add(op.present(1) ? scalarBool(op, op.in(1), "cond_init") : op.e.constant(op.e.tmp("cond_init"), MilEmitter.bools(new long[0], true)));
        for (int k = 0; k < carried; k++) vars.add(op.in(2 + k));
        List<TensorType> types = new ArrayList<>();
        for (Value v : vars) types.add(v.tensorType());

        List<TensorType> declaredScans = new ArrayList<>();
        for (int k = 0; k < scans; k++) declaredScans.add(body.outputs().get(1 + carried + k).tensorType());
        Rewriter brw = body.rewriter();
        for (int i = 0; i < vars.size(); i++) brw.setType(body.inputs().get(i), types.get(i));
        op.blocks.lower(body);
        for (int k = 0; k < carried; k++) {
            TensorType in = types.get(2 + k);
            TensorType out = body.outputs().get(1 + k).tensorType();
            if (!compatible(in, out)) {
                throw op.fail("loop-carried value " + k + " ('" + body.inputs().get(2 + k).name() + "') is " + in
                        + " before the loop and " + out + " after the body; MIL's while_loop keeps the type of its loop variables");
            }
        }
        List<String> names = resultNames(op, carried + scans, 2);
        String base = names.get(2 % names.size());
        MilEmitter be = new MilEmitter(brw, op.node.location(), base, List.of());
        List<Value> stacked = new ArrayList<>();
        List<DType> widened = new ArrayList<>();
        // a loop that always runs its M trips gets stacks of M rows, each iteration writing its own row
        boolean runsEveryTrip = maxTrips != null && conditionNeverStops(op, body);
        Value rowIndex = null;
        for (int k = 0; k < scans; k++) {
            Value perIteration = body.outputs().get(1 + carried + k);
            DType scanType = perIteration.tensorType().dtype();
            // fill has no 8-bit type: such a stack is built in int32, which holds every value exactly, and cast back below
            boolean widen = WIDENED.contains(scanType) && perIteration.tensorType().hasRank();
            widened.add(widen ? scanType : null);
            if (widen) perIteration = be.op("cast", be.tmp("scan" + k + "_int32"), "x", perIteration, "dtype", "int32");
            TensorType accType = scanAccumulatorType(op, k, carried, perIteration.tensorType());
            boolean preallocate = runsEveryTrip && perIteration.tensorType().isStatic();
            if (preallocate) {
                long[] m = op.constInts(0);
                if (m != null) accType = withRows(accType, Dim.of(Math.max(0, m[0])));
                vars.add(preallocatedStack(op, k, perIteration.tensorType(), maxTrips, m == null ? null : Math.max(0, m[0])));
            } else {
                vars.add(emptyAccumulator(op, k, perIteration.tensorType(), declaredScans.get(k)));
            }
            types.add(accType);
            Value acc = brw.addInput(brw.uniqueValueName(base + "_scan" + k), accType);
            Value row = be.op("expand_dims", be.tmp("scan" + k + "_row"), "x", perIteration, "axes", new long[] {0});
            if (preallocate) {
                if (rowIndex == null) rowIndex = be.op("reshape", be.tmp("row_index"), "x", body.inputs().get(0), "shape", new long[] {1});
                stacked.add(be.op("scatter", be.tmp("scan" + k + "_next"), "data", acc, "indices", rowIndex, "updates", row,
                        "axis", 0L, "mode", "update"));
                continue;
            }
            stacked.add(perIteration.tensorType().isStatic()
                    ? be.op("concat", be.tmp("scan" + k + "_next"), "values", List.of(acc, row), "axis", 0L, "interleave", false)
                    : firstRowOrConcat(op, body, be, k, acc, row, accType, false));
        }
        Value next = be.op("add", be.tmp("iteration_next"), "x", body.inputs().get(0), "y", 1L);
        Value keepGoing = scalarBool(be, body.outputs().get(0), "cond_next");
        List<Value> outputs = new ArrayList<>();
        outputs.add(next);
        outputs.add(keepGoing);
        outputs.addAll(body.outputs().subList(1, 1 + carried));
        outputs.addAll(stacked);
        for (int i = 0; i < body.outputs().size(); i++) brw.setOutput(i, outputs.get(i));
        brw.addOutput(outputs.get(outputs.size() - 1));

        Graph condition = conditionBlock(op, types, maxTrips, base);
        brw.setGraphName(base + "_block1");
        List<String> loopNames = new ArrayList<>(names);
        for (int k = 0; k < scans; k++) if (widened.get(k) != null) loopNames.set(2 + carried + k, op.e.tmp("scan" + k + "_int32"));
        List<Value> results = new ArrayList<>(op.e.blockOp("while_loop", loopNames, types, List.of(condition, body), "loop_vars", vars));
        for (int k = 0; k < scans; k++) {
            DType to = widened.get(k);
            if (to == null) continue;
            int i = 2 + carried + k;
            results.set(i, op.e.op("cast", names.get(i), "x", results.get(i), "dtype", MilDTypes.milName(to)));
        }
        return results.subList(2, results.size());
    }

    /**
     * Whether the loop's condition can never end it before M: no cond input or a constant true one,
     * and a body whose condition output is its condition input passed through (or a constant true).
     */
    private static boolean conditionNeverStops(OnnxOp op, Graph body) {
        if (op.present(1)) {
            long[] c = op.constInts(1);
            if (c == null || c.length != 1 || c[0] == 0) return false;
        }
        Value out = body.outputs().get(0);
        while (out.producer() != null && out.producer().op().equals("mil.identity")) out = out.producer().operand(0);
        if (out == body.inputs().get(1)) return true;
        if (!out.isConstant()) return false;
        long[] c = MilArgs.longs(out);
        return c.length == 1 && c[0] != 0;
    }

    static TensorType withRows(TensorType t, Dim rows) {
        List<Dim> dims = new ArrayList<>(t.dims());
        dims.set(0, rows);
        return new TensorType(t.dtype(), dims);
    }

    /**
     * fill([M, d1, ...], 0) for a loop that runs all its M trips: the body writes row i with
     * scatter (mode update), so the stack costs one row write per iteration, not a copy of the
     * stack. A computed M becomes the first size at run time ({@code max(M, 0)}: a negative M runs
     * no iteration).
     */
    static Value preallocatedStack(OnnxOp op, int k, TensorType perIteration, Value maxTrips, Long constantTrips) {
        long[] rowShape = perIteration.shape();
        Object shape;
        if (constantTrips != null) {
            long[] s = new long[rowShape.length + 1];
            s[0] = constantTrips;
            System.arraycopy(rowShape, 0, s, 1, rowShape.length);
            shape = s;
        } else {
            Value rows = op.e.op("maximum", op.e.tmp("scan" + k + "_rows"), "x", maxTrips, "y", 0L);
            Value first = op.e.op("reshape", op.e.tmp("scan" + k + "_rows_1d"), "x", rows, "shape", new long[] {1});
            shape = rowShape.length == 0 ? first
                    : op.e.op("concat", op.e.tmp("scan" + k + "_shape"), "values", List.of(first, op.e.constant(op.e.tmp("scan" + k + "_row_shape"),
                            MilEmitter.int32(new long[] {rowShape.length}, rowShape))), "axis", 0L, "interleave", false);
        }
        return op.e.op("fill", op.e.tmp("scan" + k + "_init"), "shape", shape, "value", zero(perIteration.dtype()));
    }

    static Object zero(DType d) {
        return switch (d) {
            case FLOAT32 -> 0f;
            case FLOAT16 -> MilEmitter.floatScalar(DType.FLOAT16, 0);
            case INT32 -> 0L;
            default -> Boolean.FALSE;
        };
    }

    /** Scan output types fill lacks whose values int32 holds exactly: their stacks are int32, cast back after the loop. */
    static final List<DType> WIDENED = List.of(DType.UINT8, DType.INT8);

    /**
     * The type of scan output {@code k}'s accumulator: [?, d1, ...] for per-iteration values of
     * shape [d1, ...] (a size not known before the loop stays unknown).
     */
    static TensorType scanAccumulatorType(OnnxOp op, int k, int carried, TensorType perIteration) {
        if (!perIteration.hasRank()) {
            throw op.fail("scan output " + k + " ('" + op.e.out(carried + k) + "') has an unknown rank per iteration; "
                    + "its stack needs one (give --input-shape for the inputs it comes from)");
        }
        if (!FILLABLE.contains(perIteration.dtype())) {
            throw op.fail("scan output " + k + " ('" + op.e.out(carried + k) + "') is " + perIteration.dtype().shortName()
                    + "; MIL's fill, which starts the stack, takes fp16, fp32, int32 or bool (and an 8-bit stack is built in int32)");
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(Dim.UNKNOWN);
        dims.addAll(perIteration.dims());
        return new TensorType(perIteration.dtype(), dims);
    }

    private static final List<DType> FILLABLE = List.of(DType.FLOAT32, DType.FLOAT16, DType.INT32, DType.BOOL);

    /**
     * fill([0, d1, ...], 0): the stack before the first iteration (no zero-size constant in the
     * package). A size not known before the loop is the body output's declared size here (what a
     * loop that runs no iteration returns, as ONNX Runtime does), else 0; the body then replaces
     * the start value by the first row instead of concatenating to it ({@link #firstRowOrConcat}).
     */
    static Value emptyAccumulator(OnnxOp op, int k, TensorType perIteration, TensorType declared) {
        long[] shape = new long[perIteration.rank() + 1];
        boolean declaredFits = declared.hasRank() && declared.rank() == perIteration.rank();
        for (int d = 0; d < perIteration.rank(); d++) {
            if (perIteration.dims().get(d) instanceof Dim.Fixed f) shape[d + 1] = f.size();
            else if (declaredFits && declared.dims().get(d) instanceof Dim.Fixed f) shape[d + 1] = f.size();
        }
        return op.e.op("fill", op.e.tmp("scan" + k + "_init"), "shape", shape, "value", zero(perIteration.dtype()));
    }

    /**
     * For a per-iteration value whose sizes are known only inside the loop: cond(iteration == 0)
     * gives the first row itself, later iterations concat(acc, row), so the start value's sizes
     * never meet the rows'. A loop that runs no iteration returns the start value
     * ({@link #emptyAccumulator}). With {@code prepend} each row goes in front (a Scan output
     * accumulated in reverse).
     */
    static Value firstRowOrConcat(OnnxOp op, Graph body, MilEmitter be, int k, Value acc, Value row, TensorType accType, boolean prepend) {
        String hint = "scan" + k;
        Graph first = new Graph(be.tmp(hint + "_first_block0"), body);
        MilEmitter fe = new MilEmitter(first.rewriter(), op.node.location(), be.tmp(hint + "_first"), List.of());
        first.rewriter().addOutput(fe.op("identity", fe.tmp("row"), "x", row));
        Graph later = new Graph(be.tmp(hint + "_first_block1"), body);
        MilEmitter le = new MilEmitter(later.rewriter(), op.node.location(), be.tmp(hint + "_later"), List.of());
        later.rewriter().addOutput(le.op("concat", le.tmp("stack"), "values", prepend ? List.of(row, acc) : List.of(acc, row), "axis", 0L, "interleave", false));
        Value isFirst = be.op("equal", be.tmp(hint + "_is_first"), "x", body.inputs().get(0), "y", 0L);
        return be.blockOp("cond", List.of(be.tmp(hint + "_next")), List.of(accType), List.of(first, later), "pred", isFirst).get(0);
    }

    /** M as an int32 scalar, or null when the loop has none (or one no int32 counter reaches). */
    private static Value tripCount(OnnxOp op) {
        if (!op.present(0)) return null;
        long[] constant = op.constInts(0);
        if (constant != null && constant.length == 1 && constant[0] >= Integer.MAX_VALUE) return null;
        Value m = op.in(0);
        if (m.tensorType().dtype() != DType.INT32) m = op.e.op("cast", op.e.tmp("trip_count_i32"), "x", m, "dtype", "int32");
        if (m.tensorType().hasRank() && m.tensorType().rank() > 0) {
            m = op.e.op("reshape", op.e.tmp("trip_count"), "x", m, "shape", new long[0]);
        }
        return m;
    }

    private static Graph conditionBlock(OnnxOp op, List<TensorType> types, Value maxTrips, String base) {
        Graph block = new Graph(base + "_block0", op.node.graph());
        Rewriter rw = block.rewriter();
        List<Value> inputs = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            String hint = i == 0 ? "iteration" : i == 1 ? "cond" : "var" + (i - 2);
            inputs.add(rw.addInput(rw.uniqueValueName(base + "_" + hint), types.get(i)));
        }
        MilEmitter ce = new MilEmitter(rw, op.node.location(), base, List.of());
        Value go;
        if (maxTrips == null) {
            go = ce.op("identity", ce.tmp("go"), "x", inputs.get(1));
        } else {
            Value below = ce.op("less", ce.tmp("below_trip_count"), "x", inputs.get(0), "y", maxTrips);
            go = ce.op("logical_and", ce.tmp("go"), "x", below, "y", inputs.get(1));
        }
        rw.addOutput(go);
        return block;
    }

    /** A bool scalar from a one-element condition tensor (ONNX allows shape [1] and other dtypes). */
    private static Value scalarBool(OnnxOp op, Value v, String hint) {
        return scalarBool(op.e, v, hint);
    }

    private static Value scalarBool(MilEmitter e, Value v, String hint) {
        TensorType t = v.tensorType();
        if (t.hasRank() && t.rank() > 0) v = e.op("reshape", e.tmp(hint + "_scalar"), "x", v, "shape", new long[0]);
        if (t.dtype() != DType.BOOL) v = e.op("cast", e.tmp(hint + "_bool"), "x", v, "dtype", "bool");
        return v;
    }

    /** Names for the cond / while_loop results: the ONNX results' names after {@code skip} internal ones. */
    private static List<String> resultNames(OnnxOp op, int count, int skip) {
        String base = op.node.name();
        for (int i = 0; i < count; i++) if (!op.e.out(i).isEmpty()) { base = op.e.out(i); break; }
        List<String> names = new ArrayList<>();
        if (skip > 0) {
            names.add(op.e.tmp("iteration"));
            names.add(op.e.tmp("cond"));
        }
        for (int i = 0; i < count; i++) names.add(op.e.out(i).isEmpty() ? base + "_unused_" + i : op.e.out(i));
        return names;
    }

    /** The type both branches' values fit: equal dims stay, differing ones become unknown. */
    private static TensorType merge(OnnxOp op, String what, TensorType a, TensorType b) {
        if (a.dtype() != b.dtype()) throw op.fail(what + " is " + a.dtype().shortName() + " in one branch and " + b.dtype().shortName() + " in the other");
        if (!a.hasRank() || !b.hasRank() || a.rank() != b.rank()) {
            throw op.fail(what + " has rank " + (a.hasRank() ? a.rank() : "?") + " in one branch and " + (b.hasRank() ? b.rank() : "?")
                    + " in the other; MIL's cond needs one rank");
        }
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < a.rank(); i++) dims.add(a.dims().get(i).equals(b.dims().get(i)) ? a.dims().get(i) : Dim.UNKNOWN);
        return new TensorType(a.dtype(), dims);
    }

    /** Whether the body's value fits the loop variable: same dtype and rank, no fixed size changed. */
    static boolean compatible(TensorType in, TensorType out) {
        if (in.dtype() != out.dtype() || !in.hasRank() || !out.hasRank() || in.rank() != out.rank()) return false;
        for (int i = 0; i < in.rank(); i++) {
            Dim a = in.dims().get(i);
            Dim b = out.dims().get(i);
            if (a instanceof Dim.Fixed && b instanceof Dim.Fixed && !a.equals(b)) return false;
        }
        return true;
    }
}
