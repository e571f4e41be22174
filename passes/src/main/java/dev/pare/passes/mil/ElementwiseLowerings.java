package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;

/** Element-wise math, comparisons, activations, reductions and softmax. */
final class ElementwiseLowerings {

    private ElementwiseLowerings() {}

    static void register(Map<String, Lowering> m) {
        binary(m, "Add", "add");
        binary(m, "Sub", "sub");
        binary(m, "Mul", "mul");
        m.put("Pow", op -> {
            // ONNX lets the exponent have another numeric type; MIL pow takes one dtype
            Value x = op.in(0);
            Value y = op.in(1);
            if (y.tensorType().dtype() != x.tensorType().dtype() && x.tensorType().dtype().isFloatingPoint()) {
                double[] e = op.constFloats(1);
                if (e != null && e.length == 1) y = op.floatLike(x, op.e.tmp("exponent"), e[0]);
                else y = op.e.op("cast", op.e.tmp("exponent"), "x", y, "dtype", MilDTypes.milName(x.tensorType().dtype()));
            }
            return OnnxOp.one(op.e.op("pow", op.e.out(0), "x", x, "y", y));
        });
        binary(m, "Equal", "equal");
        binary(m, "Less", "less");
        binary(m, "LessOrEqual", "less_equal");
        binary(m, "Greater", "greater");
        binary(m, "GreaterOrEqual", "greater_equal");
        binary(m, "And", "logical_and");
        binary(m, "Or", "logical_or");
        binary(m, "Xor", "logical_xor");
        m.put("Div", op -> {
            Value x = op.in(0);
            // ONNX integer division truncates, MIL floor_div floors: equal for the non-negative
            // sizes shape arithmetic divides
            String mil = x.tensorType().dtype() == DType.INT32 ? "floor_div" : "real_div";
            return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", x, "y", op.in(1)));
        });
        m.put("Mod", op -> {
            // MIL mod floors (the result takes the divisor's sign): ONNX's integer Mod with fmod=0
            if (op.attrInt("fmod", 0) != 0) throw op.fail("fmod=1 (the dividend's sign) has no MIL form");
            return OnnxOp.one(op.e.op("mod", op.e.out(0), "x", op.in(0), "y", op.in(1)));
        });
        variadic(m, "Max", "maximum");
        variadic(m, "Min", "minimum");
        variadic(m, "Sum", "add");
        for (String[] p : new String[][] {{"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Erf", "erf"},
                {"Sqrt", "sqrt"}, {"Exp", "exp"}, {"Abs", "abs"}, {"Floor", "floor"}, {"Ceil", "ceil"}, {"Sin", "sin"},
                {"Cos", "cos"}, {"Sign", "sign"}, {"Log", "log"}, {"Not", "logical_not"}, {"Softplus", "softplus"}}) {
            m.put(p[0], op -> OnnxOp.one(op.e.op(p[1], op.e.out(0), "x", op.in(0))));
        }
        m.put("Neg", op -> {
            Value x = op.in(0);
            return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", x, "y", op.scalarLike(x, op.e.tmp("minus_one"), -1)));
        });
        m.put("Reciprocal", op -> {
            Value x = op.in(0);
            return OnnxOp.one(op.e.op("real_div", op.e.out(0), "x", op.floatLike(x, op.e.tmp("one"), 1), "y", x));
        });
        m.put("Clip", ElementwiseLowerings::clip);
        m.put("LeakyRelu", op -> OnnxOp.one(op.e.op("leaky_relu", op.e.out(0), "x", op.in(0),
                "alpha", (double) op.attrFloat("alpha", 0.01f))));
        m.put("Elu", op -> OnnxOp.one(op.e.op("elu", op.e.out(0), "x", op.in(0), "alpha", (double) op.attrFloat("alpha", 1f))));
        m.put("HardSigmoid", op -> OnnxOp.one(op.e.op("sigmoid_hard", op.e.out(0), "x", op.in(0),
                "alpha", (double) op.attrFloat("alpha", 0.2f), "beta", (double) op.attrFloat("beta", 0.5f))));
        m.put("HardSwish", op -> {
            Value x = op.in(0);
            Value gate = op.e.op("sigmoid_hard", op.e.tmp("hard_sigmoid"), "x", x, "alpha", 1.0 / 6, "beta", 0.5);
            return OnnxOp.one(op.e.op("mul", op.e.out(0), "x", x, "y", gate));
        });
        m.put("Softmax", ElementwiseLowerings::softmax);
        reduce(m, "ReduceMean", "reduce_mean", 18);
        reduce(m, "ReduceSum", "reduce_sum", 13);
        reduce(m, "ReduceMax", "reduce_max", 18);
        reduce(m, "ReduceMin", "reduce_min", 18);
        reduce(m, "ReduceProd", "reduce_prod", 18);
        argReduce(m, "ArgMax", "reduce_argmax");
        argReduce(m, "ArgMin", "reduce_argmin");
        m.put("Where", op -> OnnxOp.one(op.e.op("select", op.e.out(0), "cond", op.in(0), "a", op.in(1), "b", op.in(2))));
    }

    private static void binary(Map<String, Lowering> m, String onnx, String mil) {
        m.put(onnx, op -> OnnxOp.one(op.e.op(mil, op.e.out(0), "x", op.in(0), "y", op.in(1))));
    }

    private static void variadic(Map<String, Lowering> m, String onnx, String mil) {
        m.put(onnx, op -> {
            Value acc = op.in(0);
            if (op.inputs() == 1) return OnnxOp.one(acc);
            for (int i = 1; i < op.inputs(); i++) {
                String name = i == op.inputs() - 1 ? op.e.out(0) : op.e.tmp(mil + "_" + i);
                acc = op.e.op(mil, name, "x", acc, "y", op.in(i));
            }
            return OnnxOp.one(acc);
        });
    }

