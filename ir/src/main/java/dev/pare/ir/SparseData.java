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

    /** Expands to dense bytes (zeros elsewhere). Throws on an index out of range. */
    @Override public ByteBuffer bytes() {
        long total = byteSize();
        if (total > Integer.MAX_VALUE) throw new IllegalStateException("sparse tensor too large to densify: " + type());
        int width = type().dtype().bits() / 8;
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer v = values.bytes();
        ByteBuffer ix = indices.bytes();
        long[] shape = type().shape();
        long count = type().elementCount();
        int nnz = (int) values.elementCount();
        boolean linear = indices.type().rank() == 1;
        for (int k = 0; k < nnz; k++) {
            long flat;
            if (linear) {
                flat = readIndex(ix, k);
            } else {
                flat = 0;
                for (int d = 0; d < shape.length; d++) {
                    long c = readIndex(ix, k * shape.length + d);
                    if (c < 0 || c >= shape[d]) throw new IllegalStateException("sparse index " + c + " out of range for dim " + d + " of " + type());
                    flat = flat * shape[d] + c;
                }
            }
            if (flat < 0 || flat >= count) throw new IllegalStateException("sparse index " + flat + " out of range for " + type());
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
