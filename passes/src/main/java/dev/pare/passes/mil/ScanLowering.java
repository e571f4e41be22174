package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.GraphCopy;
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
 * axis to the output's scan axis. Opset 8's batched form is unrolled over its (static) batch:
 * one such loop per batch entry, each entry's results stacked back on the batch axis, with
 * ONNX Runtime's handling of a constant {@code sequence_lens} ({@link #batchedScan}).
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
        if (batched) return batchedScan(op, body, stateInit, scans, scanOutputs);
        return loop(op, body, plan(op, stateInit, scans, scanOutputs), states, scanOutputs);
    }

    /**
     * What the loop runs on: the state and scan input values (opset 8: one batch entry's, its batch
     * axis gone), each scan input's axis and direction, each scan output's axis and direction,
     * whether it is an opset 8 entry (its results are left to the caller to stack on the batch
     * axis), and the base of its value and block names.
     */
    private record Plan(List<Value> states, List<Value> scans, int[] inputAxes, boolean[] inputReversed, int[] outputAxes,
            boolean[] outputReversed, boolean batched, String base) {}

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
        return new Plan(stateInit, scans, inAxes, inReversed, outAxes, outReversed, false, resultName(op, 0, stateInit.size() + scanOutputs));
    }

    /**
     * Opset 8: every state and scan input has a batch axis 0 and the scan axis 1, and ONNX
     * Runtime runs the body over each batch entry in turn (scan_8.cc), entry b for sequence_lens[b]
     * steps (reverse inputs read from step sequence_lens[b] − 1 down), its scan outputs zero after
     * them. The batch is unrolled: per entry, the states and scan inputs of that entry (axis 0
     * gathered away; for a batch of 1, squeezed), the scan inputs cut to the entry's length, one
     * while_loop over a copy of the body ({@link GraphCopy#sibling}, values renamed per entry), the
     * scan outputs padded with zeros to the full length; then each result's entries are stacked on
     * a new axis 0 (expand_dims, concat). The batch must be static (a bound on the copies), and a
     * sequence_lens a constant.
     */
    private static List<Value> batchedScan(OnnxOp op, Graph body, List<Value> stateInit, List<Value> scans, int scanOutputs) {
        int states = stateInit.size();
        List<Value> all = new ArrayList<>(stateInit);
        all.addAll(scans);
        long batch = -1;
        for (int i = 0; i < all.size(); i++) {
            TensorType t = all.get(i).tensorType();
            if (!t.hasRank() || t.rank() < (i < states ? 1 : 2)) {
                throw op.needsStaticShape(1 + i, "input " + (1 + i) + " needs a batch axis (opset 8 Scan)");
            }
            // the lowering runs the body once per batch entry, so it needs the number of entries
            if (!(t.dims().get(0) instanceof Dim.Fixed f)) {
                throw op.needsStaticShape(1 + i, "opset 8 Scan runs its body once per batch entry (axis 0), and input " + (1 + i)
                        + " has batch " + t.dims().get(0));
            }
            if (batch >= 0 && f.size() != batch) {
                throw op.fail("inputs have batch " + batch + " and " + f.size() + " (input " + (1 + i) + "); opset 8 Scan needs one batch size");
            }
            batch = f.size();
        }
        if (batch < 1) throw op.fail("opset 8 Scan with batch " + batch + " has no lowering (no entry to run the body for)");
        if (batch > MAX_UNROLLED_BATCH) {
            throw op.fail("opset 8 Scan with batch " + batch + " would copy its body " + batch + " times (the lowering unrolls at most "
                    + MAX_UNROLLED_BATCH + "); opset 9's Scan, without a batch axis, has no such bound");
        }
        Dim lengthDim = scans.get(0).tensorType().dims().get(1);
        long[] lens = sequenceLengths(op, (int) batch, lengthDim, 1 + states);
        boolean partial = false;
        if (lens != null) {
            for (long l : lens) partial |= l != ((Dim.Fixed) lengthDim).size();
        }
        if (partial) {
            for (int k = 0; k < scanOutputs; k++) {
                DType d = body.outputs().get(states + k).tensorType().dtype();
                if (d != DType.FLOAT32 && d != DType.FLOAT16) {
                    throw op.fail("scan output " + k + " is " + d.shortName() + "; sequences shorter than the scan inputs (sequence_lens) pad "
                            + "the scan outputs with zeros, which the lowering does for float outputs only");
                }
            }
        }
        boolean[] inReversed = directions(op, "directions", scans.size());
        String base = resultName(op, 0, states + scanOutputs);
        // the copies come from the body as ONNX wrote it, before the first entry lowers it in place
        List<Graph> bodies = new ArrayList<>();
        bodies.add(body);
        for (int b = 1; b < batch; b++) {
            String suffix = "_entry" + b;
            bodies.add(GraphCopy.sibling(body, name -> name + suffix));
        }
        List<List<Value>> entries = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            String entry = batch == 1 ? "" : "_entry" + b;
            List<Value> entryStates = new ArrayList<>();
            for (int i = 0; i < states; i++) entryStates.add(batchEntry(op, stateInit.get(i), b, batch, "state" + i + entry));
            List<Value> entryScans = new ArrayList<>();
            for (int j = 0; j < scans.size(); j++) {
                Value x = batchEntry(op, scans.get(j), b, batch, "scan_input" + j + entry);
                if (partial && lens[b] != ((Dim.Fixed) lengthDim).size()) x = firstSteps(op, x, lens[b], "scan_input" + j + entry);
                entryScans.add(x);
            }
            Plan plan = new Plan(entryStates, entryScans, new int[scans.size()], inReversed, new int[scanOutputs], new boolean[scanOutputs],
                    true, base + entry);
            List<Value> results = loop(op, bodies.get(b), plan, states, scanOutputs);
            if (partial) {
                long missing = ((Dim.Fixed) lengthDim).size() - lens[b];
                for (int k = 0; k < scanOutputs && missing > 0; k++) {
                    results.set(states + k, zeroPadded(op, results.get(states + k), missing, "scan" + k + entry));
                }
            }
            entries.add(results);
        }
        List<Value> out = new ArrayList<>();
        for (int r = 0; r < states + scanOutputs; r++) {
            String name = resultName(op, r, r);
            if (batch == 1) {
                out.add(op.e.op("expand_dims", name, "x", entries.get(0).get(r), "axes", new long[] {0}));
                continue;
            }
            List<Value> rows = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                rows.add(op.e.op("expand_dims", op.e.tmp("result" + r + "_entry" + b), "x", entries.get(b).get(r), "axes", new long[] {0}));
            }
            out.add(op.e.op("concat", name, "values", rows, "axis", 0L, "interleave", false));
        }
        return out;
    }

    /** The most batch entries an opset 8 Scan is unrolled for (each is a copy of the body). */
    static final long MAX_UNROLLED_BATCH = 64;

    /** Entry b of a value with a batch axis 0, without that axis (a batch of 1: squeezed). */
    private static Value batchEntry(OnnxOp op, Value v, int b, long batch, String hint) {
        if (batch == 1) return op.e.op("squeeze", op.e.tmp(hint + "_unbatched"), "x", v, "axes", new long[] {0});
        return op.e.op("gather", op.e.tmp(hint), "x", v, "indices", (long) b, "axis", 0L);
    }

    /**
     * sequence_lens (opset 8) as constants, one per batch entry, each in 1..length; null when the
     * input is absent. A computed one has no lowering (the trip counts and the padding follow it).
     */
    private static long[] sequenceLengths(OnnxOp op, int batch, Dim length, int firstScanInput) {
        if (!op.present(0)) return null;
        long[] lens = op.constInts(0);
        if (lens == null) throw op.needsConstant(0, "input 'sequence_lens' (opset 8) must be a constant");
        if (lens.length != batch) throw op.fail("input 'sequence_lens' has " + lens.length + " entries for batch " + batch);
        if (!(length instanceof Dim.Fixed f)) {
            throw op.needsStaticShape(firstScanInput, "input 'sequence_lens' (opset 8) needs a static scan length, got " + length);
        }
        for (int b = 0; b < batch; b++) {
            if (lens[b] < 1 || lens[b] > f.size()) {
                throw op.fail("input 'sequence_lens' entry " + b + " is " + lens[b] + ", not in 1.." + f.size() + " (the scan length)");
            }
        }
        return lens;
    }

    /** The first {@code steps} rows of an entry's scan input (axis 0 after the batch axis is gone). */
    private static Value firstSteps(OnnxOp op, Value x, long steps, String hint) {
        int rank = x.tensorType().rank();
        long[] begin = new long[rank];
        long[] end = new long[rank];
        end[0] = steps;
        boolean[] beginMask = new boolean[rank];
        boolean[] endMask = new boolean[rank];
        long[] stride = new long[rank];
        java.util.Arrays.fill(stride, 1);
        for (int d = 1; d < rank; d++) {
            beginMask[d] = true;
            endMask[d] = true;
        }
        return op.e.op("slice_by_index", op.e.tmp(hint + "_steps"), "x", x, "begin", begin, "end", end, "stride", stride,
                "begin_mask", beginMask, "end_mask", endMask);
    }

    /** A stacked scan output with {@code missing} rows of zeros after its own (ONNX Runtime zeroes the steps past sequence_lens). */
    private static Value zeroPadded(OnnxOp op, Value stack, long missing, String hint) {
        long[] pad = new long[2 * stack.tensorType().rank()];
        pad[1] = missing;
        return op.e.op("pad", op.e.tmp(hint + "_padded"), "x", stack, "pad", pad, "mode", "constant", "constant_val", 0.0);
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

        String base = plan.base();
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
        for (int i = 0; i < states; i++) results.add(loopResults.get(1 + i));
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
