package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The named operands of one mil op being built, with readers for constant parameters. */
final class MilArgs {

    private final List<String> names;
    private final List<Value> values;

    MilArgs(List<String> names, List<Value> values) {
        this.names = names;
        this.values = values;
    }

    boolean has(String param) { return names.contains(param); }

    /** The parameter names, one per operand (a tuple parameter repeated). */
    List<String> names() { return names; }

    /** The operands, in parameter order. */
    List<Value> values() { return values; }

    Value value(String param) {
        int i = names.indexOf(param);
        if (i < 0) throw new IllegalArgumentException("missing parameter " + param);
        return values.get(i);
    }

    List<Value> all(String param) {
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) if (names.get(i).equals(param)) out.add(values.get(i));
        return out;
    }

    DType dtype(String param) { return value(param).tensorType().dtype(); }

    List<Dim> dims(String param) {
        List<Dim> d = value(param).tensorType().dims();
        if (d == null) throw new IllegalArgumentException("parameter " + param + " has unknown rank");
        return d;
    }

    long[] ints(String param) { return longs(constant(param)); }

    boolean bool(String param) { return longs(constant(param))[0] != 0; }

    boolean[] bools(String param) {
        long[] v = longs(constant(param));
        boolean[] out = new boolean[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] != 0;
        return out;
    }

    double floatScalar(String param) {
        Value v = constant(param);
        TensorData d = v.data();
        ByteBuffer b = d.bytes();
        return switch (d.dtype()) {
            case FLOAT32 -> b.getFloat(0);
            case FLOAT16 -> dev.pare.ir.Float16.toFloat(b.getShort(0));
            default -> longs(v)[0];
        };
    }

    String string(String param) {
        TensorData d = constant(param).data();
        return new String(((StringData) d).element(0), StandardCharsets.UTF_8);
    }

    private Value constant(String param) {
        Value v = value(param);
        if (!v.isConstant()) throw new IllegalArgumentException("parameter " + param + " must be a constant");
        return v;
    }

    /** Values of an integer or bool constant. */
    static long[] longs(Value v) { return longs(v.data()); }

    /** Values of integer or bool data. */
    static long[] longs(TensorData d) {
        ByteBuffer b = d.bytes();
        int n = (int) d.elementCount();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (d.dtype()) {
                case INT32 -> b.getInt(i * 4);
                case INT64 -> b.getLong(i * 8);
                case BOOL, INT8 -> b.get(i);
                case UINT8 -> b.get(i) & 0xFF;
                case INT16 -> b.getShort(i * 2);
                case UINT16 -> b.getShort(i * 2) & 0xFFFF;
                case UINT32 -> b.getInt(i * 4) & 0xFFFFFFFFL;
                default -> throw new IllegalArgumentException("not an integer tensor (" + d.dtype().shortName() + ")");
            };
        }
        return out;
    }
}
