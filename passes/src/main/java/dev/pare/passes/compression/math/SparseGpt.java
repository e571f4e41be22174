package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * SparseGPT pruning (Frantar &amp; Alistarh, arXiv 2301.00774): the mask is chosen by the OBS
 * saliency {@code w² / [H⁻¹]_jj} (with {@code [H⁻¹]_jj = U_jj²} of the weights still free, see
 * {@link ObsFactor}) from the weights as they are after the compensation so far, and the kept
 * weights absorb the error of the pruned ones ({@link ObsSweep}). Masks are chosen per block of
 * {@code maskBlock} columns when the block starts ({@link SparsityPattern.Unstructured},
 * {@link SparsityPattern.PerChannel}) or per n:m group when its first column is reached; the
 * smallest saliencies go, ties to the lower matrix index. The result has {@link Pruner}'s form
 * (mask = value ≠ 0, kept values rounded to the weight precision), so it is stored exactly as
 * {@code prune} stores a weight.
 */
public final class SparseGpt {

    private SparseGpt() {}

    /**
     * @param weight    the weight tensor
     * @param matrix    how the tensor reads as {@code W[out, in]} in {@code factor}'s column order
     * @param pattern   what may be pruned
     * @param factor    the layer's inverse-Hessian factor
     * @param maskBlock columns whose mask is chosen together (unstructured and per-channel)
     * @param lazyBatch columns updated together (the result does not depend on it)
     */
    public static PruningResult prune(WeightTensor weight, WeightMatrix matrix, SparsityPattern pattern, ObsFactor factor,
                                      int maskBlock, int lazyBatch) {
        return prune(weight, new WeightMatrix[] {matrix}, new ObsFactor[] {factor}, pattern, maskBlock, lazyBatch);
    }

