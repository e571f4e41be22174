package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Ops that move or select elements, casts, and shape arithmetic that did not fold. */
final class TensorLowerings {

    private TensorLowerings() {}

    static void register(Map<String, Lowering> m) {
        m.put("Identity", op -> OnnxOp.one(op.raw(0)));
        m.put("Dropout", op -> {
            if (op.node.results().size() > 1 && !op.node.result(1).isAbsent() && op.node.result(1).hasUses()) {
                throw op.fail("the mask output has no MIL form");
            }
            return OnnxOp.one(op.raw(0));
        });
        m.put("Transpose", op -> {
            int rank = op.rank(0);
            long[] perm = op.attrInts("perm");
            if (perm == null) {
                perm = new long[rank];
                for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
            }
            return OnnxOp.one(op.e.op("transpose", op.e.out(0), "x", op.in(0), "perm", perm));
        });
        m.put("Reshape", TensorLowerings::reshape);
        m.put("Flatten", op -> {
            int rank = op.rank(0);
            long axis = op.attrInt("axis", 1);
            axis = axis < 0 ? axis + rank : axis;
            if (axis < 0 || axis > rank) throw op.fail("axis " + op.attrInt("axis", 1) + " is out of range for rank " + rank);
            long[] s = op.staticShape(0);
            if (s != null) {
                long outer = 1;
                long inner = 1;
                for (int i = 0; i < rank; i++) {
                    if (i < axis) outer *= s[i];
                    else inner *= s[i];
                }
                return OnnxOp.one(op.e.op("reshape", op.e.out(0), "x", op.in(0), "shape", new long[] {outer, inner}));
            }
            return OnnxOp.one(op.e.op("flatten2d", op.e.out(0), "x", op.in(0), "axis", axis));
        });
        m.put("Unsqueeze", op -> {
            long[] axes = op.attrInts("axes");
            if (axes == null) axes = op.requireConstInts(1, "axes");
            int outRank = op.rank(0) + axes.length;
            long[] norm = new long[axes.length];
            for (int i = 0; i < axes.length; i++) norm[i] = op.axis(axes[i], outRank);
            Arrays.sort(norm);
            return OnnxOp.one(op.e.op("expand_dims", op.e.out(0), "x", op.in(0), "axes", norm));
        });
        m.put("Squeeze", op -> {
            long[] axes = op.attrInts("axes");
            if (axes == null && op.present(1)) axes = op.requireConstInts(1, "axes");
            List<Dim> dims = op.dims(0);
            if (axes == null) {
                List<Long> ones = new ArrayList<>();
                for (int i = 0; i < dims.size(); i++) {
                    if (!(dims.get(i) instanceof Dim.Fixed)) throw op.needsStaticShape(0, "squeezing all size-1 axes needs a static shape");
                    if (dims.get(i).equals(Dim.of(1))) ones.add((long) i);
                }
                axes = ones.stream().mapToLong(Long::longValue).toArray();
            }
            long[] norm = new long[axes.length];
            for (int i = 0; i < axes.length; i++) norm[i] = op.axis(axes[i], dims.size());
            Arrays.sort(norm);
            return OnnxOp.one(op.e.op("squeeze", op.e.out(0), "x", op.in(0), "axes", norm));
        });
        m.put("Concat", op -> {
            List<Value> values = new ArrayList<>();
            for (int i = 0; i < op.inputs(); i++) if (op.present(i)) values.add(op.in(i));
            if (values.size() == 1) return OnnxOp.one(values.get(0));
            long axis = op.axis(op.attrInt("axis", 0), op.rank(0));
            return OnnxOp.one(op.e.op("concat", op.e.out(0), "values", values, "axis", axis, "interleave", false));
        });
        m.put("Split", TensorLowerings::split);
        m.put("Slice", TensorLowerings::slice);
        m.put("Gather", TensorLowerings::gather);
        m.put("GatherElements", TensorLowerings::gatherElements);
        m.put("Cast", op -> {
            Optional<DType> to = DType.fromOnnx((int) op.attrInt("to", -1));
            if (to.isEmpty()) throw op.fail("attribute 'to' names no element type");
            DType target = MilDTypes.milOf(to.get());
            if (!MilDTypes.isMil(target) || target == DType.STRING) throw op.fail("MIL cannot cast to " + to.get().shortName());
            Value x = op.in(0);
            if (x.tensorType().dtype() == target) return OnnxOp.one(op.raw(0));
            return OnnxOp.one(op.e.op("cast", op.e.out(0), "x", x, "dtype", MilDTypes.milName(target)));
        });
        m.put("Shape", op -> {
            int rank = op.rank(0);
            long start = OnnxOp.normalizeAxis(op.attrInt("start", 0), rank);
            long end = OnnxOp.normalizeAxis(op.attrInt("end", rank), rank);
            start = Math.max(0, Math.min(rank, start));
            end = Math.max(0, Math.min(rank, end));
            if (start == 0 && end == rank) return OnnxOp.one(op.e.op("shape", op.e.out(0), "x", op.in(0)));
            Value s = op.e.op("shape", op.e.tmp("shape"), "x", op.in(0));
            return OnnxOp.one(op.e.op("slice_by_index", op.e.out(0), "x", s, "begin", new long[] {start},
                    "end", new long[] {Math.max(start, end)}, "stride", new long[] {1},
                    "begin_mask", new boolean[] {false}, "end_mask", new boolean[] {false}));
        });
        m.put("ConstantOfShape", op -> {
            TensorData value = null;
            Optional<Attribute> attr = op.node.attributes().get("value");
            if (attr.isPresent() && attr.get() instanceof Attribute.TensorAttr t) value = t.value();
            DType dtype = value == null ? DType.FLOAT32 : MilDTypes.milOf(value.dtype());
            double v = 0;
            if (value instanceof DenseData d && d.elementCount() == 1) {
                v = switch (d.dtype()) {
                    case FLOAT32 -> d.bytes().getFloat(0);
                    case FLOAT64 -> d.bytes().getDouble(0);
                    case FLOAT16 -> dev.pare.ir.Float16.toFloat(d.bytes().getShort(0));
                    case BOOL -> d.bytes().get(0);
                    case INT32 -> d.bytes().getInt(0);
                    case INT64 -> d.bytes().getLong(0);
                    default -> throw op.fail("value of dtype " + d.dtype().shortName() + " is not supported");
                };
            } else if (value != null) {
                throw op.fail("attribute 'value' must hold one element");
            }
            Value fillValue = scalarOf(op, dtype, op.e.tmp("value"), v);
            return OnnxOp.one(op.e.op("fill", op.e.out(0), "shape", op.in(0), "value", fillValue));
        });
        m.put("Expand", TensorLowerings::expand);
        m.put("Tile", op -> {
            long[] reps = op.constInts(1);
            return OnnxOp.one(op.e.op("tile", op.e.out(0), "x", op.in(0), "reps", reps != null ? reps : op.in(1)));
        });
        m.put("Pad", TensorLowerings::pad);
        m.put("Range", op -> OnnxOp.one(op.e.op("range_1d", op.e.out(0), "end", op.in(1), "start", op.in(0), "step", op.in(2))));
    }

