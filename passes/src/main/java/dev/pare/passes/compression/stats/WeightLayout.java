package dev.pare.passes.compression.stats;

import java.util.Arrays;

/**
 * A view of a layer's weight tensor as {@code groups} plain matrices W[rows, cols]: a row is one
 * output channel of the group, and the column order is that of the layer's input vector x in
 * {@link LayerStatistics} (H's rows and columns), so that the layer computes y = W x per group.
 * Data-aware algorithms work on these matrices and write the result back with
 * {@link #putMatrix}; the view only moves values, it never changes them.
 *
 * <ul>
 *   <li>{@link Kind#OUTPUT_FIRST}: weight {@code [C_out, C_in/g, k...]} (ONNX Conv, MIL conv, MIL
 *       linear, Gemm with transB=1, MIL matmul with transpose_y): row = output channel in the group,
 *       column = (input channel in the group, kernel position) in row-major order, which is the
 *       order of an im2col patch.</li>
 *   <li>{@link Kind#INPUT_FIRST}: weight {@code [C_in, C_out/g, k...]} (ConvTranspose, MIL
 *       conv_transpose): row = output channel in the group, column = (input channel in the group,
 *       kernel position).</li>
 *   <li>{@link Kind#TRANSPOSED}: weight {@code [K, N]} (MatMul's B, Gemm with transB=0, MIL matmul
 *       without transpose_y): row = n, column = k.</li>
 * </ul>
 *
 * @param kind   how the tensor is laid out
 * @param shape  the weight tensor's shape
 * @param groups the number of groups (1 unless a grouped or depthwise convolution)
 * @param rows   output channels per group
 * @param cols   the input vector length per group (d)
 */
public record WeightLayout(Kind kind, long[] shape, int groups, int rows, int cols) {

    /** How a weight tensor's axes map to (output channel, input) of its layer. */
    public enum Kind { OUTPUT_FIRST, INPUT_FIRST, TRANSPOSED }

    public WeightLayout {
        shape = shape.clone();
        if (groups < 1 || rows < 1 || cols < 1) {
            throw new IllegalArgumentException("groups, rows and cols must be >= 1, got " + groups + ", " + rows + ", " + cols);
        }
        long elements = 1;
        for (long s : shape) elements *= s;
        if (elements != (long) groups * rows * cols) {
            throw new IllegalArgumentException("weight shape " + Arrays.toString(shape) + " does not hold " + groups + " x "
                    + rows + " x " + cols + " values");
        }
        if (kind == Kind.TRANSPOSED && (shape.length != 2 || groups != 1)) {
            throw new IllegalArgumentException("a transposed weight is one [K, N] matrix, got " + Arrays.toString(shape));
        }
        if (kind != Kind.TRANSPOSED && (shape.length < 2 || shape[kind == Kind.OUTPUT_FIRST ? 0 : 1]
                * (kind == Kind.OUTPUT_FIRST ? 1 : groups) != (long) groups * rows)) {
            throw new IllegalArgumentException("weight shape " + Arrays.toString(shape) + " has not " + groups * rows
                    + " output channels along axis " + (kind == Kind.OUTPUT_FIRST ? 0 : 1));
        }
    }

    /** The layout of a convolution or dense weight {@code [C_out, C_in/g, k...]} ({@code [C_out, C_in]} with groups = 1). */
    public static WeightLayout outputFirst(long[] shape, int groups) {
        long out = shape[0];
        return new WeightLayout(Kind.OUTPUT_FIRST, shape, groups, Math.toIntExact(out / groups), Math.toIntExact(perRow(shape)));
    }

    /** The layout of a transposed-convolution weight {@code [C_in, C_out/g, k...]}. */
    public static WeightLayout inputFirst(long[] shape, int groups) {
        long kernel = 1;
        for (int i = 2; i < shape.length; i++) kernel *= shape[i];
        return new WeightLayout(Kind.INPUT_FIRST, shape, groups, Math.toIntExact(shape[1]), Math.toIntExact(shape[0] / groups * kernel));
    }

    /** The layout of a {@code [K, N]} weight read as y = Wᵀ x. */
    public static WeightLayout transposed(long[] shape) {
        return new WeightLayout(Kind.TRANSPOSED, shape, 1, Math.toIntExact(shape[1]), Math.toIntExact(shape[0]));
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Output channels of the layer in all: groups × rows. */
    public int outputChannels() { return groups * rows; }

    /** The layer output channel of row {@code row} of group {@code group}. */
    public int outputChannel(int group, int row) { return group * rows + row; }

    /** The row-major index in the weight tensor of W[group][row, col]. */
    public int index(int group, int row, int col) {
        switch (kind) {
            case OUTPUT_FIRST:
                return (group * rows + row) * cols + col;
            case INPUT_FIRST: {
                int kernel = kernel();
                int inPerGroup = cols / kernel;
                int ci = group * inPerGroup + col / kernel;
                return (ci * rows + row) * kernel + col % kernel;
            }
            default:
                return col * rows + row;
        }
    }

    /** Group {@code group} of a weight in the tensor's row-major layout as a new row-major [rows, cols] array. */
    public float[] matrix(float[] weight, int group) {
        requireLength(weight.length);
        float[] m = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r * cols + c] = weight[index(group, r, c)];
        return m;
    }

    /** The same view of a mask (true = kept) in the tensor's layout. */
    public boolean[] matrix(boolean[] keep, int group) {
        requireLength(keep.length);
        boolean[] m = new boolean[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r * cols + c] = keep[index(group, r, c)];
        return m;
    }

    /** Writes a row-major [rows, cols] matrix back into group {@code group} of {@code weight} (tensor layout). */
    public void putMatrix(float[] matrix, int group, float[] weight) {
        requireLength(weight.length);
        if (matrix.length != rows * cols) throw new IllegalArgumentException("matrix has " + matrix.length + " values, not " + rows * cols);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) weight[index(group, r, c)] = matrix[r * cols + c];
    }

    private int kernel() {
        long k = 1;
        for (int i = 2; i < shape.length; i++) k *= shape[i];
        return Math.toIntExact(k);
    }

    private static long perRow(long[] shape) {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    private void requireLength(int length) {
        if (length != (long) groups * rows * cols) {
            throw new IllegalArgumentException("weight has " + length + " values, the layout " + (long) groups * rows * cols);
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof WeightLayout w && kind == w.kind && Arrays.equals(shape, w.shape) && groups == w.groups
                && rows == w.rows && cols == w.cols;
    }

    @Override public int hashCode() {
        return (kind.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + groups;
    }

    @Override public String toString() {
        return kind + Arrays.toString(shape) + " groups=" + groups + " [" + rows + ", " + cols + "]";
    }
}
