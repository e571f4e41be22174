package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX LSTM with a static sequence length, unrolled over time into MIL linear / sigmoid / tanh /
 * mul / add ops (one step per time step and direction). ONNX packs the gates as i, o, f, c; each
 * step computes {@code gates = linear(x_t, W) + linear(h, R) + (Wb + Rb)}, then
 * {@code c = f * c + i * tanh(g)} and {@code h = o * tanh(c)}. Default activations, no
 * peepholes, clip or input_forget, constant weights, layout 0.
 */
final class RecurrentLowerings {

    private RecurrentLowerings() {}

    static void register(Map<String, Lowering> m) {
        m.put("LSTM", RecurrentLowerings::lstm);
    }

    private static List<Value> lstm(OnnxOp op) {
        if (op.attrInt("layout", 0) != 0) throw op.fail("layout=1 is not supported");
        if (op.attrInt("input_forget", 0) != 0) throw op.fail("input_forget=1 is not supported");
        if (op.hasAttr("clip")) throw op.fail("clip is not supported");
        if (op.present(4)) throw op.fail("sequence_lens is not supported (every sequence runs the full length)");
        if (op.present(7)) throw op.fail("peepholes (P) are not supported");
        if (op.hasAttr("activations")) {
            List<String> acts = op.node.attributes().get("activations").map(a -> ((dev.pare.ir.Attribute.StringsAttr) a).values()).orElseThrow();
            for (int i = 0; i < acts.size(); i++) {
                String expected = i % 3 == 0 ? "Sigmoid" : "Tanh";
                if (!acts.get(i).equalsIgnoreCase(expected)) throw op.fail("activation " + acts.get(i) + " is not supported (only the defaults)");
            }
        }
        String direction = op.attrString("direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        List<Dim> xd = op.dims(0);
        if (xd.size() != 3) throw op.fail("X must have rank 3, got " + xd.size());
        if (!(xd.get(0) instanceof Dim.Fixed seqDim)) throw op.needsStaticShape(0, "unrolling needs a static sequence length");
        int steps = (int) seqDim.size();
        if (steps < 1) throw op.fail("the sequence is empty");
        Value x = op.in(0);
        DType dtype = x.tensorType().dtype();
        double[] w = constant(op, 1, "W");
        double[] r = constant(op, 2, "R");
        long hidden = op.attrInt("hidden_size", op.raw(2).tensorType().shape()[2]);
        int in = (int) (w.length / (dirs * 4 * hidden));
        double[] b = op.present(3) ? constant(op, 3, "B") : new double[(int) (dirs * 8 * hidden)];

        List<Value> ys = new ArrayList<>();
        List<Value> hs = new ArrayList<>();
        List<Value> cs = new ArrayList<>();
        List<Value> xs = timeSteps(op, x, steps);
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            int gates = (int) (4 * hidden);
            Value wd = op.e.constant(op.e.tmp("W" + d), data(dtype, new long[] {gates, in}, w, d * gates * in));
            Value rd = op.e.constant(op.e.tmp("R" + d), data(dtype, new long[] {gates, hidden}, r, (int) (d * gates * hidden)));
            double[] bias = new double[gates];
            for (int k = 0; k < gates; k++) bias[k] = b[d * 2 * gates + k] + b[d * 2 * gates + gates + k];
            Value bd = op.e.constant(op.e.tmp("B" + d), data(dtype, new long[] {gates}, bias, 0));
            Value h = initialState(op, 5, d, dtype, xd.get(1), hidden, "h");
            Value c = initialState(op, 6, d, dtype, xd.get(1), hidden, "c");
            Value[] outs = new Value[steps];
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                String p = "d" + d + "_t" + t + "_";
                Value gx = op.e.op("linear", op.e.tmp(p + "gx"), "x", xs.get(t), "weight", wd, "bias", bd);
                Value gh = op.e.op("linear", op.e.tmp(p + "gh"), "x", h, "weight", rd);
                Value g = op.e.op("add", op.e.tmp(p + "gates"), "x", gx, "y", gh);
                List<Value> iofc = op.e.ops("split", List.of(op.e.tmp(p + "i"), op.e.tmp(p + "o"), op.e.tmp(p + "f"), op.e.tmp(p + "g")),
                        "x", g, "split_sizes", new long[] {hidden, hidden, hidden, hidden}, "axis", 1L);
                Value i = op.e.op("sigmoid", op.e.tmp(p + "i_act"), "x", iofc.get(0));
                Value o = op.e.op("sigmoid", op.e.tmp(p + "o_act"), "x", iofc.get(1));
                Value f = op.e.op("sigmoid", op.e.tmp(p + "f_act"), "x", iofc.get(2));
                Value cand = op.e.op("tanh", op.e.tmp(p + "g_act"), "x", iofc.get(3));
                Value keep = op.e.op("mul", op.e.tmp(p + "keep"), "x", f, "y", c);
                Value write = op.e.op("mul", op.e.tmp(p + "write"), "x", i, "y", cand);
                c = op.e.op("add", op.e.tmp(p + "c"), "x", keep, "y", write);
                Value ct = op.e.op("tanh", op.e.tmp(p + "c_act"), "x", c);
                h = op.e.op("mul", op.e.tmp(p + "h"), "x", o, "y", ct);
                outs[t] = h;
            }
            if (present(op, 0)) { // Y: every step's h, [seq, 1, batch, hidden]
                List<Value> steps4 = new ArrayList<>();
                for (int t = 0; t < steps; t++) {
                    steps4.add(op.e.op("expand_dims", op.e.tmp("d" + d + "_t" + t + "_y"), "x", outs[t], "axes", new long[] {0, 1}));
                }
                ys.add(steps4.size() == 1 ? steps4.get(0)
                        : op.e.op("concat", op.e.tmp("d" + d + "_y"), "values", steps4, "axis", 0L, "interleave", false));
            }
            hs.add(h);
            cs.add(c);
        }
        Value y = ys.isEmpty() ? null : ys.size() == 1 ? ys.get(0) : op.e.op("concat", op.e.tmp("y"), "values", ys, "axis", 1L, "interleave", false);
        return Arrays.asList(y, stack(op, hs, 1, "h"), stack(op, cs, 2, "c"));
    }

    /** X split into its time steps, each [batch, input]. */
    private static List<Value> timeSteps(OnnxOp op, Value x, int steps) {
        if (steps == 1) return List.of(op.e.op("squeeze", op.e.tmp("x_t0"), "x", x, "axes", new long[] {0}));
        List<String> names = new ArrayList<>();
        for (int t = 0; t < steps; t++) names.add(op.e.tmp("x_t" + t + "_3d"));
        long[] ones = new long[steps];
        Arrays.fill(ones, 1);
        List<Value> parts = op.e.ops("split", names, "x", x, "split_sizes", ones, "axis", 0L);
        List<Value> out = new ArrayList<>();
        for (int t = 0; t < steps; t++) out.add(op.e.op("squeeze", op.e.tmp("x_t" + t), "x", parts.get(t), "axes", new long[] {0}));
        return out;
    }

    /** initial_h / initial_c of direction d as [batch, hidden], zeros when absent. */
    private static Value initialState(OnnxOp op, int operand, int d, DType dtype, Dim batch, long hidden, String what) {
        if (op.present(operand)) {
            Value s = op.in(operand);
            Value one = op.e.op("slice_by_index", op.e.tmp(what + "0_d" + d), "x", s, "begin", new long[] {d, 0, 0},
                    "end", new long[] {d + 1, 0, 0}, "stride", new long[] {1, 1, 1},
                    "begin_mask", new boolean[] {false, true, true}, "end_mask", new boolean[] {false, true, true});
            return op.e.op("squeeze", op.e.tmp(what + "0_d" + d + "_2d"), "x", one, "axes", new long[] {0});
        }
        if (!(batch instanceof Dim.Fixed f)) throw op.needsStaticShape(0, "zero initial " + what + " needs a static batch size");
        double[] zeros = new double[(int) (f.size() * hidden)];
        return op.e.constant(op.e.tmp(what + "0_d" + d), data(dtype, new long[] {f.size(), hidden}, zeros, 0));
    }

    /** Y_h / Y_c: the final states stacked over directions, [dirs, batch, hidden]. */
    private static Value stack(OnnxOp op, List<Value> states, int result, String what) {
        if (!present(op, result)) return null;
        List<Value> parts = new ArrayList<>();
        for (int d = 0; d < states.size(); d++) {
            parts.add(op.e.op("expand_dims", states.size() == 1 ? op.e.out(result) : op.e.tmp(what + "_last_d" + d), "x", states.get(d),
                    "axes", new long[] {0}));
        }
        return parts.size() == 1 ? parts.get(0) : op.e.op("concat", op.e.out(result), "values", parts, "axis", 0L, "interleave", false);
    }

    private static boolean present(OnnxOp op, int result) {
        return result < op.node.results().size() && !op.node.result(result).isAbsent();
    }

    private static double[] constant(OnnxOp op, int operand, String what) {
        double[] v = op.constFloats(operand);
        if (v == null) throw op.needsConstant(operand, what + " must be a constant");
        return v;
    }

    /** The values of {@code src} from {@code offset} filling {@code shape}, as a tensor of x's float dtype. */
    private static TensorData data(DType dtype, long[] shape, double[] src, int offset) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        if (dtype == DType.FLOAT16) {
            ByteBuffer b = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) b.putShort(Float16.fromFloat((float) src[offset + i]));
            return TensorData.ofBuffer(dev.pare.ir.TensorType.of(DType.FLOAT16, shape), b.flip());
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) src[offset + i];
        return TensorData.ofFloats(shape, f);
    }
}
