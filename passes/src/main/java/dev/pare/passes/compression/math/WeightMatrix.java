package dev.pare.passes.compression.math;

/**
 * How a weight tensor is read as the matrix {@code W[rows, cols]} the OBS algorithms work on
 * (rows = output channels, columns = the layer's inputs in the order of {@code H}): element
 * {@code (r, c)} of the matrix is tensor element {@code tensorIndex[r * cols + c]} (row-major), or
 * element {@code r * cols + c} itself when {@code tensorIndex} is null (a {@code [out, in]} weight).
 */
public record WeightMatrix(int rows, int cols, int[] tensorIndex) {

    public WeightMatrix {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("obs: a matrix needs rows and columns, got " + rows + "x" + cols);
        if (tensorIndex != null && tensorIndex.length != rows * cols) {
            throw new IllegalArgumentException("obs: " + tensorIndex.length + " tensor indices for a " + rows + "x" + cols + " matrix");
        }
    }

    /** The matrix of a weight that is already {@code [rows, cols]} in row-major order. */
    public static WeightMatrix identity(int rows, int cols) {
        return new WeightMatrix(rows, cols, null);
    }

    /** Elements of the matrix. */
    public int size() {
        return rows * cols;
    }

    /** Tensor element of matrix element {@code m}. */
    public int tensorIndex(int m) {
        return tensorIndex == null ? m : tensorIndex[m];
    }

    /** The matrix, row-major, read from the tensor's values. */
    public float[] gather(float[] tensor) {
        if (tensorIndex == null) {
            if (tensor.length != size()) throw new IllegalArgumentException("obs: a tensor of " + tensor.length + " values for a " + rows + "x" + cols + " matrix");
            return tensor;
        }
        float[] out = new float[size()];
        for (int m = 0; m < out.length; m++) out[m] = tensor[tensorIndex[m]];
        return out;
    }
}
