package dev.pare.passes.compression;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Location;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/**
 * Builds the constants and {@code pare} ops that reconstruct one weight, named after it
 * ({@code W_indices}, {@code W_lut}, ...), at the rewriter's insertion point. Counts the bytes of
 * the constants it creates (and of a reused sparsity mask), for the pass statistics.
 */
final class DenseChain {

    private final Rewriter rewriter;
    private final String weightName;
    private final long[] shape;
    private final DType dtype;
    private final Value existingMask;
    private final String passName;
    private final TensorStore store;
    private long bytes;
    private long storedBytes;
    private long kept = -1; // set bits of the existing mask, counted once
    private final List<Value> createdConstants = new java.util.ArrayList<>();
    private final List<Node> createdNodes = new java.util.ArrayList<>();

    DenseChain(Rewriter rewriter, String weightName, long[] shape, DType dtype, Value existingMask, String passName,
               TensorStore store) {
        this.rewriter = rewriter;
        this.weightName = weightName;
        this.shape = shape.clone();
        this.dtype = dtype;
        this.existingMask = existingMask;
        this.passName = passName;
        this.store = store;
        if (existingMask != null) bytes += existingMask.data().byteSize();
        storedBytes = bytes;
    }

    /** The sparsity mask of an already pruned weight, reused by joint compression (null if dense). */
    Value existingMask() { return existingMask; }

    long[] shape() { return shape.clone(); }

    /** Where the chain's new constants go ({@link dev.pare.spi.PassContext#tensorStore()}). */
    TensorStore store() { return store; }

    DType dtype() { return dtype; }

    /** A new constant named {@code W_suffix}. */
    Value constant(String suffix, TensorData data) {
        bytes += data.byteSize();
        storedBytes += storedSize(data);
        Value c = rewriter.addConstant(rewriter.uniqueValueName(weightName + "_" + suffix), data);
        createdConstants.add(c);
        return c;
    }

    /** A {@code pare} op producing the dense weight type, its result named {@code W_suffix}. */
    Value op(String op, String suffix, List<Value> operands, Attributes attributes) {
        String name = weightName + "_" + suffix;
        Node n = rewriter.createNode(rewriter.uniqueNodeName(name), op, operands,
                List.of(rewriter.uniqueValueName(name)), List.of(TensorType.of(dtype, shape)), attributes,
                Location.created(passName));
        createdNodes.add(n);
        return n.result(0);
    }

    /** Removes everything this chain created (its result must be unused again). */
    void undo() {
        for (int i = createdNodes.size() - 1; i >= 0; i--) rewriter.erase(createdNodes.get(i));
        for (Value c : createdConstants) rewriter.eraseConstant(c);
        createdNodes.clear();
        createdConstants.clear();
    }

    /**
     * Bytes the weight takes in a file: as {@link #bytes()}, except that codes at pruned positions
     * of a weight-shaped constant under a sparsity mask are not counted (Core ML's joint forms
     * store codes for kept values only).
     */
    long storedBytes() { return storedBytes; }

    private long storedSize(TensorData data) {
        if (existingMask == null || data.elementCount() != existingMask.data().elementCount()) return data.byteSize();
        if (kept < 0) {
            long total = existingMask.data().elementCount();
            java.nio.ByteBuffer m = existingMask.data().bytes();
            kept = 0;
            for (long e = 0; e < total; e++) kept += (m.get((int) (e >>> 3)) >>> (e & 7)) & 1;
        }
        return (kept * data.dtype().bits() + 7) / 8;
    }

    /** Bytes of every constant the chain holds. */
    long bytes() { return bytes; }
}
