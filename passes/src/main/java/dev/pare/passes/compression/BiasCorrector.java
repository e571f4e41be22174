package dev.pare.passes.compression;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.stats.Layer;
import dev.pare.passes.compression.stats.WeightLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bias correction of compressed layers: decodes the compressed weight Ŵ exactly through the pare
 * dialect evaluator, and adds a per-output-channel correction to the layer's bias, which stays
 * float: ONNX Conv / ConvTranspose {@code B}, Gemm {@code C} (divided by beta; a {@code [N]} or
 * {@code [1, N]} constant), the {@code [N]} constant of the one Add that follows a MatMul, the
 * {@code bias} of MIL conv, conv_transpose and linear. A layer without such a bias gets one: an
 * Add ({@code onnx.Add} or {@code mil.add}) of a new constant right after it, the layer's output
 * name moving to the Add's result so that the model's interface does not change.
 */
final class BiasCorrector {

    private BiasCorrector() {}

    /** A bias the corrector owns (a constant only it reads), and its values before any correction. */
    static final class Edit {
        final Value bias;
        final float[] original;
        final double scale; // 1 / beta for Gemm's C
        final Graph graph;

        Edit(Value bias, float[] original, double scale) {
            this.bias = bias;
            this.original = original;
            this.scale = scale;
            this.graph = bias.graph();
        }

        /** Sets the bias to its original values plus {@code delta} (per output channel). */
        void set(double[] delta) {
            float[] v = new float[original.length];
            int channels = delta.length;
            for (int i = 0; i < v.length; i++) v[i] = (float) (original[i] + scale * delta[i % channels]);
            DType dtype = bias.data().dtype();
            graph.rewriter().setConstantData(bias, Tensors.ofFloats(dtype, bias.data().type().shape(), v));
        }
    }

    /** The dense values of a weight value, decoding {@code pare.*} ops on constants. */
    static float[] decode(Value v) {
        return Tensors.floats(evaluate(v));
    }

    private static TensorData evaluate(Value v) {
        if (v.isConstant()) return v.data();
        Node p = v.producer();
        if (p == null || !PareDialectEvaluator.isPareWeightOp(p.op())) {
            throw new IllegalStateException("weight '" + v.name() + "' is not decoded by pare ops from constants");
        }
        List<TensorData> operands = new ArrayList<>();
        for (Value o : p.operands()) operands.add(o.isAbsent() ? null : evaluate(o));
        return PareDialectEvaluator.evaluate(p.op(), operands, p.attributes());
    }

    /** W x per output channel for input means {@code mean[group][col]}, times the layer's alpha. */
    static double[] product(WeightLayout layout, float[] w, double[][] mean, double alpha) {
        double[] out = new double[layout.outputChannels()];
        for (int g = 0; g < layout.groups(); g++) {
            for (int r = 0; r < layout.rows(); r++) {
                double s = 0;
                for (int c = 0; c < layout.cols(); c++) s += w[layout.index(g, r, c)] * mean[g][c];
                out[layout.outputChannel(g, r)] = alpha * s;
            }
        }
        return out;
    }

    /** The bias of {@code layer} to correct, made a constant only it reads (added when there is none). */
    static Edit edit(Layer layer, String passName) {
        Node n = layer.node();
        int channels = layer.layout().outputChannels();
        switch (n.op()) {
            case "onnx.Conv":
            case "onnx.ConvTranspose":
                if (n.operands().size() > 2 && fits(n.operand(2), channels, false)) return own(n, 2, 1, passName);
                break;
            case "onnx.Gemm":
                if (n.operands().size() > 2 && fits(n.operand(2), channels, true)) {
                    double beta = n.attributes().getFloat("beta", 1f);
                    if (beta != 0) return own(n, 2, 1 / beta, passName);
                }
                break;
            case "onnx.MatMul": {
                List<Value.Use> uses = n.result(0).uses();
                if (uses.size() == 1 && uses.get(0).user().op().equals("onnx.Add") && !n.graph().isOutput(n.result(0))) {
                    Node add = uses.get(0).user();
                    int other = 1 - uses.get(0).operandIndex();
                    if (fits(add.operand(other), channels, true)) return own(add, other, 1, passName);
                }
                break;
            }
            case "mil.conv":
            case "mil.conv_transpose":
            case "mil.linear": {
                int i = MilParams.indexOf(n, "bias");
                if (i >= 0 && fits(n.operand(i), channels, false)) return own(n, i, 1, passName);
                break;
            }
            default:
                break;
        }
        return added(layer, passName);
    }

    /** A constant of {@code channels} values along its last axis (all other axes 1; {@code [1, N]} only when {@code rowOk}). */
    private static boolean fits(Value v, int channels, boolean rowOk) {
        if (v.isAbsent() || !v.isConstant() || !Tensors.isFloatWeight(v.data().dtype())) return false;
        long[] s = v.data().type().shape();
        if (s.length == 1) return s[0] == channels;
        return rowOk && s.length == 2 && s[0] == 1 && s[1] == channels;
    }

    /** Operand {@code i} of {@code node} as a constant only it reads (copied when shared). */
    private static Edit own(Node node, int i, double scale, String passName) {
        Value b = node.operand(i);
        Rewriter rw = node.graph().rewriter();
        if (b.uses().size() > 1 || b.graph() != node.graph() || b.graph().isOutput(b)) {
            Value copy = node.graph().rewriter().addConstant(rw.uniqueValueName(b.name() + "_corrected"), b.data());
            rw.setOperand(node, i, copy);
            b = copy;
        }
        return new Edit(b, Tensors.floats(b.data()), scale);
    }

    /** Adds {@code y + b} after the layer, b = 0 to start with. */
    private static Edit added(Layer layer, String passName) {
        Node n = layer.node();
        Graph g = n.graph();
        Value y = n.result(0);
        int rank = y.tensorType().rank();
        int channels = layer.layout().outputChannels();
        int axis = layer.outputChannelAxis(rank);
        long[] shape = new long[rank - axis]; // [C, 1, ..., 1] for channels-first, [N] for the last axis
        java.util.Arrays.fill(shape, 1);
        shape[0] = channels;
        DType dtype = y.tensorType().dtype() == DType.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
        Rewriter top = g.rewriter();
        Value bias = top.addConstant(top.uniqueValueName(n.name() + "_bias"), Tensors.ofFloats(dtype, shape, new float[channels]));
        List<Value.Use> uses = new ArrayList<>(y.uses());
        Rewriter rw = g.rewriter();
        int index = g.nodes().indexOf(n);
        if (index + 1 < g.nodes().size()) rw.setInsertionPointBefore(g.nodes().get(index + 1));
        else rw.setInsertionPointToEnd();
        boolean mil = n.dialect().equals("mil");
        Attributes attributes = mil ? Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "y")))) : Attributes.empty();
        String name = y.name();
        Node add = rw.createNode(rw.uniqueNodeName(n.name() + "_bias_correction"), mil ? "mil.add" : "onnx.Add", List.of(y, bias),
                List.of(rw.uniqueValueName(name + "_corrected")), List.of(y.tensorType()), attributes, Location.created(passName));
        Value z = add.result(0);
        for (Value.Use u : uses) rw.setOperand(u.user(), u.operandIndex(), z);
        for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == y) rw.setOutput(i, z);
        rw.renameValue(y, rw.uniqueValueName(name + "_uncorrected"));
        rw.renameValue(z, name);
        return new Edit(bias, new float[channels], 1);
    }
}
