package dev.pare.compiler.coreml.eval;

import dev.pare.compiler.coreml.eval.MilInterpreter.Args;
import dev.pare.ir.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/** Elementwise, reduction and tensor-shuffling MIL ops; layers (conv, pool, ...) are in {@link MilNnOps}. */
final class MilOps {

    private MilOps() {}

    static List<MilTensor> apply(String op, Args a) {
        switch (op) {
            // ---- elementwise binary (numpy broadcasting)
            case "add": return one(arith(a, (x, y) -> x + y));
            case "sub": return one(arith(a, (x, y) -> x - y));
            case "mul": return one(arith(a, (x, y) -> x * y));
            case "real_div": return one(arith(a, (x, y) -> x / y));
            case "floor_div": return one(arith(a, (x, y) -> Math.floor(x / y)));
            case "mod": return one(arith(a, (x, y) -> x - Math.floor(x / y) * y));
            case "pow": return one(arith(a, Math::pow));
            case "maximum": return one(arith(a, Math::max));
            case "minimum": return one(arith(a, Math::min));
            case "equal": return one(compare(a, (x, y) -> x == y ? 1 : 0));
            case "not_equal": return one(compare(a, (x, y) -> x != y ? 1 : 0));
            case "less": return one(compare(a, (x, y) -> x < y ? 1 : 0));
            case "less_equal": return one(compare(a, (x, y) -> x <= y ? 1 : 0));
            case "greater": return one(compare(a, (x, y) -> x > y ? 1 : 0));
            case "greater_equal": return one(compare(a, (x, y) -> x >= y ? 1 : 0));
            case "logical_and": return one(compare(a, (x, y) -> x != 0 && y != 0 ? 1 : 0));
            case "logical_or": return one(compare(a, (x, y) -> x != 0 || y != 0 ? 1 : 0));
            case "logical_xor": return one(compare(a, (x, y) -> (x != 0) != (y != 0) ? 1 : 0));
            // ---- elementwise unary
            case "identity": return one(a.get("x"));
            case "logical_not": {
                MilTensor x = a.get("x");
                int[] v = new int[x.size()];
                for (int k = 0; k < v.length; k++) v[k] = x.get(k) == 0 ? 1 : 0;
                return one(MilTensor.ints(DType.BOOL, x.shapeRef(), v));
            }
            case "relu": return one(unary(a, x -> x > 0 ? x : 0));
            case "relu6": return one(unary(a, x -> Math.min(Math.max(x, 0), 6)));
            case "sigmoid": return one(unary(a, x -> 1 / (1 + Math.exp(-x))));
            case "tanh": return one(unary(a, Math::tanh));
            case "erf": return one(unary(a, Erf::erf));
            case "sqrt": return one(unary(a, Math::sqrt));
            case "rsqrt": { float e = a.floatValue("epsilon", 1e-12f); return one(unary(a, x -> 1 / Math.sqrt(x + e))); }
            case "inverse": { float e = a.floatValue("epsilon", 1e-4f); return one(unary(a, x -> 1 / (x + e))); }
            case "exp": return one(unary(a, Math::exp));
            case "exp2": return one(unary(a, x -> Math.pow(2, x)));
            case "log": { float e = a.floatValue("epsilon", 1e-45f); return one(unary(a, x -> Math.log(x + e))); }
            case "abs": return one(unary(a, Math::abs));
            case "floor": return one(unary(a, Math::floor));
            case "ceil": return one(unary(a, Math::ceil));
            case "round": return one(unary(a, Math::rint));
            case "sin": return one(unary(a, Math::sin));
            case "cos": return one(unary(a, Math::cos));
            case "sign": return one(unary(a, Math::signum));
            case "square": return one(unary(a, x -> x * x));
            case "softplus": return one(unary(a, x -> Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0)));
            case "softsign": return one(unary(a, x -> x / (1 + Math.abs(x))));
            case "silu": return one(unary(a, x -> x / (1 + Math.exp(-x))));
            case "leaky_relu": { float al = a.floatValue("alpha", 0.01f); return one(unary(a, x -> x >= 0 ? x : al * x)); }
            case "elu": { float al = a.floatValue("alpha", 1f); return one(unary(a, x -> x > 0 ? x : al * (Math.exp(x) - 1))); }
            case "threshold": { float al = a.floatValue("alpha", 1f); return one(unary(a, x -> Math.max(x, al))); }
            case "clip": {
                float lo = a.floatValue("alpha", Float.NEGATIVE_INFINITY);
                float hi = a.floatValue("beta", Float.POSITIVE_INFINITY);
                return one(unary(a, x -> Math.min(Math.max(x, lo), hi)));
            }
            case "sigmoid_hard": {
                float al = a.floatValue("alpha", 0.2f);
                float be = a.floatValue("beta", 0.5f);
                return one(unary(a, x -> Math.min(Math.max(al * x + be, 0), 1)));
            }
            case "gelu": return one(gelu(a));
            case "softmax": return one(softmax(a));
            // ---- reductions
            case "reduce_sum": return one(reduce(a, 0));
            case "reduce_mean": return one(reduce(a, 1));
            case "reduce_max": return one(reduce(a, 2));
            case "reduce_min": return one(reduce(a, 3));
            case "reduce_prod": return one(reduce(a, 4));
            case "reduce_argmax": return one(argReduce(a, true));
            case "reduce_argmin": return one(argReduce(a, false));
            case "cumsum": return one(cumsum(a));
            // ---- tensor ops
            case "cast": return one(cast(a));
            case "transpose": return one(transpose(a.get("x"), a.ints("perm", null), a));
            case "reshape": return one(reshape(a));
            case "flatten2d": return one(flatten2d(a));
            case "expand_dims": return one(expandDims(a));
            case "squeeze": return one(squeeze(a));
            case "concat": return one(concat(a));
            case "split": return split(a);
            case "slice_by_index": return one(sliceByIndex(a));
            case "slice_by_size": return one(sliceBySize(a));
            case "gather": return one(gather(a));
            case "gather_along_axis": return one(gatherAlongAxis(a));
            case "scatter_nd": return one(scatterNd(a));
            case "select": return one(select(a));
            case "fill": return one(fill(a));
            case "scatter": return one(scatter(a));
            case "tile": return one(tile(a));
            case "shape": {
                int[] s = a.get("x").shape();
                return one(MilTensor.ints(DType.INT32, new int[] {s.length}, s));
            }
            case "pad": return one(pad(a));
            case "range_1d": return one(range(a));
            case "quantize": return one(quantize(a));
            case "dequantize": return one(dequantize(a));
            default: return MilNnOps.apply(op, a);
        }
    }

    static List<MilTensor> one(MilTensor t) { return List.of(t); }

    // ---- shapes and broadcasting -------------------------------------------------------------

    static int numel(int[] s) {
        long n = 1;
        for (int d : s) n *= d;
        return Math.toIntExact(n);
    }

    static int[] strides(int[] s) {
        int[] st = new int[s.length];
        int acc = 1;
        for (int k = s.length - 1; k >= 0; k--) {
            st[k] = acc;
            acc *= s[k];
        }
        return st;
    }

    static int axis(int axis, int rank, Args a) {
        int r = axis < 0 ? axis + rank : axis;
        if (r < 0 || r >= Math.max(rank, 1)) throw a.fail("axis " + axis + " is out of range for rank " + rank);
        return r;
    }

    static int[] broadcastShape(int[] x, int[] y, Args a) {
        int r = Math.max(x.length, y.length);
        int[] out = new int[r];
        for (int k = 0; k < r; k++) {
            int dx = k - (r - x.length) >= 0 ? x[k - (r - x.length)] : 1;
            int dy = k - (r - y.length) >= 0 ? y[k - (r - y.length)] : 1;
            if (dx != dy && dx != 1 && dy != 1) {
                throw a.fail("shapes " + Arrays.toString(x) + " and " + Arrays.toString(y) + " do not broadcast");
            }
            out[k] = dx == 1 ? dy : dx;
        }
        return out;
    }

    /** For each element of {@code out}, the flat index of the broadcast input element (null: same shape). */
    static int[] broadcastIndex(int[] in, int[] out) {
        if (Arrays.equals(in, out)) return null;
        int r = out.length;
        int[] inStrides = new int[r];
        int[] st = strides(in);
        for (int k = 0; k < in.length; k++) inStrides[r - in.length + k] = in[k] == 1 ? 0 : st[k];
        int n = numel(out);
        int[] map = new int[n];
        int[] idx = new int[r];
        int off = 0;
        for (int e = 0; e < n; e++) {
            map[e] = off;
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                off += inStrides[d];
                if (idx[d] < out[d]) break;
                off -= inStrides[d] * idx[d];
                idx[d] = 0;
            }
        }
        return map;
    }

    // ---- elementwise -------------------------------------------------------------------------

    private static MilTensor arith(Args a, DoubleBinaryOperator f) {
        MilTensor x = a.get("x");
        MilTensor y = a.get("y");
        int[] shape = broadcastShape(x.shapeRef(), y.shapeRef(), a);
        int n = numel(shape);
        if (x.isFloat() && y.isFloat() && (x.size() == 1 || y.size() == 1 || Arrays.equals(x.shapeRef(), y.shapeRef()))) {
            // a quantizer's scale and zero point are scalars: no index map over millions of elements
            float[] xf = x.floatsRef();
            float[] yf = y.floatsRef();
            float[] out = new float[n];
            if (xf.length == n && yf.length == n) {
                for (int e = 0; e < n; e++) out[e] = (float) f.applyAsDouble(xf[e], yf[e]);
            } else if (yf.length == 1) {
                double yv = yf[0];
                for (int e = 0; e < n; e++) out[e] = (float) f.applyAsDouble(xf[xf.length == 1 ? 0 : e], yv);
            } else {
                double xv = xf[0];
                for (int e = 0; e < n; e++) out[e] = (float) f.applyAsDouble(xv, yf[e]);
            }
            return MilTensor.floats(x.dtype(), shape, out);
        }
        int[] ix = broadcastIndex(x.shapeRef(), shape);
        int[] iy = broadcastIndex(y.shapeRef(), shape);
        if (x.isFloat() || y.isFloat()) {
            DType dt = x.isFloat() ? x.dtype() : y.dtype();
            float[] out = new float[n];
            for (int e = 0; e < n; e++) out[e] = (float) f.applyAsDouble(x.get(ix == null ? e : ix[e]), y.get(iy == null ? e : iy[e]));
            return MilTensor.floats(dt, shape, out);
        }
        int[] out = new int[n];
        for (int e = 0; e < n; e++) out[e] = (int) f.applyAsDouble(x.get(ix == null ? e : ix[e]), y.get(iy == null ? e : iy[e]));
        return MilTensor.ints(x.dtype() == DType.BOOL ? DType.INT32 : x.dtype(), shape, out);
    }

    private static MilTensor compare(Args a, DoubleBinaryOperator f) {
        MilTensor x = a.get("x");
        MilTensor y = a.get("y");
        int[] shape = broadcastShape(x.shapeRef(), y.shapeRef(), a);
        int[] ix = broadcastIndex(x.shapeRef(), shape);
        int[] iy = broadcastIndex(y.shapeRef(), shape);
        int[] out = new int[numel(shape)];
        for (int e = 0; e < out.length; e++) out[e] = (int) f.applyAsDouble(x.get(ix == null ? e : ix[e]), y.get(iy == null ? e : iy[e]));
        return MilTensor.ints(DType.BOOL, shape, out);
    }

    private static MilTensor unary(Args a, DoubleUnaryOperator f) {
        MilTensor x = a.get("x");
        if (x.isFloat()) {
            float[] in = x.floatsRef();
            float[] out = new float[in.length];
            for (int e = 0; e < out.length; e++) out[e] = (float) f.applyAsDouble(in[e]);
            return MilTensor.floats(x.dtype(), x.shapeRef(), out);
        }
        int[] out = new int[x.size()];
        for (int e = 0; e < out.length; e++) out[e] = (int) f.applyAsDouble(x.get(e));
        return MilTensor.ints(x.dtype(), x.shapeRef(), out);
    }

    private static MilTensor gelu(Args a) {
        String mode = a.string("mode", "EXACT");
        switch (mode) {
            case "EXACT": return unary(a, x -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2))));
            case "TANH_APPROXIMATION":
                return unary(a, x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
            case "SIGMOID_APPROXIMATION": return unary(a, x -> x / (1 + Math.exp(-1.702 * x)));
            default: throw a.fail("unknown gelu mode \"" + mode + "\"");
        }
    }

    private static MilTensor softmax(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis", -1), s.length, a);
        int len = s[ax];
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        int outer = x.size() / Math.max(1, len * inner);
        float[] in = x.floatsRef();
        float[] out = new float[in.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) max = Math.max(max, in[base + k * inner]);
                double sum = 0;
                for (int k = 0; k < len; k++) sum += Math.exp(in[base + k * inner] - max);
                for (int k = 0; k < len; k++) out[base + k * inner] = (float) (Math.exp(in[base + k * inner] - max) / sum);
            }
        }
        return MilTensor.floats(x.dtype(), s, out);
    }

    // ---- reductions --------------------------------------------------------------------------

    private static boolean[] reducedAxes(Args a, int rank, String param) {
        boolean[] red = new boolean[rank];
        int[] axes = a.ints(param, null);
        if (axes == null) Arrays.fill(red, true);
        else for (int ax : axes) red[axis(ax, rank, a)] = true;
        return red;
    }

    private static int[] reducedShape(int[] s, boolean[] red, boolean keep) {
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < s.length; k++) {
            if (!red[k]) out.add(s[k]);
            else if (keep) out.add(1);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** For each input element, the flat index of its output element. */
    private static int[] reduceIndex(int[] s, boolean[] red) {
        int[] kept = s.clone();
        for (int k = 0; k < s.length; k++) if (red[k]) kept[k] = 1;
        int[] st = strides(kept);
        int n = numel(s);
        int[] map = new int[n];
        int[] idx = new int[s.length];
        for (int e = 0; e < n; e++) {
            int o = 0;
            for (int d = 0; d < s.length; d++) if (!red[d]) o += idx[d] * st[d];
            map[e] = o;
            for (int d = s.length - 1; d >= 0; d--) {
                if (++idx[d] < s[d]) break;
                idx[d] = 0;
            }
        }
        return map;
    }

    /** kind: 0 sum, 1 mean, 2 max, 3 min, 4 prod. */
    private static MilTensor reduce(Args a, int kind) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        boolean[] red = reducedAxes(a, s.length, "axes");
        boolean keep = a.bool("keep_dims", false);
        int[] outShape = reducedShape(s, red, keep);
        int n = numel(outShape);
        // a reduction to one value (a quantizer's min and max) needs no index map
        int[] map = n == 1 ? null : reduceIndex(s, red);
        double[] acc = new double[n];
        if (kind == 2) Arrays.fill(acc, Double.NEGATIVE_INFINITY);
        if (kind == 3) Arrays.fill(acc, Double.POSITIVE_INFINITY);
        if (kind == 4) Arrays.fill(acc, 1);
        float[] xf = x.isFloat() ? x.floatsRef() : null;
        int size = x.size();
        for (int e = 0; e < size; e++) {
            double v = xf != null ? xf[e] : x.get(e);
            int o = map == null ? 0 : map[e];
            switch (kind) {
                case 2: acc[o] = Math.max(acc[o], v); break;
                case 3: acc[o] = Math.min(acc[o], v); break;
                case 4: acc[o] *= v; break;
                default: acc[o] += v;
            }
        }
        if (kind == 1) {
            double count = (double) x.size() / Math.max(1, n);
            for (int o = 0; o < n; o++) acc[o] /= count;
        }
        if (!x.isFloat()) {
            int[] out = new int[n];
            for (int o = 0; o < n; o++) out[o] = (int) acc[o];
            return MilTensor.ints(x.dtype(), outShape, out);
        }
        float[] out = new float[n];
        for (int o = 0; o < n; o++) out[o] = (float) acc[o];
        return MilTensor.floats(x.dtype(), outShape, out);
    }

    private static MilTensor argReduce(Args a, boolean max) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis", -1), s.length, a);
        boolean keep = a.bool("keep_dims", false);
        boolean[] red = new boolean[s.length];
        red[ax] = true;
        int[] outShape = reducedShape(s, red, keep);
        int len = s[ax];
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        int outer = x.size() / Math.max(1, len * inner);
        int[] out = new int[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int best = 0;
                double bv = x.get(o * len * inner + i);
                for (int k = 1; k < len; k++) {
                    double v = x.get(o * len * inner + k * inner + i);
                    if (max ? v > bv : v < bv) {
                        bv = v;
                        best = k;
                    }
                }
                out[o * inner + i] = best;
            }
        }
        return MilTensor.ints(DType.INT32, outShape, out);
    }

    private static MilTensor cumsum(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis", 0), s.length, a);
        boolean exclusive = a.bool("exclusive", false);
        boolean reverse = a.bool("reverse", false);
        int len = s[ax];
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        int outer = x.size() / Math.max(1, len * inner);
        double[] out = new double[x.size()];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double acc = 0;
                for (int t = 0; t < len; t++) {
                    int k = reverse ? len - 1 - t : t;
                    int e = o * len * inner + k * inner + i;
                    if (exclusive) {
                        out[e] = acc;
                        acc += x.get(e);
                    } else {
                        acc += x.get(e);
                        out[e] = acc;
                    }
                }
            }
        }
        return like(x, s, out);
    }

    /** A tensor of {@code x}'s dtype holding {@code v}. */
    static MilTensor like(MilTensor x, int[] shape, double[] v) {
        if (x.isFloat()) {
            float[] f = new float[v.length];
            for (int k = 0; k < v.length; k++) f[k] = (float) v[k];
            return MilTensor.floats(x.dtype(), shape, f);
        }
        int[] i = new int[v.length];
        for (int k = 0; k < v.length; k++) i[k] = (int) v[k];
        return MilTensor.ints(x.dtype(), shape, i);
    }

    /** {@code x}'s elements at {@code index} (gathered), same dtype. */
    static MilTensor take(MilTensor x, int[] shape, int[] index) {
        if (x.isFloat()) {
            float[] in = x.floatsRef();
            float[] f = new float[index.length];
            for (int k = 0; k < f.length; k++) f[k] = in[index[k]];
            return MilTensor.floats(x.dtype(), shape, f);
        }
        int[] in = x.intsRef();
        int[] v = new int[index.length];
        for (int k = 0; k < v.length; k++) v[k] = in[index[k]];
        return MilTensor.ints(x.dtype(), shape, v);
    }

    // ---- tensor ops --------------------------------------------------------------------------

    private static MilTensor cast(Args a) {
        MilTensor x = a.get("x");
        String to = a.string("dtype", null);
        if (to == null) throw a.fail("missing parameter 'dtype'");
        DType dt;
        switch (to) {
            case "fp32": case "fp64": dt = DType.FLOAT32; break;
            case "fp16": dt = DType.FLOAT16; break;
            case "int32": case "int64": case "int16": dt = DType.INT32; break;
            case "int8": dt = DType.INT8; break;
            case "uint8": dt = DType.UINT8; break;
            case "bool": dt = DType.BOOL; break;
            default: throw a.fail("unsupported cast dtype \"" + to + "\"");
        }
        int n = x.size();
        if (dt == DType.FLOAT32 || dt == DType.FLOAT16) return MilTensor.floats(dt, x.shapeRef(), x.toFloats());
        int[] v = new int[n];
        for (int k = 0; k < n; k++) {
            double d = x.get(k);
            v[k] = dt == DType.BOOL ? (d != 0 ? 1 : 0) : dt == DType.INT8 ? (byte) (long) d : dt == DType.UINT8 ? (int) ((long) d & 0xFF) : (int) d;
        }
        return MilTensor.ints(dt, x.shapeRef(), v);
    }

    static MilTensor transpose(MilTensor x, int[] perm, Args a) {
        int[] s = x.shapeRef();
        if (perm == null || perm.length != s.length) throw a.fail("perm " + Arrays.toString(perm) + " does not fit rank " + s.length);
        int r = s.length;
        int[] p = new int[r];
        for (int k = 0; k < r; k++) p[k] = axis(perm[k], r, a);
        int[] outShape = new int[r];
        for (int k = 0; k < r; k++) outShape[k] = s[p[k]];
        int[] st = strides(s);
        int n = x.size();
        int[] index = new int[n];
        int[] idx = new int[r];
        for (int e = 0; e < n; e++) {
            int off = 0;
            for (int d = 0; d < r; d++) off += idx[d] * st[p[d]];
            index[e] = off;
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return take(x, outShape, index);
    }

    static MilTensor reshaped(MilTensor x, int[] shape) {
        return x.isFloat() ? MilTensor.floats(x.dtype(), shape, x.floatsRef()) : MilTensor.ints(x.dtype(), shape, x.intsRef());
    }

    private static MilTensor reshape(Args a) {
        MilTensor x = a.get("x");
        int[] target = a.get("shape").toInts();
        int known = 1;
        int infer = -1;
        for (int k = 0; k < target.length; k++) {
            if (target[k] == 0 && k < x.rank()) target[k] = x.shapeRef()[k];
            if (target[k] == -1) {
                if (infer >= 0) throw a.fail("shape " + Arrays.toString(target) + " has more than one -1");
                infer = k;
            } else {
                known *= target[k];
            }
        }
        if (infer >= 0) target[infer] = known == 0 ? 0 : x.size() / known;
        if (numel(target) != x.size()) throw a.fail("cannot reshape " + x.describe() + " to " + Arrays.toString(target));
        return reshaped(x, target);
    }

    private static MilTensor flatten2d(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int ax = a.intValue("axis", 1);
        if (ax < 0) ax += s.length;
        int lead = 1;
        for (int k = 0; k < ax; k++) lead *= s[k];
        return reshaped(x, new int[] {lead, x.size() / Math.max(1, lead)});
    }

    private static MilTensor expandDims(Args a) {
        MilTensor x = a.get("x");
        int[] axes = a.ints("axes", null);
        if (axes == null) throw a.fail("missing parameter 'axes'");
        int r = x.rank() + axes.length;
        boolean[] inserted = new boolean[r];
        for (int ax : axes) inserted[axis(ax, r, a)] = true;
        int[] out = new int[r];
        int src = 0;
        for (int k = 0; k < r; k++) out[k] = inserted[k] ? 1 : x.shapeRef()[src++];
        return reshaped(x, out);
    }

    private static MilTensor squeeze(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        boolean[] drop = new boolean[s.length];
        int[] axes = a.ints("axes", null);
        if (axes == null) {
            for (int k = 0; k < s.length; k++) drop[k] = s[k] == 1;
        } else {
            for (int ax : axes) {
                int k = axis(ax, s.length, a);
                if (s[k] != 1) throw a.fail("cannot squeeze axis " + ax + " of size " + s[k]);
                drop[k] = true;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < s.length; k++) if (!drop[k]) out.add(s[k]);
        return reshaped(x, out.stream().mapToInt(Integer::intValue).toArray());
    }

    private static MilTensor concat(Args a) {
        List<MilTensor> values = a.all("values");
        if (values.isEmpty()) throw a.fail("has no values");
        MilTensor first = values.get(0);
        int r = first.rank();
        int ax = axis(a.intValue("axis"), r, a);
        boolean interleave = a.bool("interleave", false);
        int[] outShape = first.shape();
        int total = 0;
        for (MilTensor v : values) {
            if (v.rank() != r) throw a.fail("values have different ranks");
            for (int k = 0; k < r; k++) {
                if (k != ax && v.shapeRef()[k] != outShape[k]) throw a.fail("value shapes " + first.describe() + " and " + v.describe() + " differ off the axis");
            }
            total += v.shapeRef()[ax];
        }
        outShape[ax] = total;
        int outer = 1;
        for (int k = 0; k < ax; k++) outer *= outShape[k];
        int inner = 1;
        for (int k = ax + 1; k < r; k++) inner *= outShape[k];
        if (!interleave && values.stream().allMatch(v -> v.isFloat() && v.dtype() == first.dtype())) {
            // float blocks copied as they are (a 1024x1024 net concatenates hundreds of MB)
            float[] out = new float[numel(outShape)];
            int pos = 0;
            for (int o = 0; o < outer; o++) {
                for (MilTensor v : values) {
                    int chunk = v.shapeRef()[ax] * inner;
                    System.arraycopy(v.floatsRef(), o * chunk, out, pos, chunk);
                    pos += chunk;
                }
            }
            return MilTensor.floats(first.dtype(), outShape, out);
        }
        double[] out = new double[numel(outShape)];
        int pos = 0;
        if (interleave) {
            int len = first.shapeRef()[ax];
            for (int o = 0; o < outer; o++) {
                for (int t = 0; t < len; t++) {
                    for (MilTensor v : values) {
                        for (int i = 0; i < inner; i++) out[pos++] = v.get((o * len + t) * inner + i);
                    }
                }
            }
        } else {
            for (int o = 0; o < outer; o++) {
                for (MilTensor v : values) {
                    int chunk = v.shapeRef()[ax] * inner;
                    for (int i = 0; i < chunk; i++) out[pos++] = v.get(o * chunk + i);
                }
            }
        }
        return like(first, outShape, out);
    }

    private static List<MilTensor> split(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis"), s.length, a);
        int[] sizes = a.ints("split_sizes", null);
        if (sizes == null) {
            int parts = a.intValue("num_splits");
            if (parts < 1 || s[ax] % parts != 0) throw a.fail("num_splits " + parts + " does not divide axis length " + s[ax]);
            sizes = new int[parts];
            Arrays.fill(sizes, s[ax] / parts);
        }
        List<MilTensor> out = new ArrayList<>();
        int start = 0;
        for (int size : sizes) {
            int[] begin = new int[s.length];
            int[] shape = s.clone();
            begin[ax] = start;
            shape[ax] = size;
            out.add(slice(x, begin, shape, null));
            start += size;
        }
        if (start != s[ax]) throw a.fail("split_sizes " + Arrays.toString(sizes) + " do not add up to " + s[ax]);
        return out;
    }

    /** The region {@code begin + stride * i} for {@code i < shape} (stride null = 1). */
    static MilTensor slice(MilTensor x, int[] begin, int[] shape, int[] stride) {
        int[] st = strides(x.shapeRef());
        int r = shape.length;
        int n = numel(shape);
        int[] index = new int[n];
        int[] idx = new int[r];
        for (int e = 0; e < n; e++) {
            int off = 0;
            for (int d = 0; d < r; d++) off += (begin[d] + idx[d] * (stride == null ? 1 : stride[d])) * st[d];
            index[e] = off;
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return take(x, shape, index);
    }

    private static MilTensor sliceByIndex(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int r = s.length;
        int[] begin = a.get("begin").toInts();
        int[] end = a.get("end").toInts();
        int[] stride = a.ints("stride", null);
        int[] beginMask = a.ints("begin_mask", new int[r]);
        int[] endMask = a.ints("end_mask", new int[r]);
        int[] squeezeMask = a.ints("squeeze_mask", new int[r]);
        if (begin.length != r || end.length != r) throw a.fail("begin/end must have " + r + " entries");
        int[] st = new int[r];
        int[] b = new int[r];
        int[] shape = new int[r];
        for (int d = 0; d < r; d++) {
            st[d] = stride == null ? 1 : stride[d];
            if (st[d] == 0) throw a.fail("stride 0 on axis " + d);
            int n = s[d];
            int lo;
            int hi;
            if (st[d] > 0) {
                lo = beginMask[d] != 0 ? 0 : clamp(norm(begin[d], n), 0, n);
                hi = endMask[d] != 0 ? n : clamp(norm(end[d], n), 0, n);
                shape[d] = Math.max(0, (hi - lo + st[d] - 1) / st[d]);
            } else {
                lo = beginMask[d] != 0 ? n - 1 : clamp(norm(begin[d], n), -1, n - 1);
                hi = endMask[d] != 0 ? -1 : clamp(norm(end[d], n), -1, n - 1);
                shape[d] = Math.max(0, (lo - hi - st[d] - 1) / -st[d]);
            }
            b[d] = lo;
            if (squeezeMask[d] != 0) shape[d] = 1;
        }
        MilTensor out = slice(x, b, shape, st);
        List<Integer> kept = new ArrayList<>();
        for (int d = 0; d < r; d++) if (squeezeMask[d] == 0) kept.add(shape[d]);
        return reshaped(out, kept.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int norm(int i, int n) { return i < 0 ? i + n : i; }

    private static int clamp(int v, int lo, int hi) { return Math.max(lo, Math.min(hi, v)); }

    private static MilTensor sliceBySize(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int[] begin = a.get("begin").toInts();
        int[] size = a.get("size").toInts();
        int[] shape = new int[s.length];
        for (int d = 0; d < s.length; d++) {
            begin[d] = norm(begin[d], s[d]);
            shape[d] = size[d] == -1 ? s[d] - begin[d] : size[d];
            if (begin[d] < 0 || begin[d] + shape[d] > s[d]) throw a.fail("slice of axis " + d + " is out of range");
        }
        return slice(x, begin, shape, null);
    }

    private static MilTensor gather(Args a) {
        MilTensor x = a.get("x");
        MilTensor indices = a.get("indices");
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis", 0), s.length, a);
        if (a.intValue("batch_dims", 0) != 0) throw a.fail("batch_dims other than 0 is not supported");
        int[] is = indices.shapeRef();
        int[] outShape = new int[s.length - 1 + is.length];
        int p = 0;
        for (int k = 0; k < ax; k++) outShape[p++] = s[k];
        for (int d : is) outShape[p++] = d;
        for (int k = ax + 1; k < s.length; k++) outShape[p++] = s[k];
        int outer = 1;
        for (int k = 0; k < ax; k++) outer *= s[k];
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        int m = indices.size();
        int[] index = new int[outer * m * inner];
        int e = 0;
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                int t = (int) indices.get(j);
                if (t < 0) t += s[ax];
                if (t < 0 || t >= s[ax]) throw a.fail("index " + (int) indices.get(j) + " is out of range for axis length " + s[ax]);
                for (int i = 0; i < inner; i++) index[e++] = (o * s[ax] + t) * inner + i;
            }
        }
        return take(x, outShape, index);
    }

    /**
     * scatter_nd: a copy of data whose slices data[indices[i]] (the last axis of indices addresses
     * the first axes of data) are replaced by ({@code update}) or combined with updates[i]
     * ({@code add}, {@code sub}, {@code mul}, {@code div}, {@code max}, {@code min}), in index
     * order, rounding to the data's type after each step; negative indices count from the end.
     */
    private static MilTensor scatterNd(Args a) {
        MilTensor data = a.get("data");
        MilTensor indices = a.get("indices");
        MilTensor updates = a.get("updates");
        String mode = a.string("mode", "add");
        DoubleBinaryOperator f = switch (mode) {
            case "update" -> (x, u) -> u;
            case "add" -> (x, u) -> x + u;
            case "sub" -> (x, u) -> x - u;
            case "mul" -> (x, u) -> x * u;
            case "div" -> (x, u) -> x / u;
            case "max" -> Math::max;
            case "min" -> Math::min;
            default -> throw a.fail("unknown scatter_nd mode \"" + mode + "\"");
        };
        int[] s = data.shapeRef();
        int[] is = indices.shapeRef();
        if (is.length == 0) throw a.fail("indices must have rank >= 1");
        int k = is[is.length - 1];
        if (k < 1 || k > s.length) throw a.fail("the last axis of indices is " + k + " long, data has rank " + s.length);
        int slice = 1;
        for (int d = k; d < s.length; d++) slice *= s[d];
        int tuples = indices.size() / k;
        if (updates.size() != tuples * slice) {
            throw a.fail("updates " + updates.describe() + " must hold " + tuples * slice + " values for indices " + indices.describe());
        }
        int[] st = strides(s);
        boolean isFloat = data.isFloat();
        float[] fo = isFloat ? data.floatsRef().clone() : null;
        int[] io = isFloat ? null : data.intsRef().clone();
        for (int t = 0; t < tuples; t++) {
            int offset = 0;
            for (int d = 0; d < k; d++) {
                int v = (int) indices.get(t * k + d);
                int at = v < 0 ? v + s[d] : v;
                if (at < 0 || at >= s[d]) throw a.fail("index " + v + " is out of range for axis " + d + " of length " + s[d]);
                offset += at * st[d];
            }
            for (int j = 0; j < slice; j++) {
                int o = offset + j;
                double u = updates.get(t * slice + j);
                if (isFloat) {
                    float r = (float) f.applyAsDouble(fo[o], u);
                    fo[o] = data.dtype() == DType.FLOAT16 ? MilTensor.roundF16(r) : r;
                } else {
                    double r = f.applyAsDouble(io[o], u);
                    io[o] = data.dtype() == DType.BOOL ? (r != 0 ? 1 : 0) : (int) (long) r;
                }
            }
        }
        return isFloat ? MilTensor.floats(data.dtype(), s, fo) : MilTensor.ints(data.dtype(), s, io);
    }

    private static MilTensor gatherAlongAxis(Args a) {
        MilTensor x = a.get("x");
        MilTensor indices = a.get("indices");
        int[] s = x.shapeRef();
        int[] is = indices.shapeRef();
        int ax = axis(a.intValue("axis", 0), s.length, a);
        if (is.length != s.length) throw a.fail("indices " + indices.describe() + " must have the rank of x " + x.describe());
        int[] st = strides(s);
        int n = indices.size();
        int[] index = new int[n];
        int[] idx = new int[is.length];
        for (int e = 0; e < n; e++) {
            int off = 0;
            for (int d = 0; d < is.length; d++) {
                int v = idx[d];
                if (d == ax) {
                    v = (int) indices.get(e);
                    if (v < 0) v += s[ax];
                    if (v < 0 || v >= s[ax]) throw a.fail("index " + (int) indices.get(e) + " is out of range for axis length " + s[ax]);
                }
                off += v * st[d];
            }
            index[e] = off;
            for (int d = is.length - 1; d >= 0; d--) {
                if (++idx[d] < is[d]) break;
                idx[d] = 0;
            }
        }
        return take(x, is, index);
    }

    private static MilTensor select(Args a) {
        MilTensor c = a.get("cond");
        MilTensor x = a.get("a");
        MilTensor y = a.get("b");
        int[] shape = broadcastShape(broadcastShape(c.shapeRef(), x.shapeRef(), a), y.shapeRef(), a);
        int[] ic = broadcastIndex(c.shapeRef(), shape);
        int[] ix = broadcastIndex(x.shapeRef(), shape);
        int[] iy = broadcastIndex(y.shapeRef(), shape);
        double[] out = new double[numel(shape)];
        for (int e = 0; e < out.length; e++) {
            out[e] = c.get(ic == null ? e : ic[e]) != 0 ? x.get(ix == null ? e : ix[e]) : y.get(iy == null ? e : iy[e]);
        }
        return like(x, shape, out);
    }

    /**
     * scatter(data, indices, updates, axis, mode): a copy of data whose slices {@code indices[j]}
     * along axis are combined with the updates' slice j (mode update, add, sub, mul, div, max, min;
     * MIL's default is add), in the order of j.
     */
    private static MilTensor scatter(Args a) {
        MilTensor data = a.get("data");
        MilTensor indices = a.get("indices");
        MilTensor updates = a.get("updates");
        int[] s = data.shapeRef();
        int ax = axis(a.intValue("axis", 0), s.length, a);
        String mode = a.string("mode", "add");
        int m = indices.size();
        int[] us = updates.shapeRef();
        boolean fits = indices.rank() == 1 && us.length == s.length;
        for (int d = 0; fits && d < s.length; d++) fits = us[d] == (d == ax ? m : s[d]);
        if (!fits) {
            throw a.fail("updates " + updates.describe() + " must be data " + data.describe() + " with axis " + ax + " of size "
                    + m + " (the indices' count)");
        }
        int outer = 1;
        for (int k = 0; k < ax; k++) outer *= s[k];
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        double[] out = new double[data.size()];
        for (int k = 0; k < out.length; k++) out[k] = data.get(k);
        for (int j = 0; j < m; j++) {
            int t = (int) indices.get(j);
            if (t < 0) t += s[ax];
            if (t < 0 || t >= s[ax]) throw a.fail("index " + (int) indices.get(j) + " is out of range for axis length " + s[ax]);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int to = (o * s[ax] + t) * inner + i;
                    double u = updates.get((o * m + j) * inner + i);
                    double x = out[to];
                    out[to] = switch (mode) {
                        case "update" -> u;
                        case "add" -> x + u;
                        case "sub" -> x - u;
                        case "mul" -> x * u;
                        case "div" -> data.isFloat() ? x / u : (double) ((long) x / (long) u);
                        case "max" -> Math.max(x, u);
                        case "min" -> Math.min(x, u);
                        default -> throw a.fail("mode must be update, add, sub, mul, div, max or min, got \"" + mode + "\"");
                    };
                    if (data.isFloat()) out[to] = data.dtype() == DType.FLOAT16 ? MilTensor.roundF16((float) out[to]) : (float) out[to];
                }
            }
        }
        return like(data, s.clone(), out);
    }

    private static MilTensor fill(Args a) {
        int[] shape = a.get("shape").toInts();
        MilTensor value = a.has("value") ? a.get("value") : MilTensor.scalar(0f);
        double[] out = new double[numel(shape)];
        Arrays.fill(out, value.get(0));
        return like(value, shape, out);
    }

    private static MilTensor tile(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int[] reps = a.get("reps").toInts();
        if (reps.length != s.length) throw a.fail("reps " + Arrays.toString(reps) + " must have " + s.length + " entries");
        int[] outShape = new int[s.length];
        for (int d = 0; d < s.length; d++) outShape[d] = s[d] * reps[d];
        int[] st = strides(s);
        int n = numel(outShape);
        int[] index = new int[n];
        int[] idx = new int[s.length];
        for (int e = 0; e < n; e++) {
            int off = 0;
            for (int d = 0; d < s.length; d++) off += (idx[d] % s[d]) * st[d];
            index[e] = off;
            for (int d = s.length - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return take(x, outShape, index);
    }

    private static MilTensor pad(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int r = s.length;
        int[] pads = a.get("pad").toInts();
        String mode = a.string("mode", "constant");
        double cval = a.floatValue("constant_val", 0f);
        if (pads.length % 2 != 0 || pads.length / 2 > r) throw a.fail("pad " + Arrays.toString(pads) + " does not fit rank " + r);
        int k = pads.length / 2;
        int[] before = new int[r];
        int[] outShape = s.clone();
        for (int j = 0; j < k; j++) {
            int d = r - k + j;
            before[d] = pads[2 * j];
            outShape[d] += pads[2 * j] + pads[2 * j + 1];
            if ((mode.equals("reflect") && (pads[2 * j] >= s[d] || pads[2 * j + 1] >= s[d])) || (!mode.equals("constant") && s[d] == 0)) {
                throw a.fail("pad " + Arrays.toString(pads) + " is too large for " + mode + " padding of axis " + d + " (size " + s[d] + ")");
            }
        }
        if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("replicate")) throw a.fail("unknown pad mode \"" + mode + "\"");
        int[] st = strides(s);
        double[] out = new double[numel(outShape)];
        int[] idx = new int[r];
        for (int e = 0; e < out.length; e++) {
            int off = 0;
            boolean outside = false;
            for (int d = 0; d < r; d++) {
                int i = idx[d] - before[d];
                if (i < 0 || i >= s[d]) {
                    if (mode.equals("constant")) {
                        outside = true;
                        break;
                    }
                    if (mode.equals("reflect")) i = i < 0 ? -i : 2 * (s[d] - 1) - i;
                    else i = i < 0 ? 0 : s[d] - 1;
                }
                off += i * st[d];
            }
            out[e] = outside ? cval : x.get(off);
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return like(x, outShape, out);
    }

    private static MilTensor range(Args a) {
        MilTensor end = a.get("end");
        MilTensor start = a.get("start");
        MilTensor step = a.get("step");
        double s = start.get(0);
        double e = end.get(0);
        double d = step.get(0);
        if (d == 0) throw a.fail("step is 0");
        int n = (int) Math.max(0, Math.ceil((e - s) / d));
        double[] out = new double[n];
        for (int k = 0; k < n; k++) out[k] = s + k * d;
        return like(start, new int[] {n}, out);
    }

    /** Per-element parameter index for an optional per-axis quantization parameter. */
    private static int[] paramIndex(Args a, MilTensor x, MilTensor p) {
        if (p == null || p.size() == 1) return null;
        int[] s = x.shapeRef();
        int ax = axis(a.intValue("axis"), s.length, a);
        if (p.size() != s[ax]) throw a.fail("scale/zero_point " + p.describe() + " must have length " + s[ax] + " (axis " + ax + ")");
        int inner = 1;
        for (int k = ax + 1; k < s.length; k++) inner *= s[k];
        int[] map = new int[x.size()];
        for (int e = 0; e < map.length; e++) map[e] = (e / inner) % s[ax];
        return map;
    }

    private static MilTensor quantize(Args a) {
        MilTensor x = a.get("input");
        MilTensor scale = a.get("scale");
        MilTensor zp = a.opt("zero_point");
        String to = a.string("output_dtype", null);
        DType dt = zp != null ? zp.dtype() : "uint8".equals(to) ? DType.UINT8 : DType.INT8;
        if (to != null && !(to.equals("int8") || to.equals("uint8"))) throw a.fail("output_dtype must be int8 or uint8, got \"" + to + "\"");
        int lo = dt == DType.UINT8 ? 0 : -128;
        int hi = dt == DType.UINT8 ? 255 : 127;
        int[] si = paramIndex(a, x, scale);
        int[] zi = paramIndex(a, x, zp);
        int[] out = new int[x.size()];
        for (int e = 0; e < out.length; e++) {
            float s = (float) scale.get(si == null ? 0 : si[e]);
            double z = zp == null ? 0 : zp.get(zi == null ? 0 : zi[e]);
            double q = Math.rint((float) (x.get(e) / s)) + z;
            out[e] = (int) Math.max(lo, Math.min(hi, q));
        }
        return MilTensor.ints(dt, x.shapeRef(), out);
    }

    private static MilTensor dequantize(Args a) {
        MilTensor x = a.get("input");
        MilTensor scale = a.get("scale");
        MilTensor zp = a.opt("zero_point");
        int[] si = paramIndex(a, x, scale);
        int[] zi = paramIndex(a, x, zp);
        float[] out = new float[x.size()];
        for (int e = 0; e < out.length; e++) {
            float s = (float) scale.get(si == null ? 0 : si[e]);
            float z = zp == null ? 0 : (float) zp.get(zi == null ? 0 : zi[e]);
            out[e] = s * ((float) x.get(e) - z);
        }
        return MilTensor.floats(scale.dtype(), x.shapeRef(), out);
    }
}
