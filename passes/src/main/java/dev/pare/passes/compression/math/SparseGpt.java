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
        if (maskBlock < 1) throw new IllegalArgumentException("sparsegpt: block_size must be at least 1, got " + maskBlock);
        int rows = matrix.rows();
        int cols = matrix.cols();
        int n = matrix.size();
        boolean[] pruned = new boolean[n]; // by matrix element
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
            int[] tensorGroup = new int[weight.size()];
            groupPrunes = new int[groups];
            for (int e = 0; e < weight.size(); e++) {
                int o = e / (channels * inner);
                int c = (e / inner) % channels;
                int i = e % inner;
                int g = (o * perRow + c / nm.m()) * inner + i;
                tensorGroup[e] = g;
                int size = Math.min(nm.m(), channels - (c / nm.m()) * nm.m());
                groupPrunes[g] = Math.max(0, nm.n() - (nm.m() - size)); // padding counts as pruned first
            }
            groupOf = new int[n];
            groupStart = new int[groups + 1];
            for (int m = 0; m < n; m++) {
                groupOf[m] = tensorGroup[matrix.tensorIndex(m)];
                groupStart[groupOf[m] + 1]++;
            }
            for (int g = 0; g < groups; g++) groupStart[g + 1] += groupStart[g];
            groupMembers = new int[n];
            int[] fill = Arrays.copyOf(groupStart, groups);
            // members in tensor order, so ties go to the lower channel as in Pruner
            Integer[] byTensor = new Integer[n];
            for (int m = 0; m < n; m++) byTensor[m] = m;
            Arrays.sort(byTensor, (a, b) -> Integer.compare(matrix.tensorIndex(a), matrix.tensorIndex(b)));
            for (Integer m : byTensor) groupMembers[fill[groupOf[m]]++] = m;
            groupDone = new boolean[groups];
        }
        final int[] gStart = groupStart;
        final int[] gMembers = groupMembers;
        final int[] gOf = groupOf;
        final int[] gPrunes = groupPrunes;
        final boolean[] gDone = groupDone;
        Precision p = weight.precision();

        double[] result = ObsSweep.run(matrix.gather(weight.values()), rows, cols, factor, lazyBatch, (position, current, chosen, sweep) -> {
            int column = factor.order()[position];
            if (gOf != null) {
                for (int r = 0; r < rows; r++) {
                    int g = gOf[r * cols + column];
                    if (gDone[g]) continue;
                    gDone[g] = true;
                    int size = gStart[g + 1] - gStart[g];
                    double[] saliency = new double[size];
                    Integer[] order = new Integer[size];
                    for (int t = 0; t < size; t++) {
                        int m = gMembers[gStart[g] + t];
                        int pos = factor.position()[m % cols];
                        double v = sweep.current(m / cols, pos);
                        saliency[t] = v * v / sweep.inverseHessianDiagonal(pos);
                        order[t] = t;
                    }
                    Arrays.sort(order, (a, b) -> saliency[a] != saliency[b] ? Double.compare(saliency[a], saliency[b]) : Integer.compare(a, b));
                    for (int t = 0; t < gPrunes[g]; t++) pruned[gMembers[gStart[g] + order[t]]] = true;
                }
            } else if (position % maskBlock == 0) {
                chooseBlock(pattern, position, Math.min(cols, position + maskBlock), rows, cols, factor, sweep, pruned);
            }
            for (int r = 0; r < rows; r++) chosen[r] = pruned[r * cols + column] ? 0 : p.round((float) current[r]);
        });
        float[] dense = new float[weight.size()];
        for (int m = 0; m < n; m++) dense[matrix.tensorIndex(m)] = (float) result[m];
        return Pruner.result(weight, dense);
    }

    /** Marks the lowest-saliency weights of positions {@code [from, to)}. */
    private static void chooseBlock(SparsityPattern pattern, int from, int to, int rows, int cols, ObsFactor factor, ObsSweep sweep,
                                    boolean[] pruned) {
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
            int count = (int) Math.round(u.target() * rows * width);
            pruneSmallest(saliency, 0, rows * width, count, width, from, cols, factor, pruned);
        } else {
            double target = ((SparsityPattern.PerChannel) pattern).target();
            int count = (int) Math.round(target * width);
            for (int r = 0; r < rows; r++) pruneSmallest(saliency, r * width, width, count, width, from, cols, factor, pruned);
        }
    }

    /** Marks the {@code count} smallest of {@code saliency[offset, offset + length)}, ties to the lower matrix element. */
    private static void pruneSmallest(double[] saliency, int offset, int length, int count, int width, int from, int cols,
                                      ObsFactor factor, boolean[] pruned) {
        if (count <= 0) return;
        Integer[] order = new Integer[length];
        long[] element = new long[length];
        for (int t = 0; t < length; t++) {
            order[t] = t;
            int flat = offset + t;
            element[t] = (long) (flat / width) * cols + factor.order()[from + flat % width];
        }
        Arrays.sort(order, (a, b) -> saliency[offset + a] != saliency[offset + b]
                ? Double.compare(saliency[offset + a], saliency[offset + b]) : Long.compare(element[a], element[b]));
        for (int t = 0; t < Math.min(count, length); t++) pruned[(int) element[order[t]]] = true;
    }
}
