package dev.pare.compiler.data;

import dev.pare.ir.DType;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;

/**
 * An array in a file whose first axis counts samples (a batch {@code .npy}, an {@code .npz} member,
 * raw float32). Reads one sample's slice at a time.
 */
interface BatchArray extends Closeable {

    /** The file (and member) for messages. */
    String where();

    DType dtype();

    /** The full shape; {@code shape()[0]} is the sample count. */
    long[] shape();

    /** The element bytes of slice {@code index} along the first axis. */
    byte[] read(int index) throws IOException;

    default int count() { return (int) shape()[0]; }

    default long[] sliceShape() { return Arrays.copyOfRange(shape(), 1, shape().length); }

    /** Bytes of one slice; checks that a slice fits in one Java array. */
    default int sliceBytes() throws DataException {
        long elements = 1;
        for (long d : sliceShape()) elements = Math.multiplyExact(elements, d);
        long bytes = dtype().byteSize(elements);
        if (bytes > Integer.MAX_VALUE - 8) throw new DataException(where() + ": one sample of " + bytes + " bytes is too large");
        return (int) bytes;
    }

    /** A sample count that fits an int, and a first axis to take samples from. */
    static void checkSampleAxis(String where, long[] shape) throws DataException {
        if (shape.length == 0) throw new DataException(where + ": a 0-d array has no sample axis; the first axis counts samples");
        if (shape[0] > Integer.MAX_VALUE) throw new DataException(where + ": " + shape[0] + " samples are too many");
    }
}
