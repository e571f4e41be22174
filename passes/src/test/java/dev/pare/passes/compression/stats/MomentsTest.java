package dev.pare.passes.compression.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The blocked rank-k update of {@link Moments} gives the same bits as adding the vectors one at a
 * time (each entry a running sum in vector order), however the vectors are chunked and however
 * the triangle's rows are split between callers.
 */
class MomentsTest {

    /** The straightforward accumulation: one vector at a time, every entry of the upper triangle. */
    private static void reference(double[] h, double[] sum, double[] rows, int n, int d) {
        for (int r = 0; r < n; r++) {
            for (int a = 0; a < d; a++) {
                double xa = rows[r * d + a];
                sum[a] += xa;
                for (int b = a; b < d; b++) h[a * d + b] += xa * rows[r * d + b];
            }
        }
    }

    /** Post-ReLU-like vectors: about a third exact zeros, the rest of mixed magnitudes. */
    private static double[] vectors(SplittableRandom random, int n, int d) {
        double[] x = new double[n * d];
        for (int i = 0; i < x.length; i++) {
            double v = random.nextGaussian() * Math.exp(random.nextGaussian());
            x[i] = random.nextInt(3) == 0 ? 0 : (float) v;
        }
        return x;
    }

    @Test
    void chunkedAndSplitSumsEqualOneVectorAtATimeBitForBit() {
        SplittableRandom random = new SplittableRandom(12);
        for (int d : new int[] {1, 3, 4, 5, 9, 16, 17, 64, 130, 300}) { // 300: more than one tile each way
            int n = 300 + random.nextInt(200);
            double[] x = vectors(random, n, d);
            double[] h = new double[d * d];
            double[] sum = new double[d];
            reference(h, sum, x, n, d);

            for (int parts : new int[] {1, 2, 3, 4, 7}) {
                Moments m = new Moments(2, d, true);
                int[] split = Moments.rowSplits(d, parts);
                assertEquals(0, split[0]);
                assertEquals(d, split[split.length - 1]);
                int done = 0;
                while (done < n) { // uneven chunks, as a gather hands them over
                    int count = Math.min(n - done, 1 + random.nextInt(150));
                    double[] chunk = java.util.Arrays.copyOfRange(x, done * d, (done + count) * d);
                    for (int p = 0; p + 1 < split.length; p++) {
                        m.add(1, chunk, count, split[p], split[p + 1], p == 0);
                    }
                    done += count;
                }
                String what = "d=" + d + ", " + parts + " parts";
                for (int a = 0; a < d; a++) {
                    for (int b = a; b < d; b++) {
                        assertEquals(Double.doubleToRawLongBits(h[a * d + b]), Double.doubleToRawLongBits(m.outer[1][a * d + b]),
                                what + ": H[" + a + "][" + b + "]");
                    }
                }
                assertArrayEquals(sum, m.sum[1], 0.0, what + ": sum");
                assertArrayEquals(new double[d * d], m.outer[0], 0.0, what + ": group 0 untouched");
            }
        }
    }

    @Test
    void rowSplitsCoverTheTriangleInBalancedRangesAtMultiplesOfFour() {
        assertArrayEquals(new int[] {0, 1}, Moments.rowSplits(1, 4));
        assertArrayEquals(new int[] {0, 8}, Moments.rowSplits(8, 1));
        int[] s = Moments.rowSplits(1536, 4);
        assertEquals(5, s.length);
        long total = 1536L * 1537 / 2;
        for (int p = 0; p + 1 < s.length; p++) {
            assertEquals(0, s[p] % 4, "bound " + s[p]);
            long entries = 0;
            for (int a = s[p]; a < s[p + 1]; a++) entries += 1536 - a;
            assertEquals(total / 4.0, entries, total * 0.01, "part " + p + " of " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void meansOnlyLeaveTheSecondMomentOut() {
        Moments m = new Moments(1, 3, false);
        m.add(0, new double[] {1, 2, 3, 4, 5, 6}, 2);
        assertArrayEquals(new double[] {5, 7, 9}, m.sum[0], 0.0);
        assertEquals(8L * 3, m.bytes());
    }
}
