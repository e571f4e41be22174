package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SparsityAllocationTest {

    private static final double[] S = {0, 0.5, 0.95};

    private static SparsityAllocation.Curve linear(long size, double slope) {
        return new SparsityAllocation.Curve(size, S, new double[] {0, 0.5 * slope, 0.95 * slope});
    }

    @Test
    void zerosGoWhereTheyCostLeastFirst() {
        // B's error rises 10 times slower: it takes all it can (95 of 100), A the 5 left
        assertArrayEquals(new long[] {5, 95}, SparsityAllocation.allocate(List.of(linear(100, 1), linear(100, 0.1)), 100));
    }

    @Test
    void costIsPerZeroSoALargerLayerTakesMoreAtTheSameSlope() {
        // same error curve, the second layer 4 times larger: one of its zeros costs a quarter as much
        assertArrayEquals(new long[] {0, 200}, SparsityAllocation.allocate(List.of(linear(100, 1), linear(400, 1)), 200));
    }

    @Test
    void aConcaveCurveIsTakenByItsHull() {
        // A: 0.5 at half, 0.6 at 0.95: its hull runs straight to (0.95, 0.6), 0.6/95 per zero, below B's 0.8/100
        SparsityAllocation.Curve a = new SparsityAllocation.Curve(100, S, new double[] {0, 0.5, 0.6});
        assertArrayEquals(new long[] {95, 0}, SparsityAllocation.allocate(List.of(a, linear(100, 0.8)), 95));
        // with more zeros than A holds, B gives the rest
        assertArrayEquals(new long[] {95, 25}, SparsityAllocation.allocate(List.of(a, linear(100, 0.8)), 120));
    }

    @Test
    void theTotalIsExactWithWholeZeros() {
        // a segment taken in part: 7 zeros over three equal layers of 3 (cap 2 each at 0.95... floor(0.95·3) = 2)
        SparsityAllocation.Curve c = linear(3, 1);
        long[] z = SparsityAllocation.allocate(List.of(c, c, c), 6);
        assertEquals(6, z[0] + z[1] + z[2]);
        assertArrayEquals(new long[] {2, 2, 2}, z);
        assertThrows(IllegalArgumentException.class, () -> SparsityAllocation.allocate(List.of(c, c, c), 7));
    }
}
