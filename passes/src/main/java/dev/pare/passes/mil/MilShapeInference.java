package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Result types of the {@code mil.*} ops convert_to_mil emits (ir/MIL_DIALECT.md, "Ops emitted by
 * convert_to_mil"), computed from the operand types and the values of constant parameters.
 * A dimension stays symbolic when it is copied from a symbolic input dimension and becomes
 * unknown when it is computed from one; everything computed from fixed sizes is fixed.
 */
final class MilShapeInference {

    private MilShapeInference() {}

    /** The result types of {@code op} (without the {@code mil.} prefix) for these operands. */
    static List<TensorType> infer(String op, MilArgs a) {
        switch (op) {
            case "add": case "sub": case "mul": case "real_div": case "pow": case "maximum": case "minimum":
            case "floor_div": case "mod":
                return one(a.dtype("x"), broadcast(a.dims("x"), a.dims("y")));
            case "equal": case "not_equal": case "less": case "less_equal": case "greater": case "greater_equal":
            case "logical_and": case "logical_or": case "logical_xor":
                return one(DType.BOOL, broadcast(a.dims("x"), a.dims("y")));
            case "logical_not":
                return one(DType.BOOL, a.dims("x"));
            case "relu": case "sigmoid": case "tanh": case "erf": case "sqrt": case "exp": case "abs": case "floor":
            case "ceil": case "sin": case "cos": case "sign": case "log": case "relu6": case "clip": case "leaky_relu": case "round":
            case "sigmoid_hard": case "elu": case "softplus": case "softmax": case "batch_norm": case "instance_norm": case "layer_norm":
            case "identity": case "cumsum": case "gelu":
                return one(a.dtype("x"), a.dims("x"));
            case "scatter_nd":
                return one(a.dtype("data"), a.dims("data"));
            case "reduce_mean": case "reduce_sum": case "reduce_max": case "reduce_min": case "reduce_prod":
                return one(a.dtype("x"), reduce(a.dims("x"), a.ints("axes"), a.bool("keep_dims")));
            case "reduce_argmax": case "reduce_argmin":
                return one(DType.INT32, reduce(a.dims("x"), new long[] {a.ints("axis")[0]}, a.bool("keep_dims")));
            case "matmul":
                return one(a.dtype("x"), matmul(a.dims("x"), a.dims("y"), a.bool("transpose_x"), a.bool("transpose_y")));
            case "linear": {
                List<Dim> x = a.dims("x");
                List<Dim> out = new ArrayList<>(x.subList(0, x.size() - 1));
                out.add(a.dims("weight").get(0));
                return one(a.dtype("x"), out);
            }
            case "conv":
                return one(a.dtype("x"), conv(a));
            case "conv_transpose":
                return one(a.dtype("x"), convTranspose(a));
            case "max_pool": case "avg_pool":
                return one(a.dtype("x"), pool(a));
            case "upsample_nearest_neighbor": {
                List<Dim> out = new ArrayList<>(a.dims("x"));
                int r = out.size();
                out.set(r - 2, scaleDim(out.get(r - 2), a.floatScalar("scale_factor_height")));
                out.set(r - 1, scaleDim(out.get(r - 1), a.floatScalar("scale_factor_width")));
                return one(a.dtype("x"), out);
            }
            case "resize_bilinear": {
                List<Dim> out = new ArrayList<>(a.dims("x"));
                int r = out.size();
                out.set(r - 2, Dim.of(a.ints("target_size_height")[0]));
                out.set(r - 1, Dim.of(a.ints("target_size_width")[0]));
                return one(a.dtype("x"), out);
            }
            case "pixel_shuffle": case "depth_to_space": {
                List<Dim> x = a.dims("x");
                long b = a.ints(op.equals("pixel_shuffle") ? "upscale_factor" : "block_size")[0];
                Dim c = fixed(x.get(1)) ? Dim.of(size(x.get(1)) / (b * b)) : Dim.UNKNOWN;
                return one(a.dtype("x"), List.of(x.get(0), c, times(x.get(2), b), times(x.get(3), b)));
            }
            case "transpose": {
                List<Dim> x = a.dims("x");
                List<Dim> out = new ArrayList<>();
                for (long p : a.ints("perm")) out.add(x.get((int) p));
                return one(a.dtype("x"), out);
            }
            case "reshape":
                return one(a.dtype("x"), reshape(a));
            case "flatten2d": {
                List<Dim> x = a.dims("x");
                int axis = (int) normalize(a.ints("axis")[0], x.size());
                return one(a.dtype("x"), List.of(product(x.subList(0, axis)), product(x.subList(axis, x.size()))));
            }
            case "expand_dims": {
                List<Dim> out = new ArrayList<>(a.dims("x"));
                long[] axes = a.ints("axes");
                int rank = out.size() + axes.length;
                long[] sorted = new long[axes.length];
                for (int i = 0; i < axes.length; i++) sorted[i] = normalize(axes[i], rank);
                java.util.Arrays.sort(sorted);
                for (long ax : sorted) out.add((int) ax, Dim.of(1));
                return one(a.dtype("x"), out);
            }
            case "squeeze": {
                List<Dim> x = a.dims("x");
                boolean[] drop = new boolean[x.size()];
                for (long ax : a.ints("axes")) drop[(int) normalize(ax, x.size())] = true;
                List<Dim> out = new ArrayList<>();
                for (int i = 0; i < x.size(); i++) if (!drop[i]) out.add(x.get(i));
                return one(a.dtype("x"), out);
            }
            case "concat":
                return one(a.all("values").get(0).tensorType().dtype(), concat(a));
            case "split": {
                List<Dim> x = a.dims("x");
                int axis = (int) normalize(a.ints("axis")[0], x.size());
                List<TensorType> out = new ArrayList<>();
                for (long s : a.ints("split_sizes")) {
                    List<Dim> d = new ArrayList<>(x);
                    d.set(axis, Dim.of(s));
                    out.add(new TensorType(a.dtype("x"), d));
                }
                return out;
            }
            case "slice_by_index":
                return one(a.dtype("x"), slice(a));
            case "gather": {
                List<Dim> x = a.dims("x");
                int axis = (int) normalize(a.ints("axis")[0], x.size());
                List<Dim> out = new ArrayList<>(x.subList(0, axis));
                out.addAll(a.dims("indices"));
                out.addAll(x.subList(axis + 1, x.size()));
                return one(a.dtype("x"), out);
            }
            case "gather_along_axis":
                return one(a.dtype("x"), a.dims("indices"));
            case "cast":
                return one(MilDTypes.fromMilName(a.string("dtype")), a.dims("x"));
            case "select":
                return one(a.dtype("a"), broadcast(a.dims("cond"), broadcast(a.dims("a"), a.dims("b"))));
            case "fill":
                return one(a.dtype("value"), shapeOperand(a.value("shape")));
            case "scatter":
                return one(a.dtype("data"), a.dims("data"));
            case "tile": {
                List<Dim> x = a.dims("x");
                if (!a.value("reps").isConstant()) return one(a.dtype("x"), Collections.nCopies(x.size(), Dim.UNKNOWN));
                long[] reps = a.ints("reps");
                List<Dim> out = new ArrayList<>();
                for (int i = 0; i < x.size(); i++) out.add(times(x.get(i), reps[i]));
                return one(a.dtype("x"), out);
            }
            case "shape":
                return one(DType.INT32, List.of(Dim.of(a.dims("x").size())));
            case "pad": {
                List<Dim> x = a.dims("x");
                if (!a.value("pad").isConstant()) return one(a.dtype("x"), padded(x, a.dims("pad")));
                long[] pad = a.ints("pad");
                List<Dim> out = new ArrayList<>(x);
                int first = x.size() - pad.length / 2;
                for (int i = 0; i < pad.length / 2; i++) out.set(first + i, plus(x.get(first + i), pad[2 * i] + pad[2 * i + 1]));
                return one(a.dtype("x"), out);
            }
            case "range_1d": {
                Value end = a.value("end");
                Value start = a.value("start");
                Value step = a.value("step");
                Dim len = Dim.UNKNOWN;
                if (end.isConstant() && start.isConstant() && step.isConstant() && end.tensorType().dtype() == DType.INT32) {
                    long e = MilArgs.longs(end)[0];
                    long s = MilArgs.longs(start)[0];
                    long st = MilArgs.longs(step)[0];
                    len = Dim.of(Math.max(0, ceilDiv(e - s, st)));
                }
                return one(a.dtype("start"), List.of(len));
            }
            default:
                throw new IllegalArgumentException("no type inference for mil." + op);
        }
    }

    /** Computed pads: the last len/2 dims of x get padded by amounts known only at run time. */
    private static List<Dim> padded(List<Dim> x, List<Dim> padDims) {
        if (padDims.size() != 1 || !fixed(padDims.get(0))) throw new IllegalArgumentException("pad operand of unknown length");
        int n = (int) size(padDims.get(0)) / 2;
        List<Dim> out = new ArrayList<>(x);
        for (int i = x.size() - n; i < x.size(); i++) out.set(i, Dim.UNKNOWN);
        return out;
    }

    private static List<TensorType> one(DType d, List<Dim> dims) { return List.of(new TensorType(d, dims)); }

    // ---- dimension arithmetic ----------------------------------------------------------------

    static boolean fixed(Dim d) { return d instanceof Dim.Fixed; }

    static long size(Dim d) { return ((Dim.Fixed) d).size(); }

    private static Dim times(Dim d, long k) {
        if (k == 1) return d;
        return fixed(d) ? Dim.of(size(d) * k) : Dim.UNKNOWN;
    }

    private static Dim plus(Dim d, long k) {
        if (k == 0) return d;
        return fixed(d) ? Dim.of(size(d) + k) : Dim.UNKNOWN;
    }

    private static Dim scaleDim(Dim d, double scale) {
        if (scale == 1) return d;
        return fixed(d) ? Dim.of((long) Math.floor(size(d) * scale)) : Dim.UNKNOWN;
    }

    private static Dim product(List<Dim> dims) {
        long p = 1;
        for (Dim d : dims) {
            if (!fixed(d)) return dims.size() == 1 ? d : Dim.UNKNOWN;
            p *= size(d);
        }
        return Dim.of(p);
    }

    static long normalize(long axis, int rank) { return axis < 0 ? axis + rank : axis; }

    static long ceilDiv(long a, long b) { return Math.floorDiv(a + b - (b > 0 ? 1 : -1), b); }

    /** Numpy broadcasting; a symbolic size meeting 1 stays, two different symbols give unknown. */
    static List<Dim> broadcast(List<Dim> a, List<Dim> b) {
        int rank = Math.max(a.size(), b.size());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim x = i < rank - a.size() ? Dim.of(1) : a.get(i - (rank - a.size()));
            Dim y = i < rank - b.size() ? Dim.of(1) : b.get(i - (rank - b.size()));
            if (x.equals(y)) out.add(x);
            else if (x.equals(Dim.of(1))) out.add(y);
            else if (y.equals(Dim.of(1))) out.add(x);
            else if (fixed(x) && fixed(y)) {
                throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast");
            } else if (fixed(x)) out.add(x);
            else if (fixed(y)) out.add(y);
            else out.add(Dim.UNKNOWN);
        }
        return out;
    }

    private static List<Dim> reduce(List<Dim> x, long[] axes, boolean keep) {
        boolean[] reduced = new boolean[x.size()];
        for (long ax : axes) reduced[(int) normalize(ax, x.size())] = true;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (!reduced[i]) out.add(x.get(i));
            else if (keep) out.add(Dim.of(1));
        }
        return out;
    }

    private static List<Dim> matmul(List<Dim> x, List<Dim> y, boolean tx, boolean ty) {
        List<Dim> a = new ArrayList<>(x);
        List<Dim> b = new ArrayList<>(y);
        boolean vecA = a.size() == 1;
        boolean vecB = b.size() == 1;
        if (vecA) a.add(0, Dim.of(1));
        if (vecB) b.add(Dim.of(1));
        if (tx) Collections.swap(a, a.size() - 1, a.size() - 2);
        if (ty) Collections.swap(b, b.size() - 1, b.size() - 2);
        List<Dim> out = broadcast(a.subList(0, a.size() - 2), b.subList(0, b.size() - 2));
        if (!vecA) out.add(a.get(a.size() - 2));
        if (!vecB) out.add(b.get(b.size() - 1));
        return out;
    }

    private static List<Dim> conv(MilArgs a) {
        List<Dim> x = a.dims("x");
        List<Dim> w = a.dims("weight");
        long[] strides = a.ints("strides");
        long[] dil = a.ints("dilations");
        long[] pad = a.has("pad") ? a.ints("pad") : new long[2 * strides.length];
        String padType = a.string("pad_type");
        List<Dim> out = new ArrayList<>();
        out.add(x.get(0));
        out.add(w.get(0));
        for (int i = 0; i < strides.length; i++) {
            Dim in = x.get(2 + i);
            long k = size(w.get(2 + i));
            out.add(windowOut(in, (k - 1) * dil[i] + 1, strides[i], padType, pad[2 * i], pad[2 * i + 1], false));
        }
        return out;
    }

    private static List<Dim> pool(MilArgs a) {
        List<Dim> x = a.dims("x");
        long[] k = a.ints("kernel_sizes");
        long[] strides = a.ints("strides");
        long[] pad = a.has("pad") ? a.ints("pad") : new long[2 * k.length];
        boolean ceil = a.has("ceil_mode") && a.bool("ceil_mode");
        List<Dim> out = new ArrayList<>(x.subList(0, x.size() - k.length));
        for (int i = 0; i < k.length; i++) {
            out.add(windowOut(x.get(x.size() - k.length + i), k[i], strides[i], a.string("pad_type"), pad[2 * i], pad[2 * i + 1], ceil));
        }
        return out;
    }

    private static Dim windowOut(Dim in, long window, long stride, String padType, long pb, long pe, boolean ceil) {
        if (!fixed(in)) return Dim.UNKNOWN;
        long n = size(in);
        switch (padType) {
            case "same": case "same_lower":
                return Dim.of(ceilDiv(n, stride));
            case "valid":
                pb = 0;
                pe = 0;
                break;
            default:
                break;
        }
        long span = n + pb + pe - window;
        long o = (ceil ? ceilDiv(span, stride) : Math.floorDiv(span, stride)) + 1;
        // ceil mode never starts a window inside the end padding (ONNX and MIL agree)
        if (ceil && (o - 1) * stride >= n + pb) o--;
        return Dim.of(o);
    }

    private static List<Dim> convTranspose(MilArgs a) {
        List<Dim> x = a.dims("x");
        List<Dim> w = a.dims("weight");
        long[] strides = a.ints("strides");
        long[] dil = a.ints("dilations");
        long[] pad = a.ints("pad");
        long groups = a.ints("groups")[0];
        if (a.has("output_shape")) {
            List<Dim> out = new ArrayList<>();
            for (long d : a.ints("output_shape")) out.add(Dim.of(d));
            return out;
        }
        List<Dim> out = new ArrayList<>();
        out.add(x.get(0));
        out.add(times(w.get(1), groups));
        for (int i = 0; i < strides.length; i++) {
            Dim in = x.get(2 + i);
            long k = size(w.get(2 + i));
            out.add(fixed(in) ? Dim.of((size(in) - 1) * strides[i] - pad[2 * i] - pad[2 * i + 1] + dil[i] * (k - 1) + 1) : Dim.UNKNOWN);
        }
        return out;
    }

    private static List<Dim> reshape(MilArgs a) {
        Value shape = a.value("shape");
        List<Dim> x = a.dims("x");
        if (!shape.isConstant()) return shapeOperand(shape);
        long[] s = MilArgs.longs(shape);
        List<Dim> out = new ArrayList<>();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                inferred = i;
                out.add(Dim.UNKNOWN);
            } else {
                long d = s[i] == 0 && i < x.size() && fixed(x.get(i)) ? size(x.get(i)) : s[i];
                out.add(Dim.of(d));
                known *= d;
            }
        }
        if (inferred >= 0 && x.stream().allMatch(MilShapeInference::fixed)) {
            long total = 1;
            for (Dim d : x) total *= size(d);
            out.set(inferred, Dim.of(known == 0 ? 0 : total / known));
        }
        return out;
    }

    /** The dims a computed shape tensor describes: its length is known, its values are not. */
    private static List<Dim> shapeOperand(Value shape) {
        if (shape.isConstant()) {
            List<Dim> out = new ArrayList<>();
            for (long d : MilArgs.longs(shape)) out.add(Dim.of(d));
            return out;
        }
        List<Dim> sd = shape.tensorType().dims();
        if (sd == null || sd.size() != 1 || !fixed(sd.get(0))) throw new IllegalArgumentException("shape operand of unknown length");
        return Collections.nCopies((int) size(sd.get(0)), Dim.UNKNOWN);
    }

    private static List<Dim> concat(MilArgs a) {
        List<Value> values = a.all("values");
        List<Dim> first = values.get(0).tensorType().dims();
        int axis = (int) normalize(a.ints("axis")[0], first.size());
        List<Dim> out = new ArrayList<>(first);
        long sum = 0;
        boolean known = true;
        for (Value v : values) {
            Dim d = v.tensorType().dims().get(axis);
            if (fixed(d)) sum += size(d);
            else known = false;
            for (int i = 0; i < out.size(); i++) {
                if (i != axis && !fixed(out.get(i)) && fixed(v.tensorType().dims().get(i))) out.set(i, v.tensorType().dims().get(i));
            }
        }
        out.set(axis, known ? Dim.of(sum) : Dim.UNKNOWN);
        return out;
    }

    private static List<Dim> slice(MilArgs a) {
        List<Dim> x = a.dims("x");
        boolean known = a.value("begin").isConstant() && a.value("end").isConstant();
        long[] begin = known ? a.ints("begin") : new long[x.size()];
        long[] end = known ? a.ints("end") : new long[x.size()];
        long[] stride = a.has("stride") ? a.ints("stride") : filled(x.size(), 1);
        boolean[] bm = a.has("begin_mask") ? a.bools("begin_mask") : new boolean[x.size()];
        boolean[] em = a.has("end_mask") ? a.bools("end_mask") : new boolean[x.size()];
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            Dim d = x.get(i);
            if (bm[i] && em[i] && stride[i] == 1) {
                out.add(d);
                continue;
            }
            if (!fixed(d) || !known) {
                out.add(Dim.UNKNOWN);
                continue;
            }
            long n = size(d);
            long st = stride[i];
            long b;
            long e;
            if (st > 0) {
                b = bm[i] ? 0 : clamp(begin[i] < 0 ? begin[i] + n : begin[i], 0, n);
                e = em[i] ? n : clamp(end[i] < 0 ? end[i] + n : end[i], 0, n);
                out.add(Dim.of(e > b ? ceilDiv(e - b, st) : 0));
            } else {
                b = bm[i] ? n - 1 : clamp(begin[i] < 0 ? begin[i] + n : begin[i], -1, n - 1);
                e = em[i] ? -1 : clamp(end[i] < 0 ? end[i] + n : end[i], -1, n - 1);
                out.add(Dim.of(b > e ? ceilDiv(b - e, -st) : 0));
            }
        }
        return out;
    }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    private static long[] filled(int n, long v) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
