package dev.pare.passes.quantization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RangeCollectorTest {

    private static FloatBuffer of(float... v) { return FloatBuffer.wrap(v); }

    @Test
    void growingTheRangeMergesBinsExactly() {
        // Values off every bin edge: R = 1 grows to 4 after the second sample; a collector that sees
        // |x| = 4 first must end with the very same counts.
        float[] small = {-0.9993f, -0.3001f, 0.0007f, 0.4441f, 0.9897f, -1f};
        float[] large = {3.1001f, -2.2003f, 0.5309f, -3.9999f, 4f};
        RangeCollector grown = new RangeCollector(true);
        grown.add(of(small));
        grown.add(of(large));
        RangeCollector direct = new RangeCollector(true);
        direct.add(of(4f));
        direct.add(of(small));
        direct.add(of(-3.9999f, 3.1001f, -2.2003f, 0.5309f));
        assertEquals(4.0, grown.halfRange());
        assertArrayEquals(direct.histogram(), grown.histogram());
        assertEquals(-3.9999f, (float) grown.min());
        assertEquals(4f, (float) grown.max());
        assertEquals(11, grown.count());
    }

    @Test
    void shareBelowCountsTheNonZeroValuesUnderABound() {
        RangeCollector c = new RangeCollector(false);
        c.add(of(0f, 0f, 0.01f, -0.01f, 0.02f, 50f, -100f));
        // of the 5 non-zero values, 3 lie below 1 (exact zeros are not counted)
        assertEquals(0.6, c.shareBelow(1.0), 1e-12);
        assertEquals(0.0, c.shareBelow(0.001), 1e-12);
        // 0.02 lies in [2^-6, 2^-5): counted from a bound of 2^-5 on, never before it is below the bound
        assertEquals(0.4, c.shareBelow(0.03), 1e-12);
        assertEquals(0.6, c.shareBelow(0.03125), 1e-12);
        assertEquals(0.0, new RangeCollector(false).shareBelow(1.0));
    }

    @Test
    void percentileClipsARareOutlier() {
        SplittableRandom r = new SplittableRandom(1);
        float[] v = new float[10_000];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        RangeCollector c = new RangeCollector(true);
        c.add(of(v));
        c.add(of(50f));
        double[] sym = c.percentileRange(99.99, true);
        assertTrue(sym[1] >= 0.99 && sym[1] <= 1.07, "symmetric threshold " + sym[1]);
        assertEquals(-sym[1], sym[0]);
        double[] asym = c.percentileRange(99.9, false);
        assertTrue(asym[0] <= -0.99 && asym[0] >= -1.07, "lower " + asym[0]);
        assertTrue(asym[1] >= 0.99 && asym[1] <= 1.07, "upper " + asym[1]);
        assertEquals(50.0, c.max());
    }

    @Test
    void entropyThresholdLiesBetweenTheBulkAndTheOutliers() {
        SplittableRandom r = new SplittableRandom(2);
        RangeCollector c = new RangeCollector(true);
        for (int s = 0; s < 10; s++) {
            float[] v = new float[10_000];
            for (int i = 0; i < v.length; i++) v[i] = (float) gaussian(r);
            c.add(of(v));
        }
        c.add(of(100f, -80f));
        double t = c.entropyThreshold(128);
        assertTrue(t > 2.5 && t < 20, "threshold " + t);
    }

    @Test
    void minMaxOnlyIgnoresNonFiniteValues() {
        RangeCollector c = new RangeCollector(false);
        c.add(of(Float.NaN, -2f, Float.NEGATIVE_INFINITY, 5f));
        assertEquals(-2.0, c.min());
        assertEquals(5.0, c.max());
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Laplace(0, 1) values with a few outliers at +-40: the tails minmax keeps cost every other value precision. */
    private static RangeCollector laplaceWithOutliers() {
        SplittableRandom random = new SplittableRandom(11);
        RangeCollector c = new RangeCollector(true);
        for (int s = 0; s < 20; s++) {
            float[] v = new float[10_000];
            for (int i = 0; i < v.length; i++) {
                double u = random.nextDouble() - 0.5;
                v[i] = (float) (-Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
            }
            if (s % 5 == 0) v[0] = s % 10 == 0 ? 40f : -40f;
            c.add(of(v));
        }
        return c;
    }

    @Test
    void mseRangeIsInsideMinmaxAndLosesLessThanMinmaxAndPercentile() {
        RangeCollector c = laplaceWithOutliers();
        double[] mse = c.mseRange(true, false, false);
        assertTrue(mse[0] > c.min() && mse[1] < c.max(), "mse " + mse[0] + ", " + mse[1]);
        // the outliers are too many to clip to the bulk (each costs its squared distance), but the range shrinks
        assertTrue(mse[1] < 0.9 * c.max() && mse[0] > 0.9 * c.min(), "mse " + mse[0] + ", " + mse[1]);
        double eMse = c.squaredError(QuantParams.of(mse[0], mse[1], true, false), true, false, false);
        double eMinmax = c.squaredError(QuantParams.of(c.min(), c.max(), true, false), true, false, false);
        assertTrue(eMse < 0.85 * eMinmax, "mse " + eMse + " vs minmax " + eMinmax);
        for (double p : new double[] {99.9, 99.99, 99.999}) {
            double[] r = c.percentileRange(p, false);
            double e = c.squaredError(QuantParams.of(r[0], r[1], true, false), true, false, false);
            assertTrue(eMse < e, "mse " + eMse + " vs percentile " + p + " " + e);
        }
    }

    @Test
    void mseKeepsTheWholeRangeOfUniformData() {
        RangeCollector c = new RangeCollector(true);
        SplittableRandom random = new SplittableRandom(5);
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) v[i] = (float) random.nextDouble(-1, 1);
        c.add(of(v));
        double[] mse = c.mseRange(true, false, false);
        // clipping a uniform distribution costs more than the rounding it saves, beyond the last percent
        assertTrue(mse[1] / c.max() > 0.98 && mse[0] / c.min() > 0.98, mse[0] + ", " + mse[1]);
    }

    @Test
    void squaredErrorIsRoundingInsideTheRangeAndDistanceOutside() {
        RangeCollector c = new RangeCollector(true);
        c.add(of(0.5f, -0.5f, 0f, 3f));
        // int8 asymmetric over [-1, 1]: step 2/255, codes cover [-1.0039, 0.9961]; 3 clips by about 2.0039
        QuantParams p = QuantParams.of(-1, 1, true, false);
        double step = p.scale();
        double outside = 3 - p.highest(true, false);
        double expected = (2 * step * step / 12 + outside * outside) / 4;
        assertEquals(expected, c.squaredError(p, true, false, false), 0.01 * expected);
    }

    @Test
    void reduceRangeHalvesTheCodeRange() {
        // int8: 7-bit codes -64..63 (symmetric -63..63); uint8: 0..127 (symmetric zero point 64)
        assertEquals(new QuantParams(4f / 127, -32), QuantParams.of(-1, 3, true, false, true));
        assertEquals(new QuantParams(4f / 126, 0), QuantParams.of(-2, 1, true, true, true));
        assertEquals(new QuantParams(4f / 127, 64), QuantParams.of(-2, 1, false, true, true));
        assertEquals(new QuantParams(3f / 127, 0), QuantParams.of(0, 3, false, false, true));
        assertEquals(new QuantParams(4f / 255, -64), QuantParams.of(-1, 3, true, false, false));
    }
}
