package dev.pare.passes.compression.stats;

import dev.pare.ir.DType;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * One layer that reads a weight as y = W x (per group): the node, its activation input and output,
 * the weight's {@link WeightLayout} and how the input tensor turns into input vectors x
 * ({@link Vectors}). Built by {@link #of}, which says in one phrase why a node is not such a layer.
 *
 * <p>Supported: ONNX Conv (any group count, strides, pads, dilations, auto_pad), ConvTranspose
 * (explicit pads; not auto_pad SAME or output_shape), Gemm (transA, transB; alpha scales the
 * output), MatMul with a constant rank-2 B; MIL conv, conv_transpose (pad_type valid or custom),
 * linear and matmul with the weight as {@code y} (rank 2, transpose_x and transpose_y).
 */
public final class Layer {

    private final Node node;
    private final int inputOperand;
    private final WeightLayout layout;
    private final Vectors vectors;
    private final double alpha;

    private Layer(Node node, int inputOperand, WeightLayout layout, Vectors vectors, double alpha) {
        this.node = node;
        this.inputOperand = inputOperand;
        this.layout = layout;
        this.vectors = vectors;
        this.alpha = alpha;
    }

    public Node node() { return node; }

    /** The activation the layer's input vectors come from (the node's operand now: an Add a bias correction inserts before it counts). */
    public Value input() { return node.operand(inputOperand); }

    /** The layer's output (its mean is taken per output channel). */
    public Value output() { return node.result(0); }

    public WeightLayout layout() { return layout; }

    public Vectors vectors() { return vectors; }

    /** The factor the layer applies to W x (Gemm's alpha; 1 otherwise). */
    public double alpha() { return alpha; }

    /** The axis of the output tensor that holds the output channels (1 for convolutions, the last otherwise). */
    public int outputChannelAxis(int outputRank) {
        return vectors instanceof Vectors.Dense ? outputRank - 1 : 1;
    }

    /** Either a layer, or why the node cannot be treated as one. */
    public record Found(Optional<Layer> layer, String whyNot) {
        static Found no(String why) { return new Found(Optional.empty(), why); }

        static Found yes(Layer l) { return new Found(Optional.of(l), ""); }
    }

    /**
     * The layer of {@code node} reading a weight of shape {@code weightShape} as operand
     * {@code operand}, or why there is none.
     */
    public static Found of(Node node, int operand, long[] weightShape) {
        try {
            switch (node.op()) {
                case "onnx.Conv": return onnxConv(node, operand, weightShape, false);
                case "onnx.ConvTranspose": return onnxConv(node, operand, weightShape, true);
                case "onnx.Gemm": return onnxGemm(node, operand, weightShape);
                case "onnx.MatMul": return onnxMatMul(node, operand, weightShape);
                case "mil.conv": return milConv(node, operand, weightShape, false);
                case "mil.conv_transpose": return milConv(node, operand, weightShape, true);
                case "mil.linear": return milLinear(node, operand, weightShape);
                case "mil.matmul": return milMatmul(node, operand, weightShape);
                default: return Found.no("its consumer '" + node.name() + "' (" + node.op() + ") is not a supported layer");
            }
        } catch (IllegalArgumentException e) {
            return Found.no("its consumer '" + node.name() + "' (" + node.op() + ") " + e.getMessage());
        }
    }

    private static Found onnxConv(Node node, int operand, long[] w, boolean transposed) {
        if (operand != 1) return Found.no("it is not the weight operand of '" + node.name() + "'");
        if (w.length < 3) throw new IllegalArgumentException("has a weight of rank " + w.length);
        int spatial = w.length - 2;
        int groups = (int) node.attributes().getInt("group", 1);
        String autoPad = node.attributes().getString("auto_pad", "NOTSET");
        long[] pads = ints(node, "pads", new long[2 * spatial]);
        long[] strides = ints(node, "strides", ones(spatial));
        long[] dilations = ints(node, "dilations", ones(spatial));
        if (pads.length != 2 * spatial || strides.length != spatial || dilations.length != spatial) {
            throw new IllegalArgumentException("has pads, strides or dilations that do not fit " + spatial + " spatial axes");
        }
        long[] begin = Arrays.copyOf(pads, spatial);
        Vectors.Padding padding;
        switch (autoPad) {
            case "NOTSET": padding = new Vectors.Padding(Vectors.PadMode.EXPLICIT, begin); break;
            case "VALID": padding = new Vectors.Padding(Vectors.PadMode.EXPLICIT, new long[spatial]); break;
            case "SAME_UPPER": padding = new Vectors.Padding(Vectors.PadMode.SAME_UPPER, null); break;
            case "SAME_LOWER": padding = new Vectors.Padding(Vectors.PadMode.SAME_LOWER, null); break;
            default: throw new IllegalArgumentException("has auto_pad \"" + autoPad + "\"");
        }
        if (transposed) {
            if (padding.mode() != Vectors.PadMode.EXPLICIT || node.attributes().get("output_shape").isPresent()) {
                throw new IllegalArgumentException("has auto_pad SAME or output_shape (only explicit pads are supported)");
            }
            if (w[0] % groups != 0) throw new IllegalArgumentException("has " + w[0] + " input channels, not a multiple of group " + groups);
            return Found.yes(new Layer(node, 0, WeightLayout.inputFirst(w, groups),
                    new Vectors.Conv(true, groups, kernel(w), strides, dilations, padding), 1));
        }
        if (w[0] % groups != 0) throw new IllegalArgumentException("has " + w[0] + " output channels, not a multiple of group " + groups);
        return Found.yes(new Layer(node, 0, WeightLayout.outputFirst(w, groups),
                new Vectors.Conv(false, groups, kernel(w), strides, dilations, padding), 1));
    }

    private static Found onnxGemm(Node node, int operand, long[] w) {
        if (operand != 1) return Found.no("it is read as Gemm's A by '" + node.name() + "'");
        if (w.length != 2) throw new IllegalArgumentException("has a weight of rank " + w.length);
        boolean transA = node.attributes().getInt("transA", 0) != 0;
        boolean transB = node.attributes().getInt("transB", 0) != 0;
        double alpha = node.attributes().getFloat("alpha", 1f);
        WeightLayout layout = transB ? WeightLayout.outputFirst(w, 1) : WeightLayout.transposed(w);
        return Found.yes(new Layer(node, 0, layout, new Vectors.Dense(transA), alpha));
    }

    private static Found onnxMatMul(Node node, int operand, long[] w) {
        if (operand != 1) return Found.no("it is read as MatMul's A by '" + node.name() + "'");
        if (w.length != 2) throw new IllegalArgumentException("reads it with rank " + w.length + " (only a [K, N] weight is a layer)");
        return Found.yes(new Layer(node, 0, WeightLayout.transposed(w), new Vectors.Dense(false), 1));
    }

    private static Found milConv(Node node, int operand, long[] w, boolean transposed) {
        if (operand != MilParams.indexOf(node, "weight")) return Found.no("it is not the weight of '" + node.name() + "'");
        if (w.length < 3) throw new IllegalArgumentException("has a weight of rank " + w.length);
        int spatial = w.length - 2;
        int groups = (int) milInts(node, "groups", new long[] {1})[0];
        long[] strides = milInts(node, "strides", ones(spatial));
        long[] dilations = milInts(node, "dilations", ones(spatial));
        String padType = milString(node, "pad_type", "valid");
        long[] pad = milInts(node, "pad", new long[2 * spatial]);
        if (strides.length != spatial || dilations.length != spatial || pad.length != 2 * spatial) {
            throw new IllegalArgumentException("has pad, strides or dilations that do not fit " + spatial + " spatial axes");
        }
        long[] begin = new long[spatial];
        for (int i = 0; i < spatial; i++) begin[i] = pad[2 * i]; // MIL pads are [begin0, end0, begin1, end1, ...]
        Vectors.Padding padding;
        switch (padType) {
            case "valid": padding = new Vectors.Padding(Vectors.PadMode.EXPLICIT, new long[spatial]); break;
            case "custom": padding = new Vectors.Padding(Vectors.PadMode.EXPLICIT, begin); break;
            case "same": padding = new Vectors.Padding(Vectors.PadMode.SAME_UPPER, null); break;
            case "same_lower": padding = new Vectors.Padding(Vectors.PadMode.SAME_LOWER, null); break;
            default: throw new IllegalArgumentException("has pad_type \"" + padType + "\"");
        }
        int x = MilParams.indexOf(node, "x");
        if (x < 0) throw new IllegalArgumentException("has no x");
        if (transposed) {
            if (padding.mode() != Vectors.PadMode.EXPLICIT) throw new IllegalArgumentException("has pad_type \"" + padType + "\" (only valid and custom are supported)");
            if (w[0] % groups != 0) throw new IllegalArgumentException("has " + w[0] + " input channels, not a multiple of groups " + groups);
            return Found.yes(new Layer(node, x, WeightLayout.inputFirst(w, groups),
                    new Vectors.Conv(true, groups, kernel(w), strides, dilations, padding), 1));
        }
        if (w[0] % groups != 0) throw new IllegalArgumentException("has " + w[0] + " output channels, not a multiple of groups " + groups);
        return Found.yes(new Layer(node, x, WeightLayout.outputFirst(w, groups),
                new Vectors.Conv(false, groups, kernel(w), strides, dilations, padding), 1));
    }

    private static Found milLinear(Node node, int operand, long[] w) {
        if (operand != MilParams.indexOf(node, "weight")) return Found.no("it is not the weight of '" + node.name() + "'");
        if (w.length != 2) throw new IllegalArgumentException("has a weight of rank " + w.length);
        int x = MilParams.indexOf(node, "x");
        if (x < 0) throw new IllegalArgumentException("has no x");
        return Found.yes(new Layer(node, x, WeightLayout.outputFirst(w, 1), new Vectors.Dense(false), 1));
    }

    private static Found milMatmul(Node node, int operand, long[] w) {
        if (operand != MilParams.indexOf(node, "y")) return Found.no("it is read as matmul's x by '" + node.name() + "'");
        if (w.length != 2) throw new IllegalArgumentException("reads it with rank " + w.length + " (only a rank-2 y is a layer)");
        boolean tx = milInts(node, "transpose_x", new long[] {0})[0] != 0;
        boolean ty = milInts(node, "transpose_y", new long[] {0})[0] != 0;
        int x = MilParams.indexOf(node, "x");
        if (x < 0) throw new IllegalArgumentException("has no x");
        WeightLayout layout = ty ? WeightLayout.outputFirst(w, 1) : WeightLayout.transposed(w);
        return Found.yes(new Layer(node, x, layout, new Vectors.Dense(tx), 1));
    }

    private static long[] kernel(long[] w) {
        return Arrays.copyOfRange(w, 2, w.length);
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }

    private static long[] ints(Node node, String name, long[] fallback) {
        return node.attributes().get(name).map(a -> {
            if (a instanceof dev.pare.ir.Attribute.IntsAttr i) return i.values().stream().mapToLong(Long::longValue).toArray();
            throw new IllegalArgumentException("has a non-integer '" + name + "'");
        }).orElse(fallback);
    }

    /** A constant integer or bool operand of a MIL op as longs; {@code fallback} when absent. */
    private static long[] milInts(Node node, String param, long[] fallback) {
        Optional<Value> v = MilParams.get(node, param);
        if (v.isEmpty()) return fallback;
        if (!v.get().isConstant()) throw new IllegalArgumentException("has a non-constant '" + param + "'");
        TensorData d = v.get().data();
        int n = Math.toIntExact(d.elementCount());
        ByteBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            DType t = d.dtype();
            switch (t) {
                case BOOL: case INT8: case UINT8: out[i] = b.get(i); break;
                case INT16: case UINT16: out[i] = b.getShort(2 * i); break;
                case INT32: case UINT32: out[i] = b.getInt(4 * i); break;
                case INT64: case UINT64: out[i] = b.getLong(8 * i); break;
                default: throw new IllegalArgumentException("has '" + param + "' of type " + t);
            }
        }
        return out;
    }

    private static String milString(Node node, String param, String fallback) {
        Optional<Value> v = MilParams.get(node, param);
        if (v.isEmpty()) return fallback;
        if (!v.get().isConstant() || !(v.get().data() instanceof StringData s) || s.size() != 1) {
            throw new IllegalArgumentException("has a '" + param + "' that is not a constant string");
        }
        return new String(s.element(0), StandardCharsets.UTF_8);
    }

    /** Two layers read their inputs the same way (so they can share one accumulator). */
    String inputKey() {
        return input().name() + "|" + vectors.key() + "|" + layout.cols() + "|" + layout.groups();
    }

    @Override public String toString() {
        return node.name() + " (" + node.op() + ", " + layout + ")";
    }
}
