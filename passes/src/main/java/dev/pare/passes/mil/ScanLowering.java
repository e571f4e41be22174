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
 * ONNX Scan as MIL {@code while_loop} over (iteration, state values..., scan output stacks...).
 * The trip count is the scan inputs' length along their scan axes (a constant when the shape says
 * it, else read with {@code shape} at run time). The ONNX body is lowered in place as the loop
 * body: its scan-input slices become {@code gather(scan_input, index, axis)} at the top of the
 * body (index = iteration, or length − 1 − iteration for a reversed input), and each scan output
 * is stacked on a new axis 0 the way Loop's scan outputs are ({@link ControlFlowLowerings}):
 * a preallocated {@code fill} written row by row with {@code scatter} when the row's sizes are
 * static (a Scan always runs every trip), else {@code concat}; a reversed output writes row
 * length − 1 − iteration (or prepends). After the loop a {@code transpose} moves the stacked
 * axis to the output's scan axis. Opset 8's batched form is lowered for a batch of 1 with no
 * partial {@code sequence_lens} (the batch axis squeezed away and put back).
 */
final class ScanLowering {

    private ScanLowering() {}

    static void register(Map<String, Lowering> m) {
        m.put("Scan", ScanLowering::lower);
    }

    private static final TensorType INT32_SCALAR = TensorType.of(DType.INT32);

