package dev.pare.passes.compression.math;

import java.util.ArrayList;
import java.util.List;

/**
 * Spreads a number of zeros over several layers so that the sum of their relative output errors
 * ({@link OutputError}) is smallest, instead of giving every layer the same sparsity. Each layer
 * has a measured curve: its error at a few sparsities (0 at sparsity 0). Between measured points
 * the error is taken as linear and each curve is replaced by its lower convex hull; the zeros then
 * go, segment by segment, where one more zero costs least error ({@code Δerror / Δzeros}, the
 * hull's slope over the layer's size), the last segment taken in part so that the total is exact.
 * On convex curves this is the optimum of the linear interpolation; the hull makes it so on the
 * others. Ties go to the earlier layer.
 */
public final class SparsityAllocation {

    private SparsityAllocation() {}

    /** One layer: its weight count and its error at the measured sparsities (ascending, the first 0 with error 0). */
    public record Curve(long size, double[] sparsity, double[] error) {
        public Curve {
            if (size < 1) throw new IllegalArgumentException("allocation: a layer needs weights, got " + size);
            if (sparsity.length < 2 || sparsity.length != error.length || sparsity[0] != 0) {
                throw new IllegalArgumentException("allocation: a curve needs points from sparsity 0, got " + sparsity.length);
            }
            for (int i = 1; i < sparsity.length; i++) {
                if (!(sparsity[i] > sparsity[i - 1]) || sparsity[i] > 1) throw new IllegalArgumentException("allocation: sparsities must rise within [0, 1]");
            }
            for (double e : error) if (!(e >= 0) || Double.isInfinite(e)) throw new IllegalArgumentException("allocation: errors must be finite and >= 0");
        }
    }

    /**
     * @param curves the layers
     * @param zeros  how many weights to zero in total, at most what the curves reach
     * @return the number of zeros of each layer; they sum to {@code zeros}
     */
    public static long[] allocate(List<Curve> curves, long zeros) {
        long reachable = 0;
        for (Curve c : curves) reachable += (long) Math.floor(c.sparsity()[c.sparsity().length - 1] * c.size());
        if (zeros < 0 || zeros > reachable) {
            throw new IllegalArgumentException("allocation: " + zeros + " zeros asked, the curves reach " + reachable);
        }
        record Segment(int layer, double from, double to, double costPerZero) {}
        List<Segment> segments = new ArrayList<>();
        for (int l = 0; l < curves.size(); l++) {
            Curve c = curves.get(l);
            int[] hull = lowerHull(c);
            for (int k = 1; k < hull.length; k++) {
                double s0 = c.sparsity()[hull[k - 1]];
                double s1 = c.sparsity()[hull[k]];
                double slope = (c.error()[hull[k]] - c.error()[hull[k - 1]]) / ((s1 - s0) * c.size());
                segments.add(new Segment(l, s0, s1, slope));
            }
        }
        // a convex hull's slopes rise, so sorting by cost keeps each layer's segments in order
        segments.sort((a, b) -> a.costPerZero() != b.costPerZero() ? Double.compare(a.costPerZero(), b.costPerZero())
                : a.layer() != b.layer() ? Integer.compare(a.layer(), b.layer()) : Double.compare(a.from(), b.from()));
        double[] sparsity = new double[curves.size()];
        double left = zeros;
        for (Segment s : segments) {
            if (left <= 0) break;
            double room = (s.to() - s.from()) * curves.get(s.layer()).size();
            double take = Math.min(room, left);
            sparsity[s.layer()] += take / curves.get(s.layer()).size();
            left -= take;
        }
        // whole zeros: floor each, then the remainder one by one to the largest fractions (ties: earlier layer)
        long[] out = new long[curves.size()];
        double[] fraction = new double[curves.size()];
        long given = 0;
        for (int l = 0; l < out.length; l++) {
            double exact = sparsity[l] * curves.get(l).size();
            out[l] = (long) Math.floor(exact + 1e-9);
            fraction[l] = exact - out[l];
            given += out[l];
        }
        while (given < zeros) {
            int best = -1;
            for (int l = 0; l < out.length; l++) {
                long cap = (long) Math.floor(curves.get(l).sparsity()[curves.get(l).sparsity().length - 1] * curves.get(l).size());
                if (out[l] < cap && (best < 0 || fraction[l] > fraction[best])) best = l;
            }
            out[best]++;
            fraction[best] = -1;
            given++;
        }
        return out;
    }

    /** Indices of the points on the lower convex hull of the curve, from sparsity 0 to the last point. */
    private static int[] lowerHull(Curve c) {
        int n = c.sparsity().length;
        int[] hull = new int[n];
        int h = 0;
        for (int i = 0; i < n; i++) {
            while (h >= 2 && cross(c, hull[h - 2], hull[h - 1], i) <= 0) h--;
            hull[h++] = i;
        }
        return java.util.Arrays.copyOf(hull, h);
    }

    /** > 0 when point {@code b} lies below the line from {@code a} to {@code c} (a left turn, seen from below). */
    private static double cross(Curve curve, int a, int b, int c) {
        double[] s = curve.sparsity();
        double[] e = curve.error();
        return (s[b] - s[a]) * (e[c] - e[a]) - (e[b] - e[a]) * (s[c] - s[a]);
    }
}
