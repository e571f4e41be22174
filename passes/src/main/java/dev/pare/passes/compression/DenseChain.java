package dev.pare.passes.compression;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Location;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
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
    private long bytes;

    DenseChain(Rewriter rewriter, String weightName, long[] shape, DType dtype, Value existingMask, String passName) {
        this.rewriter = rewriter;
        this.weightName = weightName;
        this.shape = shape.clone();
        this.dtype = dtype;
        this.existingMask = existingMask;
        this.passName = passName;
        if (existingMask != null) bytes += existingMask.data().byteSize();
    }

    /** The sparsity mask of an already pruned weight, reused by joint compression (null if dense). */
    Value existingMask() { return existingMask; }

    long[] shape() { return shape.clone(); }

    DType dtype() { return dtype; }

    /** A new constant named {@code W_suffix}. */
    Value constant(String suffix, TensorData data) {
        bytes += data.byteSize();
        return rewriter.addConstant(rewriter.uniqueValueName(weightName + "_" + suffix), data);
    }

    /** A {@code pare} op producing the dense weight type, its result named {@code W_suffix}. */
    Value op(String op, String suffix, List<Value> operands, Attributes attributes) {
        String name = weightName + "_" + suffix;
        Node n = rewriter.createNode(rewriter.uniqueNodeName(name), op, operands,
                List.of(rewriter.uniqueValueName(name)), List.of(TensorType.of(dtype, shape)), attributes,
                Location.created(passName));
        return n.result(0);
    }

    /** Bytes of every constant the chain holds. */
    long bytes() { return bytes; }
}
