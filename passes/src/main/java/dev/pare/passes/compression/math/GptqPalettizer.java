package dev.pare.passes.compression.math;

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
        long[] shape = weight.shape();
        int n = weight.size();
        int cd = fitted.clusterDim();
        int rank = shape.length;
        int axis = fitted.axis();
        int ax = axis < 0 ? 0 : axis;
        int channels = rank == 0 ? 1 : (int) shape[ax];
        int inner = rank == 0 ? 1 : Shapes.inner(shape, ax);
        int vectorsPerRow = channels / cd;
        int positions = fitted.indices().length;
        int palette = fitted.paletteSize();
        // tensor element -> index position, component, LUT group, scale
        int[] posOf = new int[n];
        int[] compOf = new int[n];
        int[] groupOf = new int[n];
        float[] scaleOf = fitted.scales() == null ? null : new float[n];
        long[] strides = Shapes.strides(shape);
        long[] sStrides = fitted.scales() == null ? null : Shapes.strides(fitted.scaleShape());
        for (int e = 0; e < n; e++) {
            int o = rank == 0 ? 0 : e / (channels * inner);
            int a = rank == 0 ? 0 : (e / inner) % channels;
            int i = rank == 0 ? 0 : e % inner;
            posOf[e] = (o * vectorsPerRow + a / cd) * inner + i;
            compOf[e] = a % cd;
            groupOf[e] = axis < 0 ? 0 : a / fitted.groupSize();
            if (scaleOf != null) scaleOf[e] = fitted.scales()[Palettizer.broadcastIndex(e, shape, strides, fitted.scaleShape(), sStrides)];
        }
        int rows = matrix.rows();
        int cols = matrix.cols();
        // the matrix elements of each index position, by component; all in one column
        int[] memberOf = new int[positions * cd];
        int[] columnOf = new int[positions];
        java.util.Arrays.fill(columnOf, -1);
        for (int m = 0; m < matrix.size(); m++) {
            int e = matrix.tensorIndex(m);
            int pos = posOf[e];
            memberOf[pos * cd + compOf[e]] = m;
            int c = m % cols;
            if (columnOf[pos] >= 0 && columnOf[pos] != c) {
                throw new IllegalArgumentException("gptq: cluster_dim " + cd + " vectors must lie along the output channels (one input column each)");
            }
            columnOf[pos] = c;
        }
        Precision p = weight.precision();
        float[] luts = fitted.luts();
        boolean[] keep = fitted.keep();
        int[] indices = new int[positions];
        double[] dequant = new double[cd];

        ObsSweep.run(matrix.gather(weight.values()), rows, cols, factor, lazyBatch, (position, current, chosen, sweep) -> {
            int column = factor.order()[position];
            for (int r = 0; r < rows; r++) {
                int m = r * cols + column;
                int e = matrix.tensorIndex(m);
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
                        int mt = memberOf[pos * cd + t];
                        int et = matrix.tensorIndex(mt);
                        double diff = current[mt / cols] - decoded(luts[lutBase + k * cd + t], scaleOf == null ? 1f : scaleOf[et], scaleOf != null, p);
                        dist += diff * diff;
                    }
                    if (dist < bestDist) {
                        bestDist = dist;
                        best = k;
                    }
                }
                indices[pos] = best;
                for (int t = 0; t < cd; t++) {
                    int mt = memberOf[pos * cd + t];
                    int et = matrix.tensorIndex(mt);
                    chosen[mt / cols] = decoded(luts[lutBase + best * cd + t], scaleOf == null ? 1f : scaleOf[et], scaleOf != null, p);
                }
            }
        });
        return new Palettization(shape.clone(), p, fitted.nbits(), cd, axis, fitted.groupSize(), luts, indices,
                fitted.scales(), fitted.scaleShape(), keep);
    }

    /** The value an entry decodes to: the entry, or entry × scale rounded to the precision. */
    private static double decoded(float entry, float scale, boolean scaled, Precision p) {
        return scaled ? p.round(entry * scale) : entry;
    }
}
