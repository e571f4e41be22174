package dev.pare.compiler.coreml.eval;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.StringData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A dense tensor as {@link MilInterpreter} computes with it: float types (fp32, fp16) hold their
 * values as floats (fp16 values already rounded to fp16), integer and bool types as ints, strings
 * as one string. Row-major; immutable by convention.
 */
public final class MilTensor {

    private final DType dtype;
    private final int[] shape;
    private final float[] floats;
    private final int[] ints;
    private final String string;

    private MilTensor(DType dtype, int[] shape, float[] floats, int[] ints, String string) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.ints = ints;
        this.string = string;
    }

    /** A float tensor ({@code FLOAT32} or {@code FLOAT16}); fp16 values are rounded here (in place). */
    public static MilTensor floats(DType dtype, int[] shape, float[] values) {
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT16) throw new IllegalArgumentException("not a float type: " + dtype);
        check(shape, values.length);
        if (dtype == DType.FLOAT16) for (int k = 0; k < values.length; k++) values[k] = roundF16(values[k]);
        return new MilTensor(dtype, shape.clone(), values, null, null);
    }

    /** An integer or bool tensor; values must fit {@code dtype} (bool: 0 or 1). */
    public static MilTensor ints(DType dtype, int[] shape, int[] values) {
        if (dtype.isFloatingPoint() || dtype == DType.STRING) throw new IllegalArgumentException("not an integer type: " + dtype);
        check(shape, values.length);
        return new MilTensor(dtype, shape.clone(), null, values, null);
    }

    public static MilTensor string(String s) {
        return new MilTensor(DType.STRING, new int[0], null, null, s);
    }

    public static MilTensor scalar(float v) { return floats(DType.FLOAT32, new int[0], new float[] {v}); }

    private static void check(int[] shape, int n) {
        long p = 1;
        for (int d : shape) p *= d;
        if (p != n) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + n + " values");
    }

    static float roundF16(float f) { return Float16.toFloat(Float16.fromFloat(f)); }

    public DType dtype() { return dtype; }

    public int[] shape() { return shape.clone(); }

    int[] shapeRef() { return shape; }

    public int rank() { return shape.length; }

    public int size() { return floats != null ? floats.length : ints != null ? ints.length : 1; }

    public boolean isFloat() { return floats != null; }

    /** The float values (shared; do not modify). */
    float[] floatsRef() {
        if (floats == null) throw new IllegalArgumentException("expected a float tensor, got " + describe());
        return floats;
    }

    int[] intsRef() {
        if (ints == null) throw new IllegalArgumentException("expected an integer tensor, got " + describe());
        return ints;
    }

    /** Element {@code k} as a double (exact for every type held). */
    public double get(int k) { return floats != null ? floats[k] : ints[k]; }

    /** All elements as floats (a copy for integer tensors). */
    public float[] toFloats() {
        if (floats != null) return floats.clone();
        float[] out = new float[ints.length];
        for (int k = 0; k < out.length; k++) out[k] = ints[k];
        return out;
    }

    /** All elements as ints (floats truncated toward zero). */
    public int[] toInts() {
        if (ints != null) return ints.clone();
        if (floats == null) throw new IllegalArgumentException("expected a numeric tensor, got " + describe());
        int[] out = new int[floats.length];
        for (int k = 0; k < out.length; k++) out[k] = (int) floats[k];
        return out;
    }

    public String stringValue() {
        if (string == null) throw new IllegalArgumentException("expected a string, got " + describe());
        return string;
    }

    String describe() {
        return dtype.shortName() + Arrays.toString(shape);
    }

    /** The tensor held by a graph constant or given as input (integer types become ints of their type). */
    public static MilTensor of(TensorData d) {
        int[] shape = toInts(d.type().shape());
        if (d instanceof StringData) {
            StringData s = (StringData) d;
            if (s.size() != 1) throw new IllegalArgumentException("only scalar strings are supported, got " + d.type());
            return string(new String(s.element(0), StandardCharsets.UTF_8));
        }
        ByteBuffer b = d.bytes();
        int n = Math.toIntExact(d.elementCount());
        DType dt = d.dtype();
        switch (dt) {
            case FLOAT32: { float[] v = new float[n]; for (int k = 0; k < n; k++) v[k] = b.getFloat(k * 4); return floats(dt, shape, v); }
            case FLOAT16: { float[] v = new float[n]; for (int k = 0; k < n; k++) v[k] = Float16.toFloat(b.getShort(k * 2)); return floats(dt, shape, v); }
            case FLOAT64: { float[] v = new float[n]; for (int k = 0; k < n; k++) v[k] = (float) b.getDouble(k * 8); return floats(DType.FLOAT32, shape, v); }
            case BOOL: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.get(k) != 0 ? 1 : 0; return ints(dt, shape, v); }
            case INT8: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.get(k); return ints(dt, shape, v); }
            case UINT8: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.get(k) & 0xFF; return ints(dt, shape, v); }
            case INT16: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.getShort(k * 2); return ints(DType.INT32, shape, v); }
            case UINT16: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.getShort(k * 2) & 0xFFFF; return ints(DType.INT32, shape, v); }
            case INT32: case UINT32: { int[] v = new int[n]; for (int k = 0; k < n; k++) v[k] = b.getInt(k * 4); return ints(DType.INT32, shape, v); }
            case INT64: case UINT64: {
                int[] v = new int[n];
                for (int k = 0; k < n; k++) v[k] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, b.getLong(k * 8)));
                return ints(DType.INT32, shape, v);
            }
            default:
                if (dt.isSubByte()) {
                    int[] v = new int[n];
                    for (int k = 0; k < n; k++) v[k] = (int) SubByte.get(b, dt, k);
                    return ints(DType.INT32, shape, v);
                }
                throw new IllegalArgumentException("unsupported tensor type " + d.type());
        }
    }

    /** This tensor as IR constant data (fp32, fp16, int32, int8, uint8, bool or string). */
    public TensorData toData() {
        long[] s = new long[shape.length];
        for (int k = 0; k < s.length; k++) s[k] = shape[k];
        TensorType type = TensorType.of(dtype, s);
        if (string != null) return new StringData(type, java.util.List.of(string.getBytes(StandardCharsets.UTF_8)), java.util.Map.of());
        int n = size();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(dtype.byteSize(n))).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32: for (float v : floats) b.putFloat(v); break;
            case FLOAT16: for (float v : floats) b.putShort(Float16.fromFloat(v)); break;
            case INT32: for (int v : ints) b.putInt(v); break;
            case INT8: case UINT8: case BOOL: for (int v : ints) b.put((byte) v); break;
            default: throw new IllegalArgumentException("cannot export a " + dtype.shortName() + " tensor");
        }
        return TensorData.ofBuffer(type, b.flip());
    }

    static int[] toInts(long[] shape) {
        int[] s = new int[shape.length];
        for (int k = 0; k < s.length; k++) s[k] = Math.toIntExact(shape[k]);
        return s;
    }

    @Override public String toString() { return "MilTensor(" + describe() + ")"; }
}