    private static List<Value> lower(OnnxOp op) {
        Graph body = op.subgraph("body");
        long scanInputs = op.attrInt("num_scan_inputs", -1);
        if (scanInputs < 1) throw op.fail("attribute 'num_scan_inputs' must be given and at least 1");
        // opset 8 has sequence_lens in front of the state and scan inputs (its body has no input for it)
        boolean batched = op.opset.map(v -> v < 9).orElse(op.inputs() == body.inputs().size() + 1);
        int first = batched ? 1 : 0;
        int states = op.inputs() - first - (int) scanInputs;
        if (states < 0 || body.inputs().size() != states + scanInputs) {
            throw op.fail("its body takes " + body.inputs().size() + " inputs for " + Math.max(0, states) + " state values and "
                    + scanInputs + " scan inputs (num_scan_inputs)");
        }
        int scanOutputs = body.outputs().size() - states;
        if (scanOutputs < 0) throw op.fail("its body gives " + body.outputs().size() + " outputs for " + states + " state values");
        int m = (int) scanInputs;
        List<Value> stateInit = new ArrayList<>();
        for (int i = 0; i < states; i++) stateInit.add(op.in(first + i));
        List<Value> scans = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            Value x = op.in(first + states + j);
            if (!x.tensorType().hasRank()) throw op.needsStaticShape(first + states + j, "scan input " + j + " has an unknown rank");
            scans.add(x);
        }
        if (states + scanOutputs == 0) throw op.fail("it has no state values and no scan outputs");
        Plan plan = batched ? batchedPlan(op, stateInit, scans, scanOutputs) : plan(op, stateInit, scans, scanOutputs);
        return loop(op, body, plan, states, scanOutputs);
    }

    /**
     * What the loop runs on: the state and scan input values (opset 8: with the batch axis
     * squeezed), each scan input's axis and direction, each scan output's axis and direction, and
     * whether the results get the batch axis back.
     */
    private record Plan(List<Value> states, List<Value> scans, int[] inputAxes, boolean[] inputReversed, int[] outputAxes,
            boolean[] outputReversed, boolean batched) {}

    private static Plan plan(OnnxOp op, List<Value> stateInit, List<Value> scans, int scanOutputs) {
        int m = scans.size();
        int[] inAxes = new int[m];
        long[] given = listAttr(op, "scan_input_axes", m);
        for (int j = 0; j < m; j++) {
            int rank = scans.get(j).tensorType().rank();
            long a = given == null ? 0 : given[j];
            long n = OnnxOp.normalizeAxis(a, rank);
            if (n < 0 || n >= rank) throw op.fail("attribute 'scan_input_axes' gives axis " + a + " for scan input " + j + " of rank " + rank);
            inAxes[j] = (int) n;
        }
        boolean[] inReversed = directions(op, "scan_input_directions", m);
        long[] outGiven = listAttr(op, "scan_output_axes", scanOutputs);
        int[] outAxes = new int[scanOutputs];
        for (int k = 0; k < scanOutputs; k++) outAxes[k] = outGiven == null ? 0 : (int) outGiven[k]; // normalized once the rank is known
        boolean[] outReversed = directions(op, "scan_output_directions", scanOutputs);
        return new Plan(stateInit, scans, inAxes, inReversed, outAxes, outReversed, false);
    }

    /**
     * Opset 8: every state and scan input has a batch axis 0 and the scan axis is 1. Only a batch
     * of 1 has a MIL form (the body would otherwise run once per batch entry), and only full-length
     * sequences (no sequence_lens, or one equal to the scan length).
     */
    private static Plan batchedPlan(OnnxOp op, List<Value> stateInit, List<Value> scans, int scanOutputs) {
        List<Value> all = new ArrayList<>(stateInit);
        all.addAll(scans);
        for (int i = 0; i < all.size(); i++) {
            TensorType t = all.get(i).tensorType();
            if (!t.hasRank() || t.rank() < (i < stateInit.size() ? 1 : 2)) {
                throw op.needsStaticShape(1 + i, "input " + (1 + i) + " needs a batch axis (opset 8 Scan)");
            }
            String batchOfOne = "opset 8 Scan runs its body once per batch entry (axis 0) and has a MIL lowering only for a batch of 1; input "
                    + (1 + i) + " has batch " + t.dims().get(0);
            // a batch known only at run time may be 1: the user can say so with --input-shape
            if (!(t.dims().get(0) instanceof Dim.Fixed f)) throw op.needsStaticShape(1 + i, batchOfOne);
            if (f.size() != 1) throw op.fail(batchOfOne + " (opset 9's Scan has no batch axis)");
        }
        if (op.present(0)) {
            long[] lens = op.constInts(0);
            Dim length = scans.get(0).tensorType().dims().get(1);
            if (lens == null || !(length instanceof Dim.Fixed f) || lens.length != 1 || lens[0] != f.size()) {
                throw op.fail("input 'sequence_lens' (opset 8) has no MIL lowering unless it is a constant equal to the scan length "
                        + length + " (sequences shorter than the batch's are not supported)");
            }
        }
        List<Value> squeezedStates = new ArrayList<>();
        for (int i = 0; i < stateInit.size(); i++) squeezedStates.add(squeeze(op, stateInit.get(i), "state" + i));
        List<Value> squeezedScans = new ArrayList<>();
        for (int j = 0; j < scans.size(); j++) squeezedScans.add(squeeze(op, scans.get(j), "scan_input" + j));
        int[] inAxes = new int[scans.size()];
        boolean[] inReversed = directions(op, "directions", scans.size());
        return new Plan(squeezedStates, squeezedScans, inAxes, inReversed, new int[scanOutputs], new boolean[scanOutputs], true);
    }

    private static Value squeeze(OnnxOp op, Value v, String hint) {
        return op.e.op("squeeze", op.e.tmp(hint + "_unbatched"), "x", v, "axes", new long[] {0});
    }

    /** A list attribute of {@code count} ints, or null when absent. */
    private static long[] listAttr(OnnxOp op, String name, int count) {
        long[] v = op.attrInts(name);
        if (v != null && v.length != count) throw op.fail("attribute '" + name + "' has " + v.length + " entries for " + count);
        return v;
    }

    private static boolean[] directions(OnnxOp op, String name, int count) {
        long[] v = listAttr(op, name, count);
        boolean[] reversed = new boolean[count];
        if (v == null) return reversed;
        for (int i = 0; i < count; i++) {
            if (v[i] != 0 && v[i] != 1) throw op.fail("attribute '" + name + "' entry " + i + " is " + v[i] + " (0 forward, 1 reverse)");
            reversed[i] = v[i] == 1;
        }
        return reversed;
    }

    private static List<Value> loop(OnnxOp op, Graph body, Plan plan, int states, int scanOutputs) {
        List<Value> stateInit = plan.states();
        List<Value> scans = plan.scans();
        int m = scans.size();

        // the trip count: the scan inputs' common length along their axes
        Long length = null;
        int lengthFrom = -1;
        for (int j = 0; j < m; j++) {
            if (scans.get(j).tensorType().dims().get(plan.inputAxes()[j]) instanceof Dim.Fixed f) {
                if (length != null && length != f.size()) {
                    throw op.fail("scan inputs " + lengthFrom + " and " + j + " have lengths " + length + " and " + f.size()
                            + " along their scan axes (scan_input_axes); Scan needs one length");
                }
                length = f.size();
                lengthFrom = j;
            }
        }
        Value trips = length != null ? op.e.constant(op.e.tmp("trip_count"), MilEmitter.int32(new long[0], length))
                : op.e.op("gather", op.e.tmp("trip_count"), "x", op.e.op("shape", op.e.tmp("scan_input0_shape"), "x", scans.get(0)),
                        "indices", (long) plan.inputAxes()[0], "axis", 0L);
        boolean anyReversed = false;
        for (boolean r : plan.inputReversed()) anyReversed |= r;
        for (boolean r : plan.outputReversed()) anyReversed |= r;
        Value lastIndex = !anyReversed ? null : length != null ? op.e.constant(op.e.tmp("last_index"), MilEmitter.int32(new long[0], length - 1))
                : op.e.op("sub", op.e.tmp("last_index"), "x", trips, "y", 1L);

        String base = resultName(op, 0, states + scanOutputs);
        Rewriter brw = body.rewriter();
        for (int i = 0; i < states; i++) brw.setType(body.inputs().get(i), stateInit.get(i).tensorType());
        List<TensorType> declaredScans = new ArrayList<>();
        for (int k = 0; k < scanOutputs; k++) declaredScans.add(body.outputs().get(states + k).tensorType());

        // the body's scan-input slices become gathers at the top of the body, indexed by a new iteration input
        Value iteration = brw.addInput(brw.uniqueValueName(base + "_iteration"), INT32_SCALAR);
        if (!body.nodes().isEmpty()) brw.setInsertionPointBefore(body.nodes().get(0));
        MilEmitter top = new MilEmitter(brw, op.node.location(), base, List.of());
        Value reversedIndex = null;
        List<Value> sliceInputs = new ArrayList<>(body.inputs().subList(states, states + m));
        for (int j = 0; j < m; j++) {
            Value index = iteration;
            if (plan.inputReversed()[j]) {
                if (reversedIndex == null) reversedIndex = top.op("sub", top.tmp("reversed_index"), "x", lastIndex, "y", iteration);
                index = reversedIndex;
            }
            Value slice = top.op("gather", top.tmp("scan_input" + j + "_slice"), "x", scans.get(j), "indices", index,
                    "axis", (long) plan.inputAxes()[j]);
            brw.replaceAllUsesWith(sliceInputs.get(j), slice);
        }
        brw.setInsertionPointToEnd();
        for (Value s : sliceInputs) brw.removeInput(s);
        List<Value> order = new ArrayList<>();
        order.add(iteration);
        order.addAll(body.inputs().subList(0, states));
        brw.reorderInputs(order);

        op.blocks.lower(body);
        brw.setInsertionPointToEnd();
        for (int i = 0; i < states; i++) {
            TensorType in = stateInit.get(i).tensorType();
            TensorType out = body.outputs().get(i).tensorType();
            if (!ControlFlowLowerings.compatible(in, out)) {
                throw op.fail("state value " + i + " ('" + body.inputs().get(1 + i).name() + "') is " + in + " before the scan and " + out
                        + " after the body; MIL's while_loop keeps the type of its loop variables");
            }
        }

        List<Value> vars = new ArrayList<>();
        vars.add(op.e.constant(op.e.tmp("iteration_init"), MilEmitter.int32(new long[0], 0)));
        vars.addAll(stateInit);
        List<TensorType> types = new ArrayList<>();
        for (Value v : vars) types.add(v.tensorType());
        MilEmitter be = new MilEmitter(brw, op.node.location(), base, List.of());
        List<Value> stacked = new ArrayList<>();
        List<DType> widened = new ArrayList<>();
        List<Integer> stackRanks = new ArrayList<>();
        Value forwardRow = null;
        Value reverseRow = null;
        for (int k = 0; k < scanOutputs; k++) {
            Value perIteration = body.outputs().get(states + k);
            DType scanType = perIteration.tensorType().dtype();
            // fill has no 8-bit type: such a stack is built in int32, which holds every value exactly, and cast back below
            boolean widen = ControlFlowLowerings.WIDENED.contains(scanType) && perIteration.tensorType().hasRank();
            widened.add(widen ? scanType : null);
            if (widen) perIteration = be.op("cast", be.tmp("scan" + k + "_int32"), "x", perIteration, "dtype", "int32");
            TensorType accType = ControlFlowLowerings.scanAccumulatorType(op, k, states, perIteration.tensorType());
            stackRanks.add(accType.rank());
            boolean reversed = plan.outputReversed()[k];
            boolean preallocate = perIteration.tensorType().isStatic();
            if (preallocate) {
                if (length != null) accType = ControlFlowLowerings.withRows(accType, Dim.of(length));
                vars.add(ControlFlowLowerings.preallocatedStack(op, k, perIteration.tensorType(), trips, length));
            } else {
                vars.add(ControlFlowLowerings.emptyAccumulator(op, k, perIteration.tensorType(), declaredScans.get(k)));
            }
            types.add(accType);
            Value acc = brw.addInput(brw.uniqueValueName(base + "_scan" + k), accType);
            Value row = be.op("expand_dims", be.tmp("scan" + k + "_row"), "x", perIteration, "axes", new long[] {0});
            if (preallocate) {
                Value rowIndex;
                if (reversed) {
                    if (reversedIndex == null) reversedIndex = be.op("sub", be.tmp("reversed_index"), "x", lastIndex, "y", iteration);
                    if (reverseRow == null) reverseRow = be.op("reshape", be.tmp("reversed_row_index"), "x", reversedIndex, "shape", new long[] {1});
                    rowIndex = reverseRow;
                } else {
                    if (forwardRow == null) forwardRow = be.op("reshape", be.tmp("row_index"), "x", iteration, "shape", new long[] {1});
                    rowIndex = forwardRow;
                }
                stacked.add(be.op("scatter", be.tmp("scan" + k + "_next"), "data", acc, "indices", rowIndex, "updates", row,
                        "axis", 0L, "mode", "update"));
            } else if (perIteration.tensorType().isStatic()) {
                stacked.add(be.op("concat", be.tmp("scan" + k + "_next"), "values", reversed ? List.of(row, acc) : List.of(acc, row),
                        "axis", 0L, "interleave", false));
            } else {
                stacked.add(ControlFlowLowerings.firstRowOrConcat(op, body, be, k, acc, row, accType, reversed));
            }
        }
        Value next = be.op("add", be.tmp("iteration_next"), "x", iteration, "y", 1L);
        List<Value> outputs = new ArrayList<>();
        outputs.add(next);
        outputs.addAll(body.outputs().subList(0, states));
        outputs.addAll(stacked);
        int had = body.outputs().size();
        for (int i = 0; i < outputs.size(); i++) {
            if (i < had) brw.setOutput(i, outputs.get(i));
            else brw.addOutput(outputs.get(i));
        }
        brw.setGraphName(base + "_block1");
        Graph condition = conditionBlock(op, types, trips, base);

        // loop results get the ONNX names unless something follows them (cast back, transpose, the batch axis)
        List<String> loopNames = new ArrayList<>();
        loopNames.add(op.e.tmp("iteration"));
        for (int i = 0; i < states; i++) loopNames.add(plan.batched() ? op.e.tmp("state" + i + "_unbatched_out") : resultName(op, i, i));
        int[] outAxes = new int[scanOutputs];
        for (int k = 0; k < scanOutputs; k++) {
            int outRank = stackRanks.get(k);
            long a = plan.outputAxes()[k];
            long n = OnnxOp.normalizeAxis(a, outRank);
            if (n < 0 || n >= outRank) {
                throw op.fail("attribute 'scan_output_axes' gives axis " + a + " for scan output " + k + " of rank " + outRank);
            }
            outAxes[k] = (int) n;
            boolean follows = widened.get(k) != null || n != 0 || plan.batched();
            loopNames.add(follows ? op.e.tmp("scan" + k + "_stack") : resultName(op, states + k, states + k));
        }
        List<Value> loopResults = op.e.blockOp("while_loop", loopNames, types, List.of(condition, body), "loop_vars", vars);
        List<Value> results = new ArrayList<>();
        for (int i = 0; i < states; i++) {
            Value r = loopResults.get(1 + i);
            if (plan.batched()) r = op.e.op("expand_dims", resultName(op, i, i), "x", r, "axes", new long[] {0});
            results.add(r);
        }
        for (int k = 0; k < scanOutputs; k++) {
            Value r = loopResults.get(1 + states + k);
            String name = resultName(op, states + k, states + k);
            boolean transpose = outAxes[k] != 0;
            if (widened.get(k) != null) {
                boolean last = !transpose && !plan.batched();
                r = op.e.op("cast", last ? name : op.e.tmp("scan" + k + "_cast"), "x", r, "dtype", MilDTypes.milName(widened.get(k)));
            }
            if (transpose) {
                int rank = stackRanks.get(k);
                long[] perm = new long[rank];
                // stacked axis 0 goes to position outAxes[k]; the row's axes keep their order around it
                for (int d = 0, src = 1; d < rank; d++) perm[d] = d == outAxes[k] ? 0 : src++;
                r = op.e.op("transpose", plan.batched() ? op.e.tmp("scan" + k + "_transposed") : name, "x", r, "perm", perm);
            }
            if (plan.batched()) r = op.e.op("expand_dims", name, "x", r, "axes", new long[] {0});
            results.add(r);
        }
        return results;
    }

    /** The while_loop's condition: iteration < trip count. */
    private static Graph conditionBlock(OnnxOp op, List<TensorType> types, Value trips, String base) {
        Graph block = new Graph(base + "_block0", op.node.graph());
        Rewriter rw = block.rewriter();
        List<Value> inputs = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            inputs.add(rw.addInput(rw.uniqueValueName(base + "_" + (i == 0 ? "iteration" : "var" + (i - 1))), types.get(i)));
        }
        MilEmitter ce = new MilEmitter(rw, op.node.location(), base, List.of());
        rw.addOutput(ce.op("less", ce.tmp("go"), "x", inputs.get(0), "y", trips));
        return block;
    }

    /** The name of ONNX result {@code i} (an unused one gets a name made from the node's). */
    private static String resultName(OnnxOp op, int i, int fallbackIndex) {
        String n = op.e.out(i);
        return n.isEmpty() ? op.node.name() + "_unused_" + fallbackIndex : n;
    }
}
