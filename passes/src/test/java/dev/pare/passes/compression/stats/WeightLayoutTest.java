package dev.pare.passes.compression.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The matrix view of a weight: W[group][row, col] picks the element the layer multiplies with x[col] for output row. */
class WeightLayoutTest {

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    @Test
    void convolutionRowsAreOutputChannelsOfTheGroupAndColumnsImcolPatches() {
        // [C_out=4, C_in/g=3, 2, 1], 2 groups: group 1 row 0 is output channel 2
        WeightLayout l = WeightLayout.outputFirst(new long[] {4, 3, 2, 1}, 2);
        assertEquals(2, l.rows());
        assertEquals(6, l.cols());
        float[] m = l.matrix(iota(24), 1);
        assertArrayEquals(new float[] {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, m);
        assertEquals(2, l.outputChannel(1, 0));
    }

    @Test
    void transposedConvolutionTakesInputChannelsOfTheGroupAsColumns() {
        // [C_in=4, C_out/g=2, k=3], 2 groups: W[g][co, (ci, k)] = w[g*2 + ci, co, k]
        WeightLayout l = WeightLayout.inputFirst(new long[] {4, 2, 3}, 2);
        assertEquals(2, l.rows());
        assertEquals(6, l.cols());
        float[] w = iota(24);
        float[] g1 = l.matrix(w, 1);
        // ci = 2 (index 12..17), ci = 3 (18..23); row co=1 takes w[ci, 1, k]
        assertArrayEquals(new float[] {12, 13, 14, 18, 19, 20, 15, 16, 17, 21, 22, 23}, g1);
    }

    @Test
    void aKByNWeightIsReadTransposed() {
        WeightLayout l = WeightLayout.transposed(new long[] {3, 2}); // [K=3, N=2]
        assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, l.matrix(iota(6), 0));
    }

    @Test
    void putMatrixInvertsMatrixForEveryLayoutAndGroup() {
        WeightLayout[] layouts = {WeightLayout.outputFirst(new long[] {6, 2, 3, 3}, 3), WeightLayout.inputFirst(new long[] {6, 4, 2, 2}, 2),
                WeightLayout.transposed(new long[] {5, 7}), WeightLayout.outputFirst(new long[] {8, 1, 3, 3}, 8)};
        for (WeightLayout l : layouts) {
            int n = l.groups() * l.rows() * l.cols();
            float[] w = iota(n);
            float[] back = new float[n];
            boolean[] keep = new boolean[n];
            for (int i = 0; i < n; i++) keep[i] = i % 3 == 0;
            for (int g = 0; g < l.groups(); g++) {
                float[] m = l.matrix(w, g);
                boolean[] k = l.matrix(keep, g);
                for (int i = 0; i < m.length; i++) assertEquals(((int) m[i]) % 3 == 0, k[i], l + ": mask follows values");
                l.putMatrix(m, g, back);
            }
            assertArrayEquals(w, back, l.toString());
        }
    }

    @Test
    void shapesThatDoNotHoldTheGroupsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightLayout.transposed(new long[] {2, 3, 4}));
        assertEquals("weight shape [2, 3, 4] does not hold 1 x 3 x 2 values", e.getMessage());
    }
}
