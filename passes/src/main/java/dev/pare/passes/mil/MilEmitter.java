package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds {@code mil.*} nodes with named operands for one ONNX node being lowered. Parameters are
 * given as name/value pairs; a value is an IR {@link Value}, a list of Values (a tuple parameter),
 * or a Java value that becomes a constant named {@code <node>_<param>}: {@code long[]} = int32
 * tensor, {@code Long}/{@code Integer} = int32 scalar, {@code Boolean} = bool scalar,
 * {@code boolean[]} = bool tensor, {@code String} = string scalar, {@code Double}/{@code Float} =
 * float scalar of x's dtype (fp16 when x is fp16, else fp32). Result types come from
 * {@link MilShapeInference}.
 */
final class MilEmitter {

    private final Rewriter rw;
    private final Location location;
    private final String base;
    private final List<String> resultNames;
    private final List<Value> created = new ArrayList<>();

    MilEmitter(Rewriter rw, Location location, String base, List<String> resultNames) {
        this.rw = rw;
        this.location = location;
        this.base = base;
        this.resultNames = resultNames;
    }

    /** The name of the ONNX node's result {@code i}: give it to the op that computes that result. */
    String out(int i) { return resultNames.get(i); }

    /** A name for an intermediate value. */
    String tmp(String suffix) { return base + "_" + suffix; }

    /** Values created for this node (results and constants). */
    List<Value> created() { return created; }

    Value op(String op, String resultName, Object... params) {
        return ops(op, List.of(resultName), params).get(0);
    }

    List<Value> ops(String op, List<String> resultNames, Object... params) {
        String nodeName = rw.uniqueNodeName(resultNames.get(0));
        MilArgs args = operands(nodeName, params);
        return create(op, nodeName, resultNames, MilShapeInference.infer(op, args), args, Attributes.empty());
    }

    /**
     * An op with nested blocks ({@code cond}, {@code while_loop}): the blocks are already built
     * subgraphs of the graph being lowered, the result types those the blocks give.
     */
    List<Value> blockOp(String op, List<String> resultNames, List<TensorType> types, List<Graph> blocks, Object... params) {
        String nodeName = rw.uniqueNodeName(resultNames.get(0));
        MilArgs args = operands(nodeName, params);
        return create(op, nodeName, resultNames, types, args, Attributes.of(Map.of("blocks", new Attribute.GraphsAttr(blocks))));
    }

    private MilArgs operands(String nodeName, Object... params) {
        if (params.length % 2 != 0) throw new IllegalArgumentException("parameters must be name/value pairs");
        DType floatType = DType.FLOAT32;
        for (int i = 0; i < params.length; i += 2) {
            if (params[i].equals("x") && params[i + 1] instanceof Value v && v.tensorType().dtype() == DType.FLOAT16) {
                floatType = DType.FLOAT16;
            }
        }
        List<String> names = new ArrayList<>();
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < params.length; i += 2) {
            String param = (String) params[i];
            Object v = params[i + 1];
            if (v == null) continue;
            if (v instanceof List<?> list) {
                for (Object o : list) {
                    names.add(param);
                    values.add((Value) o);
                }
            } else {
                names.add(param);
                values.add(v instanceof Value val ? val : constant(nodeName + "_" + param, v, floatType));
            }
        }
        return new MilArgs(names, values);
    }

    private List<Value> create(String op, String nodeName, List<String> resultNames, List<TensorType> types, MilArgs args,
            Attributes extra) {
        List<String> valueNames = new ArrayList<>();
        for (String rn : resultNames) valueNames.add(rw.uniqueValueName(rn));
        Attributes attributes = extra.with(MilParams.ATTRIBUTE, MilParams.attribute(args.names()));
        Node n = rw.createNode(nodeName, "mil." + op, args.values(), valueNames, types, attributes, location);
        created.addAll(n.results());
        return n.results();
    }

    /**
     * A {@code pare.*} op (ir/PARE_DIALECT.md) with positional operands and the given result type:
     * the writers turn it into the format's own form (e.g. a constexpr op in Core ML).
     */
    Value pareOp(String op, String resultName, TensorType type, Value... operands) {
        String nodeName = rw.uniqueNodeName(resultName);
        Node n = rw.createNode(nodeName, "pare." + op, List.of(operands), List.of(rw.uniqueValueName(resultName)),
                List.of(type), Attributes.empty(), location);
        created.addAll(n.results());
        return n.result(0);
    }

    /** A constant from a Java value (see the class comment). */
    Value constant(String hint, Object v, DType floatType) {
        TensorData data;
        if (v instanceof long[] ints) data = int32(new long[] {ints.length}, ints);
        else if (v instanceof Long l) data = int32(new long[0], l);
        else if (v instanceof Integer i) data = int32(new long[0], i);
        else if (v instanceof Boolean b) data = bools(new long[0], b);
        else if (v instanceof boolean[] bs) data = bools(new long[] {bs.length}, bs);
        else if (v instanceof String s) data = string(s);
        else if (v instanceof Double d) data = floatScalar(floatType, d);
        else if (v instanceof Float f) data = floatScalar(floatType, f);
        else if (v instanceof TensorData t) data = t;
        else throw new IllegalArgumentException("cannot make a constant of " + v.getClass().getSimpleName());
        return constant(hint, data);
    }

    Value constant(String hint, TensorData data) {
        Value c = rw.addConstant(rw.uniqueValueName(hint), data);
        created.add(c);
        return c;
    }

    static TensorData int32(long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putInt(Math.toIntExact(v));
        return TensorData.ofBuffer(TensorType.of(DType.INT32, shape), b.flip());
    }

    static TensorData bools(long[] shape, boolean... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (values[i] ? 1 : 0);
        return TensorData.of(TensorType.of(DType.BOOL, shape), b);
    }

    static TensorData string(String s) {
        return new StringData(TensorType.of(DType.STRING), List.of(s.getBytes(StandardCharsets.UTF_8)), Map.of());
    }

    static TensorData floatScalar(DType d, double v) {
        if (d == DType.FLOAT16) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort(Float16.fromFloat((float) v));
            return TensorData.ofBuffer(TensorType.of(DType.FLOAT16), b.flip());
        }
        return TensorData.ofFloats(new long[0], (float) v);
    }
}