    /**
     * As above for a layer of several groups: group {@code g} is {@code matrices[g]} with its own
     * {@code factors[g]}. Unstructured, when every group fits in one mask block (depthwise and small
     * grouped convolutions), the mask is chosen across all groups at once (see
     * {@link #chooseAcrossGroups}). Otherwise counts carry over from block to block and group to
     * group (each block prunes {@code round(target · seen so far)} minus what was pruned before),
     * so the weight's sparsity is the target even when blocks are small.
     */
    public static PruningResult prune(WeightTensor weight, WeightMatrix[] matrices, ObsFactor[] factors, SparsityPattern pattern,
                                      int maskBlock, int lazyBatch) {
        if (maskBlock < 1) throw new IllegalArgumentException("sparsegpt: block_size must be at least 1, got " + maskBlock);
        int n = weight.size();
        int[] matrixOf = ObsSweep.coverage(matrices, factors, n);
        boolean[] pruned = new boolean[n]; // by tensor element
        int[] groupStart = null;
        int[] groupMembers = null;
        int[] groupOf = null;
        int[] groupPrunes = null;
        boolean[] groupDone = null;
        if (pattern instanceof SparsityPattern.NOfM nm) {
            long[] shape = weight.shape();
            int axis = Shapes.axis(nm.axis(), shape.length, "sparsegpt: n:m axis");
            int channels = (int) shape[axis];
            int inner = Shapes.inner(shape, axis);
            int perRow = (channels + nm.m() - 1) / nm.m();
            int groups = Shapes.outer(shape, axis) * perRow * inner;
            groupOf = new int[n];
            groupPrunes = new int[groups];
            groupStart = new int[groups + 1];
            for (int e = 0; e < n; e++) {
                int o = e / (channels * inner);
                int c = (e / inner) % channels;
                int i = e % inner;
                int g = (o * perRow + c / nm.m()) * inner + i;
                groupOf[e] = g;
                groupStart[g + 1]++;
                int size = Math.min(nm.m(), channels - (c / nm.m()) * nm.m());
                groupPrunes[g] = Math.max(0, nm.n() - (nm.m() - size)); // padding counts as pruned first
            }
            for (int g = 0; g < groups; g++) groupStart[g + 1] += groupStart[g];
            groupMembers = new int[n];
            int[] fill = Arrays.copyOf(groupStart, groups);
            for (int e = 0; e < n; e++) groupMembers[fill[groupOf[e]]++] = e; // tensor order: ties go to the lower channel
            for (int g = 0; g < groups; g++) {
                for (int t = groupStart[g]; t < groupStart[g + 1]; t++) {
                    if (matrixOf[groupMembers[t]] != matrixOf[groupMembers[groupStart[g]]]) {
                        throw new CompressionNotApplicableException("sparsegpt: n:m groups along axis " + axis + " cross the layer's groups");
                    }
                }
            }
            groupDone = new boolean[groups];
        }
        final int[] gStart = groupStart;
        final int[] gMembers = groupMembers;
        final int[] gOf = groupOf;
        final int[] gPrunes = groupPrunes;
        final boolean[] gDone = groupDone;
        Precision p = weight.precision();
        int[] elementOf = new int[n];
        for (WeightMatrix m : matrices) for (int k = 0; k < m.size(); k++) elementOf[m.tensorIndex(k)] = k;
        long[] carry = new long[2]; // unstructured: weights seen, weights pruned
        float[] dense = new float[n];
        boolean jointMask = pattern instanceof SparsityPattern.Unstructured && fitsOneBlock(matrices, maskBlock);
        if (jointMask) chooseAcrossGroups(((SparsityPattern.Unstructured) pattern).target(), weight, matrices, factors, pruned);

        for (int mi = 0; mi < matrices.length; mi++) {
            WeightMatrix matrix = matrices[mi];
            ObsFactor factor = factors[mi];
            int rows = matrix.rows();
            int cols = matrix.cols();
            long[] rowCarry = new long[2 * rows]; // per channel: seen, pruned
            double[] result = ObsSweep.run(matrix.gather(weight.values()), rows, cols, factor, lazyBatch, (position, current, chosen, sweep) -> {
                int column = factor.order()[position];
                if (gOf != null) {
                    for (int r = 0; r < rows; r++) {
                        int g = gOf[matrix.tensorIndex(r * cols + column)];
                        if (gDone[g]) continue;
                        gDone[g] = true;
                        int size = gStart[g + 1] - gStart[g];
                        double[] saliency = new double[size];
                        Integer[] order = new Integer[size];
                        for (int t = 0; t < size; t++) {
                            int k = elementOf[gMembers[gStart[g] + t]];
                            int pos = factor.position()[k % cols];
                            double v = sweep.current(k / cols, pos);
                            saliency[t] = v * v / sweep.inverseHessianDiagonal(pos);
                            order[t] = t;
                        }
                        Arrays.sort(order, (a, b) -> saliency[a] != saliency[b] ? Double.compare(saliency[a], saliency[b]) : Integer.compare(a, b));
                        for (int t = 0; t < gPrunes[g]; t++) pruned[gMembers[gStart[g] + order[t]]] = true;
                    }
                } else if (!jointMask && position % maskBlock == 0) {
                    chooseBlock(pattern, position, Math.min(cols, position + maskBlock), matrix, factor, sweep, pruned, carry, rowCarry);
                }
                for (int r = 0; r < rows; r++) {
                    chosen[r] = pruned[matrix.tensorIndex(r * cols + column)] ? 0 : p.round((float) current[r]);
                }
            });
            for (int k = 0; k < matrix.size(); k++) dense[matrix.tensorIndex(k)] = (float) result[k];
        }
        return Pruner.result(weight, dense);
    }

    /** Whether every group's inputs fit in one mask block (a depthwise kernel's 9, a small grouped convolution's). */
    private static boolean fitsOneBlock(WeightMatrix[] matrices, int maskBlock) {
        for (WeightMatrix m : matrices) if (m.cols() > maskBlock) return false;
        return true;
    }