    private static Value scalarOf(OnnxOp op, DType dtype, String hint, double v) {
        if (dtype == DType.INT32) return op.e.constant(hint, MilEmitter.int32(new long[0], (long) v));
        if (dtype == DType.BOOL) return op.e.constant(hint, MilEmitter.bools(new long[0], v != 0));
        if (dtype == DType.FLOAT16 || dtype == DType.FLOAT32) return op.e.constant(hint, MilEmitter.floatScalar(dtype, v));
        throw op.fail("no MIL scalar of dtype " + dtype.shortName());
    }

    private static List<Value> reshape(OnnxOp op) {
        Value x = op.in(0);
        long[] requested = op.constInts(1);
        if (requested == null) {
            if (op.attrInt("allowzero", 0) != 0) throw op.needsConstant(1, "allowzero with a computed shape has no MIL form");
            return OnnxOp.one(op.e.op("reshape", op.e.out(0), "x", x, "shape", op.in(1)));
        }
        boolean allowZero = op.attrInt("allowzero", 0) != 0;
        List<Dim> in = op.dims(0);
        long[] out = requested.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (inferred >= 0) throw op.fail("shape " + Arrays.toString(requested) + " has more than one -1");
                inferred = i;
                continue;
            }
            if (out[i] == 0 && !allowZero) {
                if (i >= in.size()) throw op.fail("shape " + Arrays.toString(requested) + " copies dimension " + i + " of a rank-" + in.size() + " input");
                if (!(in.get(i) instanceof Dim.Fixed f)) {
                    known = -1;
                    continue;
                }
                out[i] = f.size();
            }
            if (known >= 0) known *= out[i];
        }
        long[] s = op.staticShape(0);
        if (s != null && known >= 0) {
            long total = 1;
            for (long d : s) total *= d;
            if (inferred >= 0) {
                if (known == 0 || total % known != 0) throw op.fail("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(requested));
                out[inferred] = total / known;
            } else if (known != total) {
                throw op.fail("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(requested));
            }
        } else {
            // dynamic input: MIL reshape keeps the 0 (copy) and -1 (infer) conventions we cannot resolve
            out = requested.clone();
        }
        return OnnxOp.one(op.e.op("reshape", op.e.out(0), "x", x, "shape", out));
    }

    private static List<Value> split(OnnxOp op) {
        int rank = op.rank(0);
        long axis = op.axis(op.attrInt("axis", 0), rank);
        Dim d = op.dims(0).get((int) axis);
        int outputs = op.node.results().size();
        long[] sizes = op.attrInts("split");
        if (sizes == null && op.present(1)) sizes = op.requireConstInts(1, "split");
        if (sizes == null) {
            if (!(d instanceof Dim.Fixed f)) throw op.needsStaticShape(0, "an even split needs a static size on axis " + axis);
            long n = op.hasAttr("num_outputs") ? op.attrInt("num_outputs", outputs) : outputs;
            long chunk = (f.size() + n - 1) / n;
            sizes = new long[(int) n];
            long left = f.size();
            for (int i = 0; i < n; i++) {
                sizes[i] = Math.min(chunk, left);
                left -= sizes[i];
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            String name = i < outputs ? op.e.out(i) : "";
            names.add(name.isEmpty() ? op.e.tmp("split_" + i) : name);
        }
        return op.e.ops("split", names, "x", op.in(0), "split_sizes", sizes, "axis", axis);
    }

    private static List<Value> slice(OnnxOp op) {
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (op.hasAttr("starts")) { // opset < 10
            starts = op.attrInts("starts");
            ends = op.attrInts("ends");
            axes = op.attrInts("axes");
        } else {
            axes = op.present(3) ? op.requireConstInts(3, "axes") : null;
            steps = op.present(4) ? op.requireConstInts(4, "steps") : null;
            starts = op.constInts(1);
            ends = op.constInts(2);
            if (starts == null || ends == null) return dynamicSlice(op, axes, steps);
        }
        List<Dim> dims = op.dims(0);
        int rank = dims.size();
        long[] begin = new long[rank];
        long[] end = new long[rank];
        long[] stride = new long[rank];
        boolean[] beginMask = new boolean[rank];
        boolean[] endMask = new boolean[rank];
        Arrays.fill(stride, 1);
        Arrays.fill(beginMask, true);
        Arrays.fill(endMask, true);
        for (int i = 0; i < starts.length; i++) {
            int ax = (int) op.axis(axes == null ? i : axes[i], rank);
            long st = steps == null ? 1 : steps[i];
            if (st == 0) throw op.fail("step is 0");
            stride[ax] = st;
            beginMask[ax] = false;
            endMask[ax] = false;
            long s = starts[i];
            long e = ends[i];
            if (dims.get(ax) instanceof Dim.Fixed f) {
                long n = f.size();
                s = s < 0 ? s + n : s;
                e = e < 0 ? e + n : e;
                if (st > 0) {
                    s = Math.max(0, Math.min(n, s));
                    e = Math.max(0, Math.min(n, e));
                } else {
                    s = Math.max(-1, Math.min(n - 1, s));
                    e = Math.max(-1, Math.min(n - 1, e));
                    if (e == -1) endMask[ax] = true; // runs to the front, which a MIL end of -1 would not say
                    if (s == -1) { // empty slice
                        s = 0;
                        e = 0;
                        endMask[ax] = false;
                    }
                }
            } else {
                if (st > 0 && e >= Integer.MAX_VALUE) endMask[ax] = true;
                if (st < 0 && e <= Integer.MIN_VALUE) endMask[ax] = true;
                if (st < 0 && s >= Integer.MAX_VALUE) beginMask[ax] = true;
                s = clampInt(s);
                e = clampInt(e);
            }
            begin[ax] = s;
            end[ax] = endMask[ax] ? 0 : e;
            if (beginMask[ax]) begin[ax] = 0;
        }
        return OnnxOp.one(op.e.op("slice_by_index", op.e.out(0), "x", op.in(0), "begin", begin, "end", end,
                "stride", stride, "begin_mask", beginMask, "end_mask", endMask));
    }

    /**
     * Slice whose starts or ends are computed (shape arithmetic on symbolic sizes): begin and end
     * are assembled from the sliced entries; positive steps only, bounds as computed.
     */
    private static List<Value> dynamicSlice(OnnxOp op, long[] axes, long[] steps) {
        int rank = op.rank(0);
        Dim count = (op.present(1) ? op.raw(1) : op.raw(2)).tensorType().dims().get(0);
        if (!(count instanceof Dim.Fixed f)) throw op.needsConstant(1, "starts of unknown length");
        int k = (int) f.size();
        int[] which = new int[rank];
        Arrays.fill(which, -1);
        long[] stride = new long[rank];
        Arrays.fill(stride, 1);
        for (int i = 0; i < k; i++) {
            int ax = (int) op.axis(axes == null ? i : axes[i], rank);
            which[ax] = i;
            if (steps != null) {
                if (steps[i] <= 0) throw op.needsConstant(op.constInts(1) == null ? 1 : 2, "computed starts or ends need positive steps");
                stride[ax] = steps[i];
            }
        }
        Value begin = bound(op, 1, which, "begin");
        Value end = bound(op, 2, which, "end");
        boolean[] open = new boolean[rank];
        for (int d = 0; d < rank; d++) open[d] = which[d] < 0;
        return OnnxOp.one(op.e.op("slice_by_index", op.e.out(0), "x", op.in(0), "begin", begin, "end", end,
                "stride", stride, "begin_mask", open, "end_mask", open.clone()));
    }

    /** The full-rank begin or end vector: entry {@code which[d]} of the ONNX operand, 0 for axes not sliced. */
    private static Value bound(OnnxOp op, int operand, int[] which, String name) {
        long[] constant = op.constInts(operand);
        if (constant != null) {
            long[] out = new long[which.length];
            for (int d = 0; d < which.length; d++) out[d] = which[d] < 0 ? 0 : clampInt(constant[which[d]]);
            return op.e.constant(op.e.tmp(name), MilEmitter.int32(new long[] {out.length}, out));
        }
        Value v = op.in(operand);
        List<Value> parts = new ArrayList<>();
        for (int d = 0; d < which.length; d++) {
            if (which[d] < 0) {
                parts.add(op.e.constant(op.e.tmp(name + "_" + d), MilEmitter.int32(new long[] {1}, 0)));
            } else {
                parts.add(op.e.op("slice_by_index", op.e.tmp(name + "_" + d), "x", v, "begin", new long[] {which[d]},
                        "end", new long[] {which[d] + 1}, "stride", new long[] {1},
                        "begin_mask", new boolean[] {false}, "end_mask", new boolean[] {false}));
            }
        }
        if (parts.size() == 1) return parts.get(0);
        return op.e.op("concat", op.e.tmp(name), "values", parts, "axis", 0L, "interleave", false);
    }

    private static long clampInt(long v) { return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v)); }

    private static List<Value> gather(OnnxOp op) {
        long axis = op.axis(op.attrInt("axis", 0), op.rank(0));
        return OnnxOp.one(op.e.op("gather", op.e.out(0), "x", op.in(0), "indices", indices(op, axis), "axis", axis));
    }

    /** The indices operand; constant negative indices made positive (they count from the end of {@code axis}). */
    private static Value indices(OnnxOp op, long axis) {
        long[] idx = op.constInts(1);
        if (idx == null) return op.in(1);
        Dim d = op.dims(0).get((int) axis);
        long[] norm = idx.clone();
        for (int i = 0; i < norm.length; i++) {
            if (norm[i] < 0) {
                if (!(d instanceof Dim.Fixed f)) throw op.needsStaticShape(0, "negative index " + norm[i] + " on an axis of unknown size");
                norm[i] += f.size();
            }
        }
        return op.e.constant(op.e.tmp("indices"), MilEmitter.int32(op.raw(1).tensorType().shape(), norm));
    }

    /**
     * GatherElements is MIL's gather_along_axis (same shapes: the result takes the indices' shape).
     * Constant negative indices are made positive here, as for Gather; computed ones are passed on
     * (Pare's own LUT decode, formats/onnx LutLowering, computes non-negative codes).
     */
    private static List<Value> gatherElements(OnnxOp op) {
        long axis = op.axis(op.attrInt("axis", 0), op.rank(0));
        return OnnxOp.one(op.e.op("gather_along_axis", op.e.out(0), "x", op.in(0), "indices", indices(op, axis), "axis", axis));
    }

    private static List<Value> expand(OnnxOp op) {
        Value x = op.in(0);
        long[] target = op.constInts(1);
        long[] s = op.staticShape(0);
        if (target == null || s == null) {
            if (x.tensorType().dtype() == DType.BOOL) throw op.needsConstant(1, "expanding a bool tensor to a computed shape is not supported");
            Value zeros = op.e.op("fill", op.e.tmp("zeros"), "shape", op.in(1), "value", op.scalarLike(x, op.e.tmp("zero"), 0));
            return OnnxOp.one(op.e.op("add", op.e.out(0), "x", x, "y", zeros));
        }
        int rank = Math.max(s.length, target.length);
        long[] padded = new long[rank];
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long a = i < rank - s.length ? 1 : s[i - (rank - s.length)];
            long b = i < rank - target.length ? 1 : target[i - (rank - target.length)];
            if (a != b && a != 1 && b != 1) throw op.fail("shape " + Arrays.toString(s) + " does not expand to " + Arrays.toString(target));
            padded[i] = a;
            out[i] = a == 1 ? b : a;
        }
        Value v = x;
        if (rank != s.length) v = op.e.op("reshape", op.e.tmp("ranked"), "x", v, "shape", padded);
        long[] reps = new long[rank];
        boolean tile = false;
        for (int i = 0; i < rank; i++) {
            reps[i] = out[i] / padded[i];
            tile |= reps[i] != 1;
        }
        if (!tile) return OnnxOp.one(v == x ? op.e.op("identity", op.e.out(0), "x", x) : v);
        return OnnxOp.one(op.e.op("tile", op.e.out(0), "x", v, "reps", reps));
    }

    private static List<Value> pad(OnnxOp op) {
        int rank = op.rank(0);
        long[] pads = op.attrInts("pads");
        double value = op.attrFloat("value", 0f);
        if (pads == null && op.constInts(1) == null) return dynamicPad(op);
        if (pads == null) {
            pads = op.requireConstInts(1, "pads");
            if (op.present(2)) value = op.requireConstFloats(2, "constant_value")[0];
            if (op.present(3)) {
                long[] axes = op.requireConstInts(3, "axes");
                long[] full = new long[2 * rank];
                for (int i = 0; i < axes.length; i++) {
                    int ax = (int) op.axis(axes[i], rank);
                    full[ax] = pads[i];
                    full[rank + ax] = pads[axes.length + i];
                }
                pads = full;
            }
        }
        if (pads.length != 2 * rank) throw op.fail("pads has " + pads.length + " entries for rank " + rank);
        long[] mil = NnLowerings.milPads(pads, rank);
        Value x = op.in(0);
        return OnnxOp.one(op.e.op("pad", op.e.out(0), "x", x, "pad", mil, "mode", padMode(op),
                "constant_val", op.scalarLike(x, op.e.tmp("constant_val"), value)));
    }

    private static String padMode(OnnxOp op) {
        return switch (op.attrString("mode", "constant")) {
            case "constant" -> "constant";
            case "reflect" -> "reflect";
            case "edge" -> "replicate";
            default -> throw op.fail("mode " + op.attrString("mode", "") + " has no MIL form");
        };
    }

    /**
     * Pad with computed pads (ONNX order: all begins, then all ends): reordered at run time to
     * MIL's begin/end pairs by reshape to [2, r], transpose, reshape to [2r].
     */
    private static List<Value> dynamicPad(OnnxOp op) {
        int rank = op.rank(0);
        if (op.present(3)) throw op.needsConstant(1, "computed pads with an axes input have no MIL form");
        double value = op.present(2) ? op.requireConstFloats(2, "constant_value")[0] : 0;
        Value pads = op.in(1);
        List<Dim> pd = pads.tensorType().dims();
        if (pd == null || pd.size() != 1 || !pd.get(0).equals(Dim.of(2L * rank))) {
            throw op.fail("pads " + pads.tensorType() + " must have 2 x rank = " + 2 * rank + " entries");
        }
        if (pads.tensorType().dtype() != DType.INT32) {
            pads = op.e.op("cast", op.e.tmp("pads_i32"), "x", pads, "dtype", "int32");
        }
        Value grid = op.e.op("reshape", op.e.tmp("pads_2r"), "x", pads, "shape", new long[] {2, rank});
        Value pairs = op.e.op("transpose", op.e.tmp("pads_r2"), "x", grid, "perm", new long[] {1, 0});
        Value mil = op.e.op("reshape", op.e.tmp("pads_mil"), "x", pairs, "shape", new long[] {2L * rank});
        Value x = op.in(0);
        return OnnxOp.one(op.e.op("pad", op.e.out(0), "x", x, "pad", mil, "mode", padMode(op),
                "constant_val", op.scalarLike(x, op.e.tmp("constant_val"), value)));
    }
}
