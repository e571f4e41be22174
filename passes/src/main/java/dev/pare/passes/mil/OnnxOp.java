package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** The ONNX node being lowered: its attributes, its operands as MIL sees them, and the emitter. */
final class OnnxOp {

    final Node node;
    final MilEmitter e;
    /** The model's ai.onnx opset when the pass was told it (option onnx_opset). */
    final Optional<Long> opset;
    /** Lowers the ONNX ops of a subgraph of this node in place (for If and Loop). */
    final BlockLowerer blocks;
    private final Function<Value, Value> milView;

    /** Lowers the ONNX nodes of a subgraph to mil ops, in place; block outputs end up computed inside it. */
    @FunctionalInterface
    interface BlockLowerer {
        void lower(Graph subgraph);
    }

    OnnxOp(Node node, MilEmitter e, Optional<Long> opset, Function<Value, Value> milView, BlockLowerer blocks) {
        this.node = node;
        this.e = e;
        this.opset = opset;
        this.milView = milView;
        this.blocks = blocks;
    }

    /** The subgraph held by graph attribute {@code name}. */
    Graph subgraph(String name) {
        Optional<Attribute> a = node.attributes().get(name);
        if (a.isEmpty() || !(a.get() instanceof Attribute.GraphAttr g)) throw fail("attribute '" + name + "' must be a graph");
        return g.value();
    }

    int inputs() { return node.operands().size(); }

    boolean present(int i) { return i < node.operands().size() && !node.operand(i).isAbsent(); }

    /** Operand {@code i} as a MIL value (int64/float64 constants become int32/float32 copies). */
    Value in(int i) {
        if (!present(i)) throw fail("input " + i + " is missing");
        return milView.apply(node.operand(i));
    }

    /** The ONNX operand itself (no dtype conversion). */
    Value raw(int i) { return node.operand(i); }

    TensorType type(int i) { return in(i).tensorType(); }

    List<Dim> dims(int i) {
        List<Dim> d = type(i).dims();
        if (d == null) throw fail("input " + i + " has an unknown rank");
        return d;
    }

    int rank(int i) { return dims(i).size(); }

    /** The static shape of operand {@code i}, or null. */
    long[] staticShape(int i) {
        TensorType t = type(i);
        return t.isStatic() ? t.shape() : null;
    }

    /** Whether operand {@code i} is a weight: a constant, or made from constants by a pare.* op. */
    boolean isConstLike(int i) {
        if (!present(i)) return false;
        Value v = node.operand(i);
        return v.isConstant() || (v.producer() != null && v.producer().dialect().equals("pare"));
    }

    /** An integer constant operand's values, or null if the operand is not a constant. */
    long[] constInts(int i) {
        if (!present(i) || !node.operand(i).isConstant()) return null;
        try {
            return MilArgs.longs(node.operand(i));
        } catch (IllegalArgumentException ex) {
            throw fail("input " + i + " must be an integer tensor");
        }
    }

    long[] requireConstInts(int i, String what) {
        long[] v = constInts(i);
        if (v == null) throw needsConstant(i, what + " must be a constant");
        return v;
    }

    /** A failure because operand {@code i} is computed; the message gets the user's fix added. */
    LoweringException needsConstant(int i, String message) {
        return new LoweringException(message, present(i) ? node.operand(i) : null, LoweringException.Need.VALUE);
    }

    /** A failure because operand {@code i} has no static shape; the message gets the user's fix added. */
    LoweringException needsStaticShape(int i, String message) {
        return new LoweringException(message, present(i) ? node.operand(i) : null, LoweringException.Need.SHAPE);
    }

    /** A float constant operand's values, or null if the operand is not a constant. */
    double[] constFloats(int i) {
        if (!present(i) || !node.operand(i).isConstant()) return null;
        TensorData d = node.operand(i).data();
        if (!(d instanceof DenseData)) throw fail("input " + i + " must be a dense tensor");
        ByteBuffer b = d.bytes();
        int n = (int) d.elementCount();
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = switch (d.dtype()) {
                case FLOAT32 -> b.getFloat(k * 4);
                case FLOAT64 -> b.getDouble(k * 8);
                case FLOAT16 -> Float16.toFloat(b.getShort(k * 2));
                default -> {
                    if (!d.dtype().isInteger()) throw fail("input " + i + " must be numeric");
                    yield MilArgs.longs(node.operand(i))[k];
                }
            };
        }
        return out;
    }

    double[] requireConstFloats(int i, String what) {
        double[] v = constFloats(i);
        if (v == null) throw needsConstant(i, what + " must be a constant");
        return v;
    }

    boolean hasAttr(String name) { return node.attributes().get(name).isPresent(); }

    long attrInt(String name, long fallback) { return node.attributes().getInt(name, fallback); }

    float attrFloat(String name, float fallback) { return node.attributes().getFloat(name, fallback); }

    String attrString(String name, String fallback) { return node.attributes().getString(name, fallback); }

    long[] attrInts(String name) {
        Optional<Attribute> a = node.attributes().get(name);
        if (a.isEmpty()) return null;
        if (!(a.get() instanceof Attribute.IntsAttr is)) throw fail("attribute '" + name + "' must be ints");
        return is.values().stream().mapToLong(Long::longValue).toArray();
    }

    float[] attrFloats(String name) {
        Optional<Attribute> a = node.attributes().get(name);
        if (a.isEmpty()) return null;
        if (!(a.get() instanceof Attribute.FloatsAttr fs)) throw fail("attribute '" + name + "' must be floats");
        float[] out = new float[fs.values().size()];
        for (int i = 0; i < out.length; i++) out[i] = fs.values().get(i);
        return out;
    }

    /** A float scalar constant with the dtype of {@code like} (fp16 or fp32). */
    Value floatLike(Value like, String hint, double v) {
        DType d = like.tensorType().dtype() == DType.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
        return e.constant(hint, MilEmitter.floatScalar(d, v));
    }

    /** A scalar constant with the dtype of {@code like}: int32, bool or float. */
    Value scalarLike(Value like, String hint, double v) {
        DType d = like.tensorType().dtype();
        if (d == DType.INT32) return e.constant(hint, MilEmitter.int32(new long[0], (long) v));
        if (d == DType.BOOL) return e.constant(hint, MilEmitter.bools(new long[0], v != 0));
        return floatLike(like, hint, v);
    }

    static long normalizeAxis(long axis, int rank) { return axis < 0 ? axis + rank : axis; }

    long axis(long a, int rank) {
        long v = normalizeAxis(a, rank);
        if (v < 0 || v >= rank) throw fail("axis " + a + " is out of range for rank " + rank);
        return v;
    }

    LoweringException fail(String message) { return new LoweringException(message); }

    static List<Value> one(Value v) { return java.util.Collections.singletonList(v); }
}
