package dev.pare.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A dense tensor stored as its non-zero values and their indices (ONNX {@code SparseTensorProto}):
 * {@code indices} is int64 {@code [nnz]} (linear) or {@code [nnz, rank]} (coordinates).
 */
public final class SparseData extends TensorData {

    private final DenseData values;
    private final DenseData indices;

    public SparseData(TensorType denseType, DenseData values, DenseData indices, Map<String, String> annotations) {
        super(denseType, annotations);
        if (values.dtype() != denseType.dtype()) {
            throw new IllegalArgumentException("sparse values are " + values.dtype() + " but the tensor is " + denseType);
        }
        if (denseType.dtype().isSubByte()) {
            throw new IllegalArgumentException("sparse tensors of sub-byte type " + denseType.dtype() + " are not supported");
        }
        long[] vs = values.type().shape();
        if (vs.length != 1) throw new IllegalArgumentException("sparse values must be 1-D, got " + values.type());
        long nnz = vs[0];
        long[] is = indices.type().shape();
        int rank = denseType.rank();
        boolean linear = is.length == 1 && is[0] == nnz;
        boolean coords = is.length == 2 && is[0] == nnz && is[1] == rank;
        if (!(linear || coords) || (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32
                && indices.dtype() != DType.INT16 && indices.dtype() != DType.INT8)) {
            throw new IllegalArgumentException("sparse indices " + indices.type() + " do not fit " + nnz
                    + " values of a rank-" + rank + " tensor");
        }
        this.values = values;
        this.indices = indices;
    }

    public DenseData values() { return values; }

    public DenseData indices() { return indices; }

    public long nonZeroCount() { return values.elementCount(); }

    @Override public SparseData withAnnotations(Map<String, String> annotations) {
        return new SparseData(type(), values, indices, annotations);
    }

    @Override public long byteSize() { return type().byteSize().orElseThrow(); }

    /**
     * Whether {@link #bytes()} can expand this tensor: its dense form fits one Java buffer. A
     * pruned weight may declare far more elements than that (ONNX stores it sparse for that
     * reason), so code that handles any constant checks this before asking for dense bytes.
     */
    public boolean isDensifiable() { return byteSize() <= MAX_DENSE_BYTES; }

    /** Largest dense form {@link #bytes()} builds. */
    public static final long MAX_DENSE_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Whether {@code other} holds the same dense value, compared on the sparse forms (so it works
     * for tensors too large to expand): same type and the same non-zero entries, whatever their
     * order or whether zeros are stored explicitly.
     */
    public boolean sameValue(SparseData other) {
        if (!type().equals(other.type())) return false;
        Entries a = entries();
        Entries b = other.entries();
        if (a.flat.length != b.flat.length) return false;
        int width = type().dtype().bits() / 8;
        ByteBuffer va = values.bytes();
        ByteBuffer vb = other.values.bytes();
        for (int i = 0; i < a.flat.length; i++) {
            if (a.flat[i] != b.flat[i]) return false;
            for (int k = 0; k < width; k++) {
                if (va.get(a.source[i] * width + k) != vb.get(b.source[i] * width + k)) return false;
            }
        }
        return true;
    }

    /**
     * Dense tensors hash their dense bytes; so does a sparse one that can be expanded (equal values
     * get equal digests whatever the storage). A larger one hashes its canonical entries instead
     * (sorted flat indices and their non-zero values), which never expands it.
     */
    @Override protected String computeDigest() {
        if (isDensifiable()) return super.computeDigest();
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        md.update(("sparse:" + type()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0);
        Entries e = entries();
        int width = type().dtype().bits() / 8;
        ByteBuffer v = values.bytes();
        ByteBuffer index = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < e.flat.length; i++) {
            md.update(index.clear().putLong(e.flat[i]).flip());
            md.update(v.duplicate().position(e.source[i] * width).limit(e.source[i] * width + width));
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** Non-zero entries in flat-index order: {@code flat[i]} holds value number {@code source[i]}. */
    private record Entries(long[] flat, int[] source) {}

    /** The canonical entries: sorted by flat index, the last write of an index wins, zeros dropped. */
    private Entries entries() {
        int nnz = (int) values.elementCount();
        long[] flat = new long[nnz];
        ByteBuffer ix = indices.bytes();
        for (int k = 0; k < nnz; k++) flat[k] = flatIndex(ix, k);
        Integer[] order = new Integer[nnz];
        for (int k = 0; k < nnz; k++) order[k] = k;
        java.util.Arrays.sort(order, (x, y) -> flat[x] != flat[y] ? Long.compare(flat[x], flat[y]) : Integer.compare(x, y));
        int width = type().dtype().bits() / 8;
        ByteBuffer v = values.bytes();
        long[] outFlat = new long[nnz];
        int[] outSource = new int[nnz];
        int n = 0;
        for (int i = 0; i < nnz; i++) {
            int k = order[i];
            if (i + 1 < nnz && flat[order[i + 1]] == flat[k]) continue; // a later write of the same index wins
            boolean zero = true;
            for (int b = 0; b < width && zero; b++) zero = v.get(k * width + b) == 0;
            if (zero) continue;
            outFlat[n] = flat[k];
            outSource[n++] = k;
        }
        return new Entries(java.util.Arrays.copyOf(outFlat, n), java.util.Arrays.copyOf(outSource, n));
    }

    /**
     * Checks that every index lies inside the dense shape, without expanding the tensor.
     *
     * @throws IllegalStateException naming the first index out of range
     */
    public void checkIndices() {
        ByteBuffer ix = indices.bytes();
        int nnz = (int) values.elementCount();
        for (int k = 0; k < nnz; k++) flatIndex(ix, k);
    }

    /** The flat index of value {@code k}; throws on an index out of range. */
    private long flatIndex(ByteBuffer ix, int k) {
        long[] shape = type().shape();
        long flat;
        if (indices.type().rank() == 1) {
            flat = readIndex(ix, k);
        } else {
            flat = 0;
            for (int d = 0; d < shape.length; d++) {
                long c = readIndex(ix, k * shape.length + d);
                if (c < 0 || c >= shape[d]) throw new IllegalStateException("sparse index " + c + " out of range for dim " + d + " of " + type());
                flat = flat * shape[d] + c;
            }
        }
        if (flat < 0 || flat >= type().elementCount()) throw new IllegalStateException("sparse index " + flat + " out of range for " + type());
        return flat;
    }

    /** Expands to dense bytes (zeros elsewhere). Throws on an index out of range or a tensor that is not {@link #isDensifiable()}. */
    @Override public ByteBuffer bytes() {
        long total = byteSize();
        if (!isDensifiable()) {
            throw new IllegalStateException("sparse tensor " + type() + " is too large to expand: its dense form needs "
                    + byteSize() + " bytes, more than the " + MAX_DENSE_BYTES + " one buffer holds");
        }
        int width = type().dtype().bits() / 8;
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer v = values.bytes();
        ByteBuffer ix = indices.bytes();
        int nnz = (int) values.elementCount();
        for (int k = 0; k < nnz; k++) {
            long flat = flatIndex(ix, k);
            for (int b = 0; b < width; b++) out.put((int) (flat * width + b), v.get(k * width + b));
        }
        return out.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private long readIndex(ByteBuffer ix, int i) {
        return switch (indices.dtype()) {
            case INT64 -> ix.getLong(i * 8);
            case INT32 -> ix.getInt(i * 4);
            case INT16 -> ix.getShort(i * 2);
            default -> ix.get(i);
        };
    }
}
