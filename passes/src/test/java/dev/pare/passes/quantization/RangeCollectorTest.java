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
}
