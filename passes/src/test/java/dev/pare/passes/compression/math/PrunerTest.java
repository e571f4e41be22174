package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrunerTest {

    private static WeightTensor tensor(float[] w, long... shape) {
        return WeightTensor.of(w, shape, Precision.FLOAT32);
    }

    @Test
    void thresholdPrunesSmallMagnitudesAndChecksTheMinimumSparsity() {
        float[] w = {0.1f, -0.001f, 0.002f, 0.5f};
        PruningResult p = Pruner.threshold(tensor(w, 4), new ThresholdPrunerOptions(0.01, 0.5));
        assertArrayEquals(new boolean[] {true, false, false, true}, p.keep());
        assertArrayEquals(new float[] {0.1f, 0.5f}, p.keptValues());
        assertArrayEquals(new float[] {0.1f, 0f, 0f, 0.5f}, p.decompress());
        assertEquals(0.5, p.sparsity());
        CompressionNotApplicableException e = assertThrows(CompressionNotApplicableException.class,
                () -> Pruner.threshold(tensor(w, 4), new ThresholdPrunerOptions(0.01, 0.75)));
        assertEquals("prune: sparsity 0.5 is below minimum_sparsity_percentile 0.75", e.getMessage());
        // |w| == threshold is pruned (<=), and existing zeros count towards the sparsity
        PruningResult edge = Pruner.threshold(tensor(new float[] {0.25f, 0f, 1f}, 3), new ThresholdPrunerOptions(0.25, 0.6));
        assertArrayEquals(new boolean[] {false, false, true}, edge.keep());
    }

    @Test
    void magnitudeMatchesTheDocumentedExample() {
        // coremltools docstring: [0.3, -0.2, -0.01, 0.05] at 0.75 -> [0.3, 0, 0, 0]
        PruningResult p = Pruner.magnitude(tensor(new float[] {0.3f, -0.2f, -0.01f, 0.05f}, 4), MagnitudePrunerOptions.sparsity(0.75));
        assertArrayEquals(new float[] {0.3f, 0f, 0f, 0f}, p.decompress());
    }

    @Test
    void percentileInterpolatesLinearlyAndTiesArePrunedTogether() {
        assertEquals(2.5, Pruner.percentile(new float[] {4, 1, 3, 2}, 50));
        assertEquals(1.75, Pruner.percentile(new float[] {1, 2, 3, 4}, 25));
        PruningResult half = Pruner.magnitude(tensor(new float[] {1, -2, 3, -4}, 4), MagnitudePrunerOptions.sparsity(0.5));
        assertArrayEquals(new float[] {0, 0, 3, -4}, half.decompress());
        PruningResult ties = Pruner.magnitude(tensor(new float[] {1, -1, 1, 2}, 4), MagnitudePrunerOptions.sparsity(0.25));
        assertArrayEquals(new float[] {0, 0, 0, 2}, ties.decompress());
        assertEquals(0.75, ties.sparsity());
        PruningResult none = Pruner.magnitude(tensor(new float[] {1, 0, 3}, 3), MagnitudePrunerOptions.sparsity(0));
        assertArrayEquals(new boolean[] {true, false, true}, none.keep());
        PruningResult all = Pruner.magnitude(tensor(new float[] {1, 2, 3}, 3), MagnitudePrunerOptions.sparsity(1));
        assertEquals(0, all.keptCount());
    }

    @Test
    void blockSparsityMatchesTheDocumentedExample() {
        float[] w = {1, 3, -6, -7, 0, 3, -9, 2};
        PruningResult p = Pruner.magnitude(tensor(w, 4, 2), MagnitudePrunerOptions.blocks(0.5, 2, 0));
        assertArrayEquals(new float[] {0, 3, 0, -7, 0, 0, -9, 0}, p.decompress());
    }

    @Test
    void blockSparsityWithAPartialBlockAndDim1() {
        // 2 x 5, blocks of 2 along dim 1: {c0,c1} {c2,c3} {c4}
        float[] w = {3, 4, 1, 1, 10, 0.5f, 0.5f, 6, 8, 0.1f};
        PruningResult p = Pruner.magnitude(tensor(w, 2, 5), MagnitudePrunerOptions.blocks(0.4, 2, 1));
        // block norms per element: row0 {5,5,1.414,1.414,10}, row1 {0.707,0.707,10,10,0.1}
        // 40th percentile of the 10 per-element norms (sorted 0.1 .707 .707 1.41 1.41 5 5 10 10 10) = 1.414
        assertArrayEquals(new float[] {3, 4, 0, 0, 10, 0, 0, 6, 8, 0}, p.decompress());
    }

    @Test
    void nOfMMatchesTheDocumentedExamples() {
        float[] w = {3, 4, 7, 6, 1, 8, -3, -8, -2, -3, -4, 0, 5, 4, -3, -2};
        PruningResult dim1 = Pruner.magnitude(tensor(w, 4, 4), MagnitudePrunerOptions.nOfM(1, 2, 1));
        assertArrayEquals(new float[] {0, 4, 7, 0, 0, 8, 0, -8, 0, -3, -4, 0, 5, 0, -3, 0}, dim1.decompress());
        PruningResult dim0 = Pruner.magnitude(tensor(w, 4, 4), MagnitudePrunerOptions.nOfM(1, 2, 0));
        assertArrayEquals(new float[] {3, 0, 7, 0, 0, 8, 0, -8, 0, 0, -4, 0, 5, 4, 0, -2}, dim0.decompress());
    }

    @Test
    void nOfMPadsTheLastGroupAndBreaksTiesByIndex() {
        // rows of 5 along dim 1, 1:2 -> groups {0,1} {2,3} {4, pad}
        float[] w = {1, 1, 2, 1, 9, 1, 1, 1, 1, 1};
        PruningResult p = Pruner.magnitude(tensor(w, 2, 5), MagnitudePrunerOptions.nOfM(1, 2, 1));
        // ties go to the lower index; in the last group the zero padding is the one pruned
        assertArrayEquals(new float[] {0, 1, 2, 0, 9, 0, 1, 0, 1, 1}, p.decompress());
    }

    @Test
    void twoOfFourOnRandomWeightsKeepsHalfOfEveryGroup() {
        SplittableRandom r = new SplittableRandom(5);
        float[] w = new float[8 * 16 * 3 * 3];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        PruningResult p = Pruner.magnitude(tensor(w, 8, 16, 3, 3), MagnitudePrunerOptions.nOfM(2, 4, 1));
        assertEquals(0.5, p.sparsity());
        for (int o = 0; o < 8; o++) {
            for (int s = 0; s < 9; s++) {
                for (int g = 0; g < 4; g++) {
                    int kept = 0;
                    for (int t = 0; t < 4; t++) if (p.keep()[(o * 16 + g * 4 + t) * 9 + s]) kept++;
                    assertEquals(2, kept);
                }
            }
        }
    }

    @Test
    void packsTheMaskLsbFirst() {
        float[] w = {1, 0, 0, 1, 0, 0, 0, 0, 1, 1};
        PruningResult p = Pruner.threshold(tensor(w, 10), new ThresholdPrunerOptions(0, 0));
        assertArrayEquals(new byte[] {0b00001001, 0b00000011}, p.packedMask());
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void rejectsBadOptionsWithExactMessages() {
        assertEquals("prune: exactly one of target_sparsity and n_m_ratio must be set",
                message(() -> new MagnitudePrunerOptions(0.5, null, new int[] {2, 4}, null)));
        assertEquals("prune: exactly one of target_sparsity and n_m_ratio must be set",
                message(() -> new MagnitudePrunerOptions(null, null, null, null)));
        assertEquals("prune: target_sparsity must be in [0, 1], got 1.5", message(() -> MagnitudePrunerOptions.sparsity(1.5)));
        assertEquals("prune: block_size must be greater than 1, got 1", message(() -> MagnitudePrunerOptions.blocks(0.5, 1, 0)));
        assertEquals("prune: block_size must be greater than 1, got 0", message(() -> MagnitudePrunerOptions.blocks(0.5, 0, 0)));
        assertEquals("prune: n_m_ratio must be two integers 0 <= n <= m with m >= 1, got [3, 2]",
                message(() -> MagnitudePrunerOptions.nOfM(3, 2, 1)));
        assertEquals("prune: dim must be 0 or 1, got 2", message(() -> MagnitudePrunerOptions.nOfM(2, 4, 2)));
        assertEquals("prune: dim is only allowed with block_size or n_m_ratio",
                message(() -> new MagnitudePrunerOptions(0.5, null, null, 0)));
        assertEquals("prune: threshold must be a non-negative number, got -1.0", message(() -> new ThresholdPrunerOptions(-1, 0.5)));
        assertEquals("prune: minimum_sparsity_percentile must be in [0, 1], got 2.0", message(() -> new ThresholdPrunerOptions(0, 2)));
        assertEquals("prune: block sparsity needs a weight of rank 2 to 5, got rank 1",
                message(() -> Pruner.magnitude(tensor(new float[8], 8), MagnitudePrunerOptions.blocks(0.5, 2, 0))));
        assertEquals("prune: block_size 4 is more than half of the 6 channels on axis 0",
                message(() -> Pruner.magnitude(tensor(new float[12], 6, 2), MagnitudePrunerOptions.blocks(0.5, 4, 0))));
        assertEquals("prune: m 4 is more than half of the 6 channels on axis 1",
                message(() -> Pruner.magnitude(tensor(new float[12], 2, 6), MagnitudePrunerOptions.nOfM(2, 4, 1))));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Pruner.magnitude(tensor(new float[12], 2, 6), MagnitudePrunerOptions.nOfM(2, 4, 1))) instanceof CompressionNotApplicableException);
    }
}
