package dev.pare.passes.compression.math;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Weighted k-means for d-dimensional points (vector palettization): k-means++ seeding by D²
 * sampling (Arthur &amp; Vassilvitskii 2007) driven by the supplied generator, then Lloyd
 * iterations until no assignment changes or the iteration cap is reached. Deterministic for a
 * given generator state: ties in the nearest-centre search go to the lowest index, and an empty
 * cluster keeps its previous centre. If there are at most k distinct points, each is its own centre
 * and the table is padded by repeating the last one.
 */
final class VectorKMeans {

    private VectorKMeans() {}

    /** Centres ({@code k*d}, row-major) and the label of each point. */
    record Result(double[] centres, int[] labels) {}

    static Result cluster(double[] points, double[] weights, int d, int k, RandomGenerator random, int maxIterations) {
        int n = weights.length;
        double[] centres = new double[k * d];
        int chosen = seed(points, weights, d, k, random, centres);
        for (int c = chosen; c < k; c++) System.arraycopy(centres, (chosen - 1) * d, centres, c * d, d);
        int[] labels = new int[n];
        assign(points, d, centres, chosen, labels);
        if (chosen < k) return new Result(centres, labels); // every distinct point is a centre
        double[] sums = new double[k * d];
        double[] mass = new double[k];
        for (int it = 0; it < maxIterations; it++) {
            Arrays.fill(sums, 0);
            Arrays.fill(mass, 0);
            for (int p = 0; p < n; p++) {
                int c = labels[p];
                mass[c] += weights[p];
                for (int t = 0; t < d; t++) sums[c * d + t] += weights[p] * points[p * d + t];
            }
            for (int c = 0; c < k; c++) {
                if (mass[c] > 0) {
                    for (int t = 0; t < d; t++) centres[c * d + t] = sums[c * d + t] / mass[c];
                }
            }
            if (!assign(points, d, centres, k, labels)) break;
        }
        return new Result(centres, labels);
    }

    /** k-means++ seeding; returns how many distinct centres were found (≤ k). */
    private static int seed(double[] points, double[] weights, int d, int k, RandomGenerator random, double[] centres) {
        int n = weights.length;
        double[] dist = new double[n];
        Arrays.fill(dist, Double.POSITIVE_INFINITY);
        int first = pick(weights, null, random);
        System.arraycopy(points, first * d, centres, 0, d);
        int chosen = 1;
        while (chosen < k) {
            int last = (chosen - 1) * d;
            double total = 0;
            for (int p = 0; p < n; p++) {
                double s = 0;
                for (int t = 0; t < d; t++) {
                    double diff = points[p * d + t] - centres[last + t];
                    s += diff * diff;
                }
                if (s < dist[p]) dist[p] = s;
                total += weights[p] * dist[p];
            }
            if (!(total > 0)) break; // every point coincides with a centre
            int next = pick(weights, dist, random);
            System.arraycopy(points, next * d, centres, chosen * d, d);
            chosen++;
        }
        return chosen;
    }

    /** Samples an index with probability ∝ weight (× dist when given). */
    private static int pick(double[] weights, double[] dist, RandomGenerator random) {
        double total = 0;
        for (int p = 0; p < weights.length; p++) total += dist == null ? weights[p] : weights[p] * dist[p];
        double target = random.nextDouble() * total;
        double acc = 0;
        int lastPositive = 0;
        for (int p = 0; p < weights.length; p++) {
            double v = dist == null ? weights[p] : weights[p] * dist[p];
            if (v > 0) {
                acc += v;
                lastPositive = p;
                if (acc > target) return p;
            }
        }
        return lastPositive;
    }

    /** Nearest-centre assignment (ties to the lowest index); returns whether any label changed. */
    static boolean assign(double[] points, int d, double[] centres, int k, int[] labels) {
        boolean changed = false;
        int n = labels.length;
        for (int p = 0; p < n; p++) {
            int best = 0;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int t = 0; t < d; t++) {
                    double diff = points[p * d + t] - centres[c * d + t];
                    s += diff * diff;
                }
                if (s < bestDist) {
                    bestDist = s;
                    best = c;
                }
            }
            if (labels[p] != best) {
                labels[p] = best;
                changed = true;
            }
        }
        return changed;
    }
}
