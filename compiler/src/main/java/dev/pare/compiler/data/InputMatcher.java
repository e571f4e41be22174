package dev.pare.compiler.data;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/**
 * Checks an array read from a file against a model input. The dtype must be the input's; the
 * shape must have the input's rank and its fixed dims. An array with one axis fewer than the input
 * gets a leading batch axis of 1 when the input's first dim is 1 or not fixed, so that a single
 * image {@code [1,28,28]} (or one slice of a batch file) feeds an input {@code [N,1,28,28]}.
 */
final class InputMatcher {

    private InputMatcher() {}

    /**
     * The shape to feed {@code input}, or a one-line error naming {@code where} and the input.
     */
    static long[] fit(String where, Value input, DType dtype, long[] shape) throws DataException {
        TensorType want = input.tensorType();
        if (dtype != want.dtype()) throw mismatch(where, input, dtype, shape);
        if (!want.hasRank()) return shape;
        List<Dim> dims = want.dims();
        long[] candidate = shape;
        if (shape.length == dims.size() - 1 && batchable(dims.get(0))) {
            candidate = new long[shape.length + 1];
            candidate[0] = 1;
            System.arraycopy(shape, 0, candidate, 1, shape.length);
        }
        if (candidate.length != dims.size()) throw mismatch(where, input, dtype, shape);
        for (int i = 0; i < dims.size(); i++) {
            if (dims.get(i) instanceof Dim.Fixed f && f.size() != candidate[i]) throw mismatch(where, input, dtype, shape);
        }
        return candidate;
    }

    private static boolean batchable(Dim first) {
        return !(first instanceof Dim.Fixed f) || f.size() == 1;
    }

    static DataException mismatch(String where, Value input, DType dtype, long[] shape) {
        return new DataException(where + ": input '" + input.name() + "' expects "
                + DTypeNames.describe(input.tensorType()) + ", got " + DTypeNames.describe(dtype, shape));
    }
}
