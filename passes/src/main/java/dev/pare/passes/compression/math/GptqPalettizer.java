package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * GPTQ index assignment for a palettized weight: the LUTs (and per-channel scales) of a fitted
 * {@link Palettization} are kept, and each column's indices are re-chosen, nearest entry to the
 * weights as they are after the errors of the columns fixed before were compensated
 * ({@link ObsSweep}). Every layout {@link Palettizer} produces is supported: one LUT or one per
 * group of channels, per-channel scales (the entry is compared after scaling, as it decodes), and
 * vectors ({@code cluster_dim > 1}) when each vector lies in one matrix column (vectors run along
 * the output channels, the matrix rows). Ties go to the lowest index; pruned positions keep index
 * 0 and decode to 0.
 */
public final class GptqPalettizer {

    private GptqPalettizer() {}

    /**
     * @param weight    the weight tensor {@code fitted} was built from
     * @param fitted    LUTs, scales and layout; its indices are replaced
     * @param matrix    how the tensor reads as {@code W[out, in]} in {@code factor}'s column order
     * @param factor    the layer's inverse-Hessian factor
     * @param lazyBatch columns updated together (the result does not depend on it)
     */
    public static Palettization assign(WeightTensor weight, Palettization fitted, WeightMatrix matrix, ObsFactor factor, int lazyBatch) {
        return assign(weight, fitted, new WeightMatrix[] {matrix}, new ObsFactor[] {factor}, lazyBatch);
    }

    /** As above for a layer of several groups: group {@code g} is {@code matrices[g]} with its own {@code factors[g]}. */
    public static Palettization assign(WeightTensor weight, Palettization fitted, WeightMatrix[] matrices, ObsFactor[] factors, int lazyBatch) {
        long[] shape = weight.shape();
        int n = weight.size();
        ObsSweep.coverage(matrices, factors, n);
        int cd = fitted.clusterDim();
        int positions = fitted.indices().length;
        int palette = fitted.paletteSize();
        PaletteLayout layout = PaletteLayout.of(shape, fitted);
        int[] posOf = layout.positionOf();
        int[] compOf = layout.componentOf();
        int[] groupOf = layout.groupOf();
        float[] scaleOf = layout.scaleOf();
        // the tensor elements of each index position, by component; all in one column of one matrix
        int[] memberOf = new int[positions * cd];
        long[] columnOf = new long[positions];
        Arrays.fill(columnOf, -1);
        for (int g = 0; g < matrices.length; g++) {
            WeightMatrix matrix = matrices[g];
            for (int k = 0; k < matrix.size(); k++) {
                int e = matrix.tensorIndex(k);
                int pos = posOf[e];
                memberOf[pos * cd + compOf[e]] = e;
                long column = (long) g * Integer.MAX_VALUE + k % matrix.cols();
                if (columnOf[pos] >= 0 && columnOf[pos] != column) {
                    throw new IllegalArgumentException("gptq: cluster_dim " + cd + " vectors must lie along the output channels (one input column each)");
                }
                columnOf[pos] = column;
            }
        }
        Precision p = weight.precision();
        float[] luts = fitted.luts();
        boolean[] keep = fitted.keep();
        int[] indices = new int[positions];
        int[] rowOf = new int[n];
        for (WeightMatrix m : matrices) for (int k = 0; k < m.size(); k++) rowOf[m.tensorIndex(k)] = k / m.cols();

        for (int g = 0; g < matrices.length; g++) {
            WeightMatrix matrix = matrices[g];
            ObsFactor factor = factors[g];
            int rows = matrix.rows();
            int cols = matrix.cols();
            ObsSweep.run(matrix.gather(weight.values()), rows, cols, factor, lazyBatch, (position, current, chosen, sweep) -> {
                int column = factor.order()[position];
                for (int r = 0; r < rows; r++) {
                    int e = matrix.tensorIndex(r * cols + column);
                    if (compOf[e] != 0) continue; // a vector is chosen at its first component
                    int pos = posOf[e];
                    if (keep != null && !keep[pos]) {
                        indices[pos] = 0;
                        chosen[r] = 0;
                        continue;
                    }
                    int lutBase = groupOf[e] * palette * cd;
                    int best = 0;
                    double bestDist = Double.POSITIVE_INFINITY;
                    for (int k = 0; k < palette; k++) {
                        double dist = 0;
                        for (int t = 0; t < cd; t++) {
                            int et = memberOf[pos * cd + t];
                            double diff = current[rowOf[et]] - decoded(luts[lutBase + k * cd + t], scaleOf == null ? 1f : scaleOf[et], scaleOf != null, p);
                            dist += diff * diff;
                        }
                        if (dist < bestDist) {
                            bestDist = dist;
                            best = k;
                        }
                    }
                    indices[pos] = best;
                    for (int t = 0; t < cd; t++) {
                        int et = memberOf[pos * cd + t];
                        chosen[rowOf[et]] = decoded(luts[lutBase + best * cd + t], scaleOf == null ? 1f : scaleOf[et], scaleOf != null, p);
                    }
                }
            });
        }
        return new Palettization(shape.clone(), p, fitted.nbits(), cd, fitted.axis(), fitted.groupSize(), luts, indices,
                fitted.scales(), fitted.scaleShape(), keep);
    }

    /** The value an entry decodes to: the entry, or entry × scale rounded to the precision. */
    private static double decoded(float entry, float scale, boolean scaled, Precision p) {
        return scaled ? p.round(entry * scale) : entry;
    }
}
