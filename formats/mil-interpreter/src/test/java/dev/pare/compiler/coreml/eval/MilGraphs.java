package dev.pare.compiler.coreml.eval;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
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

/** Builds small mil graphs for interpreter tests: one op on inputs and constant parameters. */
final class MilGraphs {

    private final Graph graph = new Graph("main");
    private final Rewriter rw = graph.rewriter();
    private int constants;

    Graph graph() { return graph; }

    Value input(String name, DType dtype, long... shape) {
        return rw.addInput(name, TensorType.of(dtype, shape));
    }

    Value constant(TensorData data) {
        return rw.addConstant(rw.uniqueValueName("c" + constants++), data);
    }

    /** A node {@code mil.op} binding {@code params} (name, value pairs) with {@code results} results. */
    List<Value> node(String op, int results, Object... params) {
        List<Value> operands = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < params.length; i += 2) {
            names.add((String) params[i]);
            Object v = params[i + 1];
            operands.add(v instanceof Value ? (Value) v : constant((TensorData) v));
        }
        List<String> resultNames = new ArrayList<>();
        List<dev.pare.ir.Type> types = new ArrayList<>();
        for (int r = 0; r < results; r++) {
            resultNames.add(rw.uniqueValueName(op + "_out" + r));
            types.add(TensorType.unknown());
        }
        return rw.createNode(rw.uniqueNodeName(op), "mil." + op, operands, resultNames, types,
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(names))), Location.UNKNOWN).results();
    }

    Value node(String op, Object... params) {
        return node(op, 1, params).get(0);
    }

    void output(Value v) { rw.addOutput(v); }

    // ---- constants ---------------------------------------------------------------------------

    static TensorData f32(long[] shape, float... v) { return TensorData.ofFloats(shape, v); }

    static TensorData f32(float v) { return TensorData.ofFloats(new long[0], v); }

    static TensorData f16(long[] shape, float... v) {
        return MilTensor.floats(DType.FLOAT16, MilTensor.toInts(shape), v.clone()).toData();
    }

    static TensorData i32(long[] shape, int... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return TensorData.ofBuffer(TensorType.of(DType.INT32, shape), b.flip());
    }

    static TensorData ints(int... v) { return i32(new long[] {v.length}, v); }

    static TensorData i32(int v) { return i32(new long[0], v); }

    static TensorData bool(boolean v) { return TensorData.of(TensorType.of(DType.BOOL), new byte[] {(byte) (v ? 1 : 0)}); }

    static TensorData bools(boolean... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) (v[i] ? 1 : 0);
        return TensorData.of(TensorType.of(DType.BOOL, v.length), b);
    }

    static TensorData str(String s) {
        return new StringData(TensorType.of(DType.STRING), List.of(s.getBytes(StandardCharsets.UTF_8)), Map.of());
    }
}
