package dev.pare.ir;

import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * A tensor type: element type and shape. {@code dims == null} means the rank is unknown.
 */
public record TensorType(DType dtype, List<Dim> dims) implements Type {

    public TensorType {
        if (dtype == null) throw new IllegalArgumentException("dtype is null");
        dims = dims == null ? null : List.copyOf(dims);
    }

    public static TensorType of(DType dtype, long... shape) {
        Dim[] d = new Dim[shape.length];
        for (int i = 0; i < shape.length; i++) d[i] = Dim.of(shape[i]);
        return new TensorType(dtype, List.of(d));
    }

    public static TensorType unranked(DType dtype) { return new TensorType(dtype, null); }

    public static TensorType unknown() { return new TensorType(DType.UNDEFINED, null); }

    public boolean hasRank() { return dims != null; }

    public int rank() {
        if (dims == null) throw new IllegalStateException("rank unknown");
        return dims.size();
    }

    /** True if every dimension is fixed. */
    public boolean isStatic() {
        return dims != null && dims.stream().allMatch(d -> d instanceof Dim.Fixed);
    }

    /** The fixed shape; throws if any dimension is not fixed. */
    public long[] shape() {
        if (!isStatic()) throw new IllegalStateException("shape is not static: " + this);
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) s[i] = ((Dim.Fixed) dims.get(i)).size();
        return s;
    }

    /**
     * Element count for a static shape.
     *
     * @throws ArithmeticException on overflow
     */
    public long elementCount() {
        long n = 1;
        for (long d : shape()) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Byte size of a dense static tensor of this type, empty if it has no fixed byte size. */
    public OptionalLong byteSize() {
        if (!isStatic() || dtype.bits() == 0) return OptionalLong.empty();
        return OptionalLong.of(dtype.byteSize(elementCount()));
    }

    public TensorType withDType(DType d) { return new TensorType(d, dims); }

    @Override public String toString() {
        if (dims == null) return dtype.shortName() + "[*]";
        return dims.stream().map(Object::toString).collect(Collectors.joining(",", dtype.shortName() + "[", "]"));
    }
}