    /**
     * Unstructured, every group one block: the mask is chosen before any update, over all groups
     * at once, as a dense layer's first block is chosen over all its rows. The saliency
     * {@code w² / [H⁻¹]_jj} is the rise of the layer's output error, so it compares weights of
     * different groups as it compares different rows; choosing per group instead would force the
     * same sparsity on every depthwise channel, an important channel losing as many weights as an
     * idle one. A dead input's weight counts as 0 (its sweep starts it at 0). Ties go to the lower
     * tensor index.
     */
    private static void chooseAcrossGroups(double target, WeightTensor weight, WeightMatrix[] matrices, ObsFactor[] factors,
                                           boolean[] pruned) {
        int n = weight.size();
        float[] values = weight.values();
        double[] saliency = new double[n];
        for (int g = 0; g < matrices.length; g++) {
            WeightMatrix m = matrices[g];
            ObsFactor f = factors[g];
            for (int k = 0; k < m.size(); k++) {
                int column = k % m.cols();
                int e = m.tensorIndex(k);
                double v = f.dead()[column] ? 0 : values[e];
                double hinv = f.diagonal(f.position()[column]);
                saliency[e] = v * v / (hinv * hinv);
            }
        }
        Integer[] order = new Integer[n];
        for (int e = 0; e < n; e++) order[e] = e;
        Arrays.sort(order, (a, b) -> saliency[a] != saliency[b] ? Double.compare(saliency[a], saliency[b]) : Integer.compare(a, b));
        long count = Math.round(target * n);
        for (int t = 0; t < count; t++) pruned[order[t]] = true;
    }

    /** Marks the lowest-saliency weights of positions {@code [from, to)}. */
    private static void chooseBlock(SparsityPattern pattern, int from, int to, WeightMatrix matrix, ObsFactor factor, ObsSweep sweep,
                                    boolean[] pruned, long[] carry, long[] rowCarry) {
        int rows = matrix.rows();
        int width = to - from;
        double[] saliency = new double[rows * width]; // [row][position - from]
        for (int k = 0; k < width; k++) {
            double hinv = sweep.inverseHessianDiagonal(from + k);
            for (int r = 0; r < rows; r++) {
                double v = sweep.current(r, from + k);
                saliency[r * width + k] = v * v / hinv;
            }
        }
        if (pattern instanceof SparsityPattern.Unstructured u) {
            int count = due(u.target(), carry, 0, rows * width);
            pruneSmallest(saliency, 0, rows * width, count, width, from, matrix, factor, pruned);
        } else {
            double target = ((SparsityPattern.PerChannel) pattern).target();
            for (int r = 0; r < rows; r++) {
                int count = due(target, rowCarry, 2 * r, width);
                pruneSmallest(saliency, r * width, width, count, width, from, matrix, factor, pruned);
            }
        }
    }

    /** How many of the next {@code size} weights to prune so that the running total stays {@code round(target · seen)}. */
    private static int due(double target, long[] carry, int at, int size) {
        carry[at] += size;
        long total = Math.round(target * carry[at]);
        int count = (int) Math.max(0, Math.min(size, total - carry[at + 1]));
        carry[at + 1] += count;
        return count;
    }

    /** Marks the {@code count} smallest of {@code saliency[offset, offset + length)}, ties to the lower matrix element. */
    private static void pruneSmallest(double[] saliency, int offset, int length, int count, int width, int from, WeightMatrix matrix,
                                      ObsFactor factor, boolean[] pruned) {
        if (count <= 0) return;
        int cols = matrix.cols();
        Integer[] order = new Integer[length];
        int[] element = new int[length];
        for (int t = 0; t < length; t++) {
            order[t] = t;
            int flat = offset + t;
            element[t] = (flat / width) * cols + factor.order()[from + flat % width];
        }
        Arrays.sort(order, (a, b) -> saliency[offset + a] != saliency[offset + b]
                ? Double.compare(saliency[offset + a], saliency[offset + b]) : Integer.compare(element[a], element[b]));
        for (int t = 0; t < Math.min(count, length); t++) pruned[matrix.tensorIndex(element[order[t]])] = true;
    }
}
