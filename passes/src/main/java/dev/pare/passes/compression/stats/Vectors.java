package dev.pare.passes.compression.stats;

import java.util.Arrays;

/**
 * How a layer's input tensor becomes its input vectors x, in the column order of its
 * {@link WeightLayout} (one vector per output position; per group for a grouped convolution).
 */
public sealed interface Vectors permits Vectors.Dense, Vectors.Conv {

    /** Receives input vectors a chunk at a time: {@code n} rows of {@code d} values, row-major. */
    @FunctionalInterface
    interface Sink {
        void accept(double[] rows, int n);
    }

    /** Rows per chunk handed to a {@link Sink} for vectors of length {@code d}: about 64 Ki values. */
    static int chunkRows(int d) {
        return Math.max(1, (1 << 16) / d);
    }

    /** Receives the input vectors of one group a chunk at a time. */
    @FunctionalInterface
    interface GroupSink {
        void accept(int group, double[] rows, int n);
    }

    /**
     * Hands every input vector of groups {@code fromGroup} to {@code toGroup - 1} of one sample to
     * {@code sink}, group after group, each group's vectors in output-position order.
     *
     * @param x        the input tensor's values (row-major)
     * @param inShape  its shape
     * @param outShape the layer output's shape (a convolution's output size comes from it)
     * @param d        the vector length (the layout's cols)
     * @throws IllegalArgumentException if the shapes do not fit the layer
     */
    void gather(float[] x, long[] inShape, long[] outShape, int fromGroup, int toGroup, int d, GroupSink sink);

    /** Hands every input vector of group {@code group} of one sample to {@code sink}. */
    default void gather(float[] x, long[] inShape, long[] outShape, int group, int d, Sink sink) {
        gather(x, inShape, outShape, group, group + 1, d, (g, rows, n) -> sink.accept(rows, n));
    }

    /** Identifies the way vectors are formed, for sharing an accumulator between layers of one input. */
    String key();

    /**
     * A dense layer: vectors along the last axis of the input ({@code [..., R, K]}), or along the
     * second-to-last axis ({@code [..., K, R]}) when the layer transposes its input (Gemm's transA,
     * MIL matmul's transpose_x).
     */
    record Dense(boolean transposedInput) implements Vectors {
        @Override public void gather(float[] x, long[] inShape, long[] outShape, int fromGroup, int toGroup, int d, GroupSink sink) {
            if (fromGroup != 0 || toGroup != 1) throw new IllegalArgumentException("a dense layer has one group");
            int rank = inShape.length;
            if (rank == 0) throw new IllegalArgumentException("input is a scalar");
            int kAxis = transposedInput ? rank - 2 : rank - 1;
            if (kAxis < 0) throw new IllegalArgumentException("input of rank 1 cannot be transposed");
            if (inShape[kAxis] != d) {
                throw new IllegalArgumentException("input " + Arrays.toString(inShape) + " has " + inShape[kAxis] + " features, the weight " + d);
            }
            int chunk = Math.max(1, Math.min(chunkRows(d), x.length / d));
            double[] buf = new double[chunk * d];
            int n = 0;
            if (!transposedInput) {
                int rows = x.length / d;
                for (int r = 0; r < rows; r++) {
                    int base = r * d;
                    for (int c = 0; c < d; c++) buf[n * d + c] = x[base + c];
                    if (++n == chunk) { sink.accept(0, buf, n); n = 0; }
                }
            } else {
                int cols = Math.toIntExact(inShape[rank - 1]);
                int batches = x.length / (d * cols);
                for (int b = 0; b < batches; b++) {
                    int base = b * d * cols;
                    for (int r = 0; r < cols; r++) {
                        for (int c = 0; c < d; c++) buf[n * d + c] = x[base + c * cols + r];
                        if (++n == chunk) { sink.accept(0, buf, n); n = 0; }
                    }
                }
            }
            if (n > 0) sink.accept(0, buf, n);
        }

        @Override public String key() { return transposedInput ? "dense-t" : "dense"; }
    }

    /** How a convolution's begin padding is given. */
    enum PadMode { EXPLICIT, SAME_UPPER, SAME_LOWER }

    /** @param begin the begin padding per spatial axis (EXPLICIT only, else null) */
    record Padding(PadMode mode, long[] begin) {}

    /**
     * A convolution ({@code transposed}: a transposed one) over {@code [N, C, spatial...]}: the
     * vector of one output position is the im2col patch (input channel of the group, kernel
     * position), zeros where it reaches into padding (or, transposed, where no input pixel maps to
     * that kernel tap).
     */
    record Conv(boolean transposed, int groups, long[] kernel, long[] strides, long[] dilations, Padding padding) implements Vectors {

