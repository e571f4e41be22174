package dev.pare.passes.compression.math;

import dev.pare.ir.Float16;
import java.util.SplittableRandom;

/**
 * Not a unit test: times {@link KMeans1D} on 4M fp16-rounded Gaussian weights (σ = 0.02, 1% drawn
 * with 8σ: a weight distribution with outliers). Run with
 * {@code java -cp passes/target/classes:passes/target/test-classes:ir/target/classes
 * dev.pare.passes.compression.math.KMeans1DMeasurement}.
 */
public final class KMeans1DMeasurement {

    private KMeans1DMeasurement() {}

    public static void main(String[] args) {
        int n = 4 << 20;
        SplittableRandom r = new SplittableRandom(42);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double sigma = r.nextInt(100) == 0 ? 0.16 : 0.02;
            w[i] = Float16.toFloat(Float16.fromFloat((float) (r.nextGaussian() * sigma)));
        }
        for (int round = 0; round < 2; round++) {
            long t0 = System.nanoTime();
            KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(w);
            long t1 = System.nanoTime();
            System.out.printf("round %d: %d values, %d distinct, counting %.1f ms%n", round, n, data.size(), (t1 - t0) / 1e6);
            for (int k : new int[] {16, 256}) {
                long a = System.nanoTime();
                KMeans1D.Clustering c = KMeans1D.cluster(data, k);
                long b = System.nanoTime();
                System.out.printf("  k=%d: %.1f ms, exact=%s, sse=%.6e%n", k, (b - a) / 1e6, c.exact(), c.sse());
            }
        }
    }
}
