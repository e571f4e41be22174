package dev.pare.passes.compression.math;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Sensitivity-weighted k-means LUTs (the idea of SqueezeLLM, arXiv 2306.07629, with the layer's
 * {@code diag(H)} as the sensitivity): each weight counts in the k-means in proportion to the mean
 * square of the input it multiplies, so the LUT spends its entries where the layer's output is most
 * sensitive. The layout (LUT groups, per-channel scales, vectors, mask) is that of a fitted
 * {@link Palettization}; only the LUT entries are refitted, and indices are set to the nearest entry
 * (as decoded, ties to the lowest index). Weights with sensitivity 0 (dead inputs) do not pull any
 * entry; a group whose weights all have sensitivity 0 keeps its fitted LUT.
 */
public final class SensitivityWeightedLut {

    private SensitivityWeightedLut() {}

    /**
     * @param weight      the weight {@code fitted} was built from (kmeans mode)
     * @param fitted      the unweighted palettization whose layout is kept
     * @param sensitivity one non-negative weight per tensor element
     * @param random      seeds vector k-means, group by group
     */
    public static Palettization refit(WeightTensor weight, Palettization fitted, double[] sensitivity, RandomGenerator random) {
        long[] shape = weight.shape();
        int n = weight.size();
        if (sensitivity.length != n) {
            throw new IllegalArgumentException("palettize: " + sensitivity.length + " sensitivities for a weight of " + n);
        }
        int cd = fitted.clusterDim();
        int positions = fitted.indices().length;
        int palette = fitted.paletteSize();
        int groups = fitted.numLuts();
        Precision p = weight.precision();
        float[] w = weight.values();
        PaletteLayout layout = PaletteLayout.of(shape, fitted);
        float[] scaleOf = layout.scaleOf();
        // per index position: its group, its (normalized) vector and its sensitivity
        int[] groupOfPos = new int[positions];
        double[] vectors = new double[positions * cd];
        double[] weightOfPos = new double[positions];
        int[] elementOf = new int[positions * cd];
        for (int e = 0; e < n; e++) {
            int pos = layout.positionOf()[e];
            int component = layout.componentOf()[e];
            float v = w[e];
            if (scaleOf != null) v = p.round(v / scaleOf[e]);
            vectors[pos * cd + component] = v;
            elementOf[pos * cd + component] = e;
            weightOfPos[pos] += sensitivity[e];
            groupOfPos[pos] = layout.groupOf()[e];
        }
        boolean[] keep = fitted.keep();
        float[] luts = fitted.luts().clone();
        long[] seeds = new long[groups];
        for (int g = 0; g < groups; g++) seeds[g] = random.nextLong();
        for (int g = 0; g < groups; g++) {
            int count = 0;
            for (int pos = 0; pos < positions; pos++) {
                if (groupOfPos[pos] == g && (keep == null || keep[pos]) && weightOfPos[pos] > 0) count++;
            }
            if (count == 0) continue;
            double[] points = new double[count * cd];
            double[] weights = new double[count];
            int t = 0;
            for (int pos = 0; pos < positions; pos++) {
                if (groupOfPos[pos] != g || (keep != null && !keep[pos]) || !(weightOfPos[pos] > 0)) continue;
                System.arraycopy(vectors, pos * cd, points, t * cd, cd);
                weights[t++] = weightOfPos[pos];
            }
            double[] centres = cd == 1 ? scalarCentres(points, weights, palette)
                    : VectorKMeans.cluster(points, weights, cd, palette, new SplittableRandom(seeds[g]), PalettizerOptions.DEFAULT_MAX_ITERATIONS).centres();
            for (int k = 0; k < palette * cd; k++) luts[g * palette * cd + k] = p.round(centres[k]);
        }
        int[] indices = new int[positions];
        for (int pos = 0; pos < positions; pos++) {
            if (keep != null && !keep[pos]) continue;
            int base = groupOfPos[pos] * palette * cd;
            int best = 0;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int k = 0; k < palette; k++) {
                double dist = 0;
                for (int c = 0; c < cd; c++) {
                    int e = elementOf[pos * cd + c];
                    float entry = luts[base + k * cd + c];
                    double decoded = scaleOf == null ? entry : p.round(entry * scaleOf[e]);
                    double diff = w[e] - decoded;
                    dist += diff * diff;
                }
                if (dist < bestDist) {
                    bestDist = dist;
                    best = k;
                }
            }
            indices[pos] = best;
        }
        return new Palettization(shape.clone(), p, fitted.nbits(), cd, fitted.axis(), fitted.groupSize(), luts, indices,
                fitted.scales(), fitted.scaleShape(), keep);
    }

    /** Optimal weighted 1-D k-means centres, ascending, padded with the largest. */
    private static double[] scalarCentres(double[] values, double[] weights, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[] x = new double[values.length];
        double[] wx = new double[values.length];
        int m = 0;
        for (Integer i : order) {
            double v = values[i] == 0 ? 0.0 : values[i];
            if (m > 0 && x[m - 1] == v) {
                wx[m - 1] += weights[i];
            } else {
                x[m] = v;
                wx[m++] = weights[i];
            }
        }
        KMeans1D.Clustering c = KMeans1D.cluster(new KMeans1D.WeightedValues(Arrays.copyOf(x, m), Arrays.copyOf(wx, m)), k);
        return c.centres();
    }
}