    private static List<Value> clip(OnnxOp op) {
        Value x = op.in(0);
        Double lo;
        Double hi;
        if (op.hasAttr("min") || op.hasAttr("max") || op.inputs() == 1) { // opset < 11: attributes
            lo = op.hasAttr("min") ? (double) op.attrFloat("min", 0) : null;
            hi = op.hasAttr("max") ? (double) op.attrFloat("max", 0) : null;
        } else {
            if ((op.present(1) && !op.raw(1).isConstant()) || (op.present(2) && !op.raw(2).isConstant())) {
                // computed bounds: max(x, lo) then min(., hi)
                Value v = x;
                if (op.present(1)) v = op.e.op("maximum", op.present(2) ? op.e.tmp("lower") : op.e.out(0), "x", v, "y", op.in(1));
                if (op.present(2)) v = op.e.op("minimum", op.e.out(0), "x", v, "y", op.in(2));
                return OnnxOp.one(v);
            }
            lo = op.present(1) ? op.constFloats(1)[0] : null;
            hi = op.present(2) ? op.constFloats(2)[0] : null;
        }
        if (x.tensorType().dtype() == DType.INT32) {
            Value v = x;
            if (lo != null) v = op.e.op("maximum", hi != null ? op.e.tmp("lower") : op.e.out(0), "x", v, "y", op.scalarLike(x, op.e.tmp("min"), lo));
            if (hi != null) v = op.e.op("minimum", op.e.out(0), "x", v, "y", op.scalarLike(x, op.e.tmp("max"), hi));
            return OnnxOp.one(v);
        }
        if (lo != null && lo == 0 && hi != null && hi == 6) return OnnxOp.one(op.e.op("relu6", op.e.out(0), "x", x));
        if (lo != null && lo == 0 && hi == null) return OnnxOp.one(op.e.op("relu", op.e.out(0), "x", x));
        double max = x.tensorType().dtype() == DType.FLOAT16 ? 65504.0 : Float.MAX_VALUE;
        return OnnxOp.one(op.e.op("clip", op.e.out(0), "x", x, "alpha", lo == null ? -max : lo, "beta", hi == null ? max : hi));
    }

    private static List<Value> softmax(OnnxOp op) {
        Value x = op.in(0);
        List<Dim> dims = op.dims(0);
        int rank = dims.size();
        boolean hasAxis = op.hasAttr("axis");
        boolean opsetKnown = op.opset.isPresent();
        if ((opsetKnown && op.opset.get() >= 13) || (!opsetKnown && !hasAxis && rank <= 1)) {
            long axis = op.axis(op.attrInt("axis", -1), rank);
            return OnnxOp.one(op.e.op("softmax", op.e.out(0), "x", x, "axis", axis - rank));
        }
        // Before opset 13 Softmax flattens to 2-D at axis (default 1) and normalizes the trailing block.
        long axis = op.axis(op.attrInt("axis", 1), rank);
        boolean trailingOnes = true;
        for (int i = (int) axis + 1; i < rank; i++) trailingOnes &= dims.get(i).equals(Dim.of(1));
        if (axis == rank - 1 || trailingOnes) {
            if (!opsetKnown && !hasAxis && rank > 2) {
                throw op.fail("default axis differs before and after opset 13; set the onnx_opset option");
            }
            return OnnxOp.one(op.e.op("softmax", op.e.out(0), "x", x, "axis", axis - rank));
        }
        if (!opsetKnown) throw op.fail("axis " + axis + " of a rank-" + rank + " input means different things before and after opset 13; set the onnx_opset option");
        long[] shape = op.staticShape(0);
        if (shape == null) throw op.needsStaticShape(0, "opset " + op.opset.get() + " softmax over several axes needs a static input shape");
        long outer = 1;
        long inner = 1;
        for (int i = 0; i < rank; i++) {
            if (i < axis) outer *= shape[i];
            else inner *= shape[i];
        }
        Value flat = op.e.op("reshape", op.e.tmp("flat"), "x", x, "shape", new long[] {outer, inner});
        Value s = op.e.op("softmax", op.e.tmp("softmax"), "x", flat, "axis", -1L);
        return OnnxOp.one(op.e.op("reshape", op.e.out(0), "x", s, "shape", shape));
    }

    private static void reduce(Map<String, Lowering> m, String onnx, String mil, int axesInputFrom) {
        m.put(onnx, op -> {
            Value x = op.in(0);
            int rank = op.rank(0);
            long[] axes = op.attrInts("axes");
            if (axes == null && op.present(1)) axes = op.requireConstInts(1, "axes");
            boolean keep = op.attrInt("keepdims", 1) != 0;
            if (axes == null || axes.length == 0) {
                if (op.attrInt("noop_with_empty_axes", 0) != 0) return OnnxOp.one(x);
                axes = new long[rank];
                for (int i = 0; i < rank; i++) axes[i] = i;
            }
            long[] norm = new long[axes.length];
            for (int i = 0; i < axes.length; i++) norm[i] = op.axis(axes[i], rank);
            return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", x, "axes", norm, "keep_dims", keep));
        });
    }

    private static void argReduce(Map<String, Lowering> m, String onnx, String mil) {
        m.put(onnx, op -> {
            if (op.attrInt("select_last_index", 0) != 0) throw op.fail("select_last_index=1 has no MIL form");
            long axis = op.axis(op.attrInt("axis", 0), op.rank(0));
            return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", op.in(0), "axis", axis, "keep_dims", op.attrInt("keepdims", 1) != 0));
        });
    }
}