        @Override public void gather(float[] x, long[] inShape, long[] outShape, int fromGroup, int toGroup, int d, GroupSink sink) {
            int sp = kernel.length;
            if (inShape.length != sp + 2 || outShape.length != sp + 2) {
                throw new IllegalArgumentException("input " + Arrays.toString(inShape) + " and output " + Arrays.toString(outShape)
                        + " do not have " + sp + " spatial axes");
            }
            int batch = Math.toIntExact(inShape[0]);
            int channels = Math.toIntExact(inShape[1]);
            int perGroup = channels / groups;
            int kernelSize = 1;
            for (long k : kernel) kernelSize *= (int) k;
            if (channels % groups != 0 || perGroup * kernelSize != d) {
                throw new IllegalArgumentException("input " + Arrays.toString(inShape) + " does not fit a weight of " + d
                        + " values per output channel and group " + groups);
            }
            int plane = 1;
            for (int j = 2; j < inShape.length; j++) plane *= Math.toIntExact(inShape[j]);
            int[] src = sources(inShape, outShape, kernelSize); // the same for every group, channel and batch element
            int positions = src.length / kernelSize;
            int chunk = (int) Math.min(chunkRows(d), (long) batch * positions); // a depthwise group has few rows: no large buffer
            double[] buf = new double[chunk * d];
            for (int group = fromGroup; group < toGroup; group++) {
                int n = 0;
                for (int b = 0; b < batch; b++) {
                    for (int p = 0; p < positions; p++) {
                        int row = n * d;
                        int taps = p * kernelSize;
                        for (int ci = 0; ci < perGroup; ci++) {
                            int channelBase = (b * channels + group * perGroup + ci) * plane;
                            int col = row + ci * kernelSize;
                            for (int kk = 0; kk < kernelSize; kk++) {
                                int s = src[taps + kk];
                                buf[col + kk] = s < 0 ? 0 : x[channelBase + s];
                            }
                        }
                        if (++n == chunk) { sink.accept(group, buf, n); n = 0; }
                    }
                }
                if (n > 0) sink.accept(group, buf, n);
            }
        }

        /** Per output position and kernel tap (row-major), the offset in a channel plane the tap reads, or -1 (padding). */
        private int[] sources(long[] inShape, long[] outShape, int kernelSize) {
            int sp = kernel.length;
            int[] in = new int[sp];
            int[] out = new int[sp];
            int[] begin = new int[sp];
            int[] inStride = new int[sp]; // element stride of each spatial axis in x
            int plane = 1;
            for (int j = sp - 1; j >= 0; j--) {
                in[j] = Math.toIntExact(inShape[j + 2]);
                out[j] = Math.toIntExact(outShape[j + 2]);
                inStride[j] = plane;
                plane *= in[j];
            }
            for (int j = 0; j < sp; j++) begin[j] = beginPad(j, in[j], out[j]);
            int positions = 1;
            for (int o : out) positions *= o;
            int[][] tap = new int[kernelSize][sp]; // kernel position -> offset k_j * dilation_j per axis
            for (int kk = 0; kk < kernelSize; kk++) {
                int rest = kk;
                for (int j = sp - 1; j >= 0; j--) {
                    tap[kk][j] = (int) ((rest % kernel[j]) * dilations[j]);
                    rest /= (int) kernel[j];
                }
            }
            int[] src = new int[Math.multiplyExact(positions, kernelSize)];
            int[] pos = new int[sp];
            for (int p = 0; p < positions; p++) {
                int rest = p;
                for (int j = sp - 1; j >= 0; j--) {
                    pos[j] = rest % out[j];
                    rest /= out[j];
                }
                for (int kk = 0; kk < kernelSize; kk++) src[p * kernelSize + kk] = source(pos, tap[kk], begin, in, inStride);
            }
            return src;
        }

        /** The input offset in a channel plane that kernel tap {@code tap} reads at output position {@code pos}, or -1. */
        private int source(int[] pos, int[] tap, int[] begin, int[] in, int[] inStride) {
            int offset = 0;
            for (int j = 0; j < pos.length; j++) {
                int i;
                if (!transposed) {
                    i = (int) (pos[j] * strides[j]) - begin[j] + tap[j];
                } else { // y[o] += x[i] w[k] where o = i * s - begin + k * dilation
                    int t = pos[j] + begin[j] - tap[j];
                    if (t < 0 || t % strides[j] != 0) return -1;
                    i = (int) (t / strides[j]);
                }
                if (i < 0 || i >= in[j]) return -1;
                offset += i * inStride[j];
            }
            return offset;
        }

        private int beginPad(int j, int in, int out) {
            if (padding.mode() == PadMode.EXPLICIT) return (int) padding.begin()[j];
            long effective = (kernel[j] - 1) * dilations[j] + 1;
            long total = Math.max(0, (out - 1) * strides[j] + effective - in);
            return (int) (padding.mode() == PadMode.SAME_UPPER ? total / 2 : total - total / 2);
        }

        @Override public String key() {
            return (transposed ? "convT" : "conv") + groups + Arrays.toString(kernel) + Arrays.toString(strides)
                    + Arrays.toString(dilations) + padding.mode() + (padding.begin() == null ? "" : Arrays.toString(padding.begin()));
        }
    }
}
