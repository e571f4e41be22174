package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.passes.compression.math.PalettizerOptions.PerChannelScale;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class PalettizerTest {

    private static final Palettizer SERIAL = new Palettizer(null);

    static float[] gaussian(int n, long seed, boolean half) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (float) (r.nextGaussian() * 0.05);
            w[i] = half ? Float16.toFloat(Float16.fromFloat(v)) : v;
        }
        return w;
    }

    static float fp16(double v) {
        return Float16.toFloat(Float16.fromFloat((float) v));
    }

    /**
     * Independent reference for iOS18 constexpr_lut_to_dense (ir/MIL_DIALECT.md, Constexpr ops): LUT block of an
     * index position is {@code i / (indices.shape[i] / lut.shape[i])} per axis; vector entries
     * expand along {@code vector_axis}.
     */
    static float[] lutToDense(int[] indices, long[] indicesShape, float[] lut, long[] lutShape, int vectorAxis) {
        int rank = indicesShape.length;
        int palette = (int) lutShape[rank];
        int vs = (int) lutShape[rank + 1];
        long[] outShape = indicesShape.clone();
        if (vs > 1) outShape[vectorAxis] *= vs;
        int n = Shapes.count(outShape);
        float[] out = new float[n];
        long[] outStrides = Shapes.strides(outShape);
        long[] idxStrides = Shapes.strides(indicesShape);
        long[] lutBlockStrides = Shapes.strides(Arrays.copyOf(lutShape, rank));
        for (int e = 0; e < n; e++) {
            long rest = e;
            long idxPos = 0;
            long lutBlock = 0;
            int component = 0;
            for (int d = 0; d < rank; d++) {
                long c = rest / outStrides[d];
                rest %= outStrides[d];
                long ic = c;
                if (vs > 1 && d == vectorAxis) {
                    ic = c / vs;
                    component = (int) (c % vs);
                }
                idxPos += ic * idxStrides[d];
                long per = indicesShape[d] / lutShape[d];
                lutBlock += (ic / per) * lutBlockStrides[d];
            }
            out[e] = lut[(int) ((lutBlock * palette + indices[(int) idxPos]) * vs + component)];
        }
        return out;
    }

    static float[] reference(Palettization p) {
        return lutToDense(p.indices(), p.indicesShape(), p.luts(), p.lutShape(), p.axis());
    }

    @Test
    void kmeansPerTensorMatchesTheExactClusteringAndTheOpMath() {
        float[] w = gaussian(4096, 1, false);
        WeightTensor weight = WeightTensor.of(w, new long[] {64, 64}, Precision.FLOAT32);
        Palettization p = SERIAL.palettize(weight, PalettizerOptions.kmeans(4), new SplittableRandom(0));
        assertEquals(4, p.nbits());
        assertArrayEquals(new long[] {1, 1, 16, 1}, p.lutShape());
        assertEquals(DType.UINT4, p.indexType());
        KMeans1D.Clustering c = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), 16);
        for (int i = 0; i < 16; i++) assertEquals((float) c.centres()[i], p.luts()[i]);
        for (int e = 0; e < w.length; e++) assertEquals(c.clusterOf(w[e]), p.indices()[e]);
        assertArrayEquals(reference(p), p.decompress());
        assertNull(p.scales());
    }

    @Test
    void halfPrecisionLutIsTheFp16RoundingOfTheCentres() {
        float[] w = gaussian(4096, 2, true);
        WeightTensor weight = WeightTensor.of(w, new long[] {4096}, Precision.FLOAT16);
        Palettization p = SERIAL.palettize(weight, PalettizerOptions.kmeans(3), new SplittableRandom(0));
        KMeans1D.Clustering c = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), 8);
        for (int i = 0; i < 8; i++) assertEquals(fp16(c.centres()[i]), p.luts()[i]);
        float[] dense = p.decompress();
        for (float v : dense) assertEquals(v, fp16(v));
        assertArrayEquals(reference(p), dense);
    }

    @Test
    void groupedLutsFollowTheChannelAxis() {
        float[] w = gaussian(8 * 6 * 3, 3, false);
        long[] shape = {8, 6, 3};
        for (int axis : new int[] {0, 1}) {
            int gs = axis == 0 ? 2 : 3;
            PalettizerOptions o = PalettizerOptions.kmeans(2).withGroups(gs, axis);
            Palettization p = SERIAL.palettize(WeightTensor.of(w, shape, Precision.FLOAT32), o, new SplittableRandom(0));
            long[] lutShape = {1, 1, 1, 4, 1};
            lutShape[axis] = shape[axis] / gs;
            assertArrayEquals(lutShape, p.lutShape());
            assertArrayEquals(reference(p), p.decompress());
            // each group's LUT is the exact clustering of that group's values
            for (int g = 0; g < shape[axis] / gs; g++) {
                float[] values = new float[w.length];
                int n = 0;
                for (int e = 0; e < w.length; e++) {
                    long c = axis == 0 ? e / 18 : (e / 3) % 6;
                    if (c / gs == g) values[n++] = w[e];
                }
                KMeans1D.Clustering c = KMeans1D.cluster(KMeans1D.WeightedValues.of(values, n), 4);
                float[] lut = p.lut(g);
                for (int i = 0; i < 4; i++) assertEquals((float) c.centres()[i], lut[i]);
            }
        }
    }

    @Test
    void outputChannelScaleNormalisesEachChannel() {
        float[] w = gaussian(8 * 16, 4, true);
        for (int i = 0; i < 16; i++) w[i] *= 8; // channel 0 much larger
        WeightTensor weight = WeightTensor.of(w, new long[] {8, 16}, Precision.FLOAT16);
        PalettizerOptions o = PalettizerOptions.kmeans(4).withChannelAxis(0).withPerChannelScale(PerChannelScale.OUTPUT_CHANNEL);
        Palettization p = SERIAL.palettize(weight, o, new SplittableRandom(0));
        assertArrayEquals(new long[] {8, 1}, p.scaleShape());
        for (int row = 0; row < 8; row++) {
            float max = 0;
            for (int c = 0; c < 16; c++) max = Math.max(max, Math.abs(w[row * 16 + c]));
            assertEquals(max, p.scales()[row]);
        }
        float[] lut = reference(p);
        float[] expected = new float[w.length];
        for (int e = 0; e < w.length; e++) expected[e] = fp16(lut[e] * p.scales()[e / 16]);
        assertArrayEquals(expected, p.decompress());
    }

    @Test
    void coremltoolsScaleLayoutReducesOverTheChannelAxis() {
        float[] w = gaussian(4 * 6, 5, false);
        Arrays.fill(w, 12, 18, 0f); // row 2 all zero: column maxima unaffected
        w[5] = 0; w[11] = 0; w[17] = 0; w[23] = 0; // column 5 all zero: scale 1
        WeightTensor weight = WeightTensor.of(w, new long[] {4, 6}, Precision.FLOAT32);
        PalettizerOptions o = PalettizerOptions.kmeans(2).withChannelAxis(0).withPerChannelScale(PerChannelScale.REDUCE_CHANNEL_AXIS);
        Palettization p = SERIAL.palettize(weight, o, new SplittableRandom(0));
        assertArrayEquals(new long[] {1, 6}, p.scaleShape());
        assertEquals(1f, p.scales()[5]);
        float[] lut = reference(p);
        float[] expected = new float[w.length];
        for (int e = 0; e < w.length; e++) expected[e] = lut[e] * p.scales()[e % 6];
        assertArrayEquals(expected, p.decompress());
    }

    @Test
    void vectorPalettizationReconstructsDistinctVectorsExactlyInUniqueMode() {
        // 4x3 weight, vectors of 2 along axis 0: (w[0,c], w[1,c]) and (w[2,c], w[3,c])
        float[] w = {1, 2, 1, 3, 4, 3, 1, 2, 5, 3, 4, 6};
        WeightTensor weight = WeightTensor.of(w, new long[] {4, 3}, Precision.FLOAT32);
        Palettization p = SERIAL.palettize(weight, PalettizerOptions.unique().withChannelAxis(0).withClusterDim(2), new SplittableRandom(0));
        assertArrayEquals(new long[] {2, 3}, p.indicesShape());
        assertArrayEquals(new long[] {1, 1, 4, 2}, p.lutShape());
        // distinct vectors sorted lexicographically: (1,3) (2,4) (5,6), zero padded
        assertArrayEquals(new float[] {1, 3, 2, 4, 5, 6, 0, 0}, p.luts());
        assertArrayEquals(new int[] {0, 1, 0, 0, 1, 2}, p.indices());
        assertArrayEquals(w, p.decompress());
        assertArrayEquals(w, reference(p));
    }

    @Test
    void vectorKmeansIsDeterministicAcrossThreadCountsAndMatchesTheOpMath() throws Exception {
        float[] w = gaussian(32 * 24, 6, true);
        WeightTensor weight = WeightTensor.of(w, new long[] {32, 24}, Precision.FLOAT16);
        PalettizerOptions o = PalettizerOptions.kmeans(2).withGroups(8, 0).withClusterDim(4);
        Palettization serial = SERIAL.palettize(weight, o, new SplittableRandom(99));
        assertArrayEquals(new long[] {4, 1, 4, 4}, serial.lutShape());
        assertArrayEquals(reference(serial), serial.decompress());
        for (int threads : new int[] {1, 2, 4}) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                Palettization p = new Palettizer(pool).palettize(weight, o, new SplittableRandom(99));
                assertArrayEquals(serial.luts(), p.luts(), "threads=" + threads);
                assertArrayEquals(serial.indices(), p.indices(), "threads=" + threads);
            } finally {
                pool.shutdown();
            }
        }
        Palettization otherSeed = SERIAL.palettize(weight, o, new SplittableRandom(100));
        assertArrayEquals(reference(otherSeed), otherSeed.decompress());
    }

    @Test
    void scalarGroupsAreDeterministicAcrossThreadCounts() {
        float[] w = gaussian(64 * 32, 7, false);
        WeightTensor weight = WeightTensor.of(w, new long[] {64, 32}, Precision.FLOAT32);
        PalettizerOptions o = PalettizerOptions.kmeans(6).withGroups(4, 0);
        Palettization serial = SERIAL.palettize(weight, o, new SplittableRandom(1));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Palettization p = new Palettizer(pool).palettize(weight, o, new SplittableRandom(1));
            assertArrayEquals(serial.luts(), p.luts());
            assertArrayEquals(serial.indices(), p.indices());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void uniformModeFollowsTheReferenceFormula() {
        float[] w = {-1f, 0.2f, 1f, 0.5f};
        Palettization p = SERIAL.palettize(WeightTensor.of(w, new long[] {4}, Precision.FLOAT32), PalettizerOptions.uniform(1), new SplittableRandom(0));
        assertArrayEquals(new float[] {-1f, 1f}, p.luts());
        // idx = round((w - min) / (max - min) * 1): 0, round(0.6)=1, 1, round(0.75)=1
        assertArrayEquals(new int[] {0, 1, 1, 1}, p.indices());
        float[] ramp = {0, 1, 2, 3, 4, 5, 6, 7, 3, 3};
        Palettization q = SERIAL.palettize(WeightTensor.of(ramp, new long[] {10}, Precision.FLOAT16), PalettizerOptions.uniform(3), new SplittableRandom(0));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, q.luts());
        assertArrayEquals(ramp, q.decompress());
        // constant weight: index 0, LUT of min
        Palettization c = SERIAL.palettize(WeightTensor.of(new float[] {2f, 2f}, new long[] {2}, Precision.FLOAT32), PalettizerOptions.uniform(2), new SplittableRandom(0));
        assertArrayEquals(new float[] {2f, 2f}, c.decompress());
    }

    @Test
    void uniqueModePicksTheSmallestNbitsAndReconstructsExactly() {
        float[] w = {0.5f, -1f, 2f, 0.5f, -1f, -0.0f, 0f};
        Palettization p = SERIAL.palettize(WeightTensor.of(w, new long[] {7}, Precision.FLOAT32), PalettizerOptions.unique(), new SplittableRandom(0));
        assertEquals(2, p.nbits());
        assertArrayEquals(new float[] {-1f, 0f, 0.5f, 2f}, p.luts());
        float[] dense = p.decompress();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], dense[i], 0f);
        // 5 distinct values need 3 bits; the LUT is zero padded
        Palettization five = SERIAL.palettize(WeightTensor.of(new float[] {1, 2, 3, 4, 5}, new long[] {5}, Precision.FLOAT32),
                PalettizerOptions.unique(), new SplittableRandom(0));
        assertEquals(3, five.nbits());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 0, 0, 0}, five.luts());
    }

    @Test
    void customModePicksTheNearestEntryWithTiesToTheLowestIndex() {
        float[] lut = {0f, 1f, -1f};
        float[] w = {0.5f, -0.5f, 0.9f, -2f, 0.2f};
        Palettization p = SERIAL.palettize(WeightTensor.of(w, new long[] {5}, Precision.FLOAT32), PalettizerOptions.custom(lut), new SplittableRandom(0));
        assertEquals(2, p.nbits());
        assertArrayEquals(new float[] {0f, 1f, -1f, -1f}, p.luts());
        assertArrayEquals(new int[] {0, 0, 1, 2, 0}, p.indices());
        assertArrayEquals(new float[] {0f, 0f, 1f, -1f, 0f}, p.decompress());
    }

    @Test
    void maskedPalettizationFitsOnlyKeptValuesAndKeepsZerosExact() {
        float[] w = {0f, 0.25f, 0f, 0.75f, 0f, 0.25f, 0f, 0.75f};
        boolean[] keep = new boolean[w.length];
        for (int i = 0; i < w.length; i++) keep[i] = w[i] != 0f;
        Palettization p = SERIAL.palettize(WeightTensor.of(w, new long[] {8}, Precision.FLOAT32), PalettizerOptions.kmeans(1), new SplittableRandom(0), keep);
        assertArrayEquals(new float[] {0.25f, 0.75f}, p.luts());
        assertArrayEquals(w, p.decompress());
        assertArrayEquals(new int[] {0, 1, 0, 1}, p.keptIndices());
        // zeros are in the LUT fit without a mask
        Palettization dense = SERIAL.palettize(WeightTensor.of(w, new long[] {8}, Precision.FLOAT32), PalettizerOptions.kmeans(1), new SplittableRandom(0));
        assertTrue(dense.luts()[0] < 0.25f);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void rejectsImpossibleOptionsWithExactMessages() {
        WeightTensor weight = WeightTensor.of(new float[48], new long[] {6, 8}, Precision.FLOAT32);
        SplittableRandom r = new SplittableRandom(0);
        assertEquals("nbits must be one of 1, 2, 3, 4, 6, 8, got 5", message(() -> PalettizerOptions.kmeans(5)));
        assertEquals("palettize: nbits is required for uniform mode", message(() -> PalettizerOptions.uniform(2).withNbits(null)));
        assertEquals("palettize: group_size must be positive, got 0", message(() -> PalettizerOptions.kmeans(2).withGroups(0, 0)));
        assertEquals("palettize: uniform mode does not support cluster_dim > 1", message(() -> PalettizerOptions.uniform(2).withClusterDim(2)));
        assertEquals("palettize: custom mode needs a LUT", message(() -> PalettizerOptions.custom(new float[0])));
        assertEquals("palettize: group_size 4 does not divide the 6 channels on axis 0",
                message(() -> SERIAL.palettize(weight, PalettizerOptions.kmeans(2).withGroups(4, 0), r)));
        assertEquals("palettize: cluster_dim 3 does not divide the group of 4 channels on axis 1",
                message(() -> SERIAL.palettize(weight, PalettizerOptions.kmeans(2).withGroups(4, 1).withClusterDim(3), r)));
        assertEquals("palettize: per_grouped_channel needs a channel axis",
                message(() -> SERIAL.palettize(weight, PalettizerOptions.kmeans(2).withGroups(2, 0).withChannelAxis(null), r)));
        assertEquals("palettize: channel_axis 2 is out of range for a rank-2 weight",
                message(() -> SERIAL.palettize(weight, PalettizerOptions.kmeans(2).withGroups(2, 2), r)));
        float[] many = new float[300];
        for (int i = 0; i < many.length; i++) many[i] = i;
        WeightTensor manyValues = WeightTensor.of(many, new long[] {300}, Precision.FLOAT32);
        assertEquals("palettize: unique mode allows at most 256 distinct values per LUT, found 300",
                message(() -> SERIAL.palettize(manyValues, PalettizerOptions.unique(), r)));
        assertEquals("palettize: unique mode with nbits 4 allows 16 distinct values per LUT, found 300",
                message(() -> SERIAL.palettize(manyValues, PalettizerOptions.unique().withNbits(4), r)));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SERIAL.palettize(manyValues, PalettizerOptions.unique(), r)) instanceof CompressionNotApplicableException);
    }
}
