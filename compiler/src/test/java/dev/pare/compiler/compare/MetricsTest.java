package dev.pare.compiler.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void snrOfIdenticalOutputsIsInfiniteAndOtherwiseTenLogOfThePowerRatio() {
        assertEquals(Double.POSITIVE_INFINITY, Metrics.snrDb(new double[] {1, -2, 3}, new double[] {1, -2, 3}));
        assertEquals(Double.POSITIVE_INFINITY, Metrics.snrDb(new double[] {0, 0}, new double[] {0, 0}));
        assertEquals(Double.NEGATIVE_INFINITY, Metrics.snrDb(new double[] {0, 0}, new double[] {0, 1}));
        // signal 3^2 + 4^2 = 25, noise 0.5^2 = 0.25: ratio 100 -> 20 dB
        assertEquals(20.0, Metrics.snrDb(new double[] {3, 4}, new double[] {3.5, 4}), 1e-12);
        assertEquals(-10 * Math.log10(4), Metrics.snrDb(new double[] {1}, new double[] {-1}), 1e-12);
    }

    @Test
    void cosine() {
        assertEquals(1.0, Metrics.cosine(new double[] {1, 2}, new double[] {2, 4}), 1e-15);
        assertEquals(-1.0, Metrics.cosine(new double[] {1, 2}, new double[] {-1, -2}), 1e-15);
        assertEquals(0.0, Metrics.cosine(new double[] {1, 0}, new double[] {0, 3}), 1e-15);
        assertEquals(Math.sqrt(0.5), Metrics.cosine(new double[] {1, 0}, new double[] {1, 1}), 1e-15);
        assertEquals(1.0, Metrics.cosine(new double[] {0, 0}, new double[] {0, 0}));
        assertEquals(0.0, Metrics.cosine(new double[] {0, 0}, new double[] {0, 1}));
    }

    @Test
    void argmaxAndTopKBreakTiesByIndex() {
        double[] row = {9, 0.1, 0.7, 0.7, 0.2, 0.05, 0.3, 0};
        // a row starting at offset 1
        assertEquals(1, Metrics.argmax(row, 1, 7));
        assertFalse(Metrics.inTopK(row, 1, 7, 2, 1));
        assertTrue(Metrics.inTopK(row, 1, 7, 1, 1));
        assertTrue(Metrics.inTopK(row, 1, 7, 2, 2));
        // order: 0.7(1) 0.7(2) 0.3(5) 0.2(3) 0.1(0) 0.05(4) 0(6)
        assertTrue(Metrics.inTopK(row, 1, 7, 0, 5));
        assertFalse(Metrics.inTopK(row, 1, 7, 4, 5));
        assertFalse(Metrics.inTopK(row, 1, 7, 6, 5));
    }

    @Test
    void statsOverSamples() {
        OutputStats s = new OutputStats("y", "y");
        // two samples of [1, 6] class scores; the second disagrees on top-1 but B's pick is A's second best
        s.add(new double[] {0, 1, 2, 3, 4, 5}, new double[] {0, 1, 2, 3, 4, 5}, new long[] {1, 6}, "float32", 5);
        s.add(new double[] {5, 4, 3, 2, 1, 0}, new double[] {4, 5, 3, 2, 1, 0}, new long[] {1, 6}, "float32", 1);
        OutputComparison o = s.result();
        assertEquals(2, o.samples());
        assertEquals(12, o.elements());
        assertEquals(List.of(1L, 6L), o.shape());
        // signal 2 * 55 = 110, noise 1 + 1 = 2
        assertEquals(10 * Math.log10(55), o.snrDb(), 1e-12);
        assertEquals(1.0, o.maxAbsError());
        assertEquals(2.0 / 12, o.meanAbsError(), 1e-15);
        assertEquals((1 + 54.0 / 55) / 2, o.cosine(), 1e-12);
        OutputComparison.Classification c = o.classification();
        assertEquals(6, c.classes());
        assertEquals(2, c.rows());
        assertEquals(0.5, c.top1Agreement());
        assertEquals(1.0, c.top5Agreement());
        assertEquals(2, c.labeled());
        assertEquals(0.5, c.accuracyA());
        assertEquals(1.0, c.accuracyB());
    }

    @Test
    void nonFiniteValuesAreCountedAndLeftOutUnlessBothAgree() {
        OutputStats s = new OutputStats("y", "y");
        s.add(new double[] {1, Double.NaN, Double.POSITIVE_INFINITY, 2}, new double[] {1, Double.NaN, 3, 2.5},
                new long[] {2, 2}, "float32", -1);
        OutputComparison o = s.result();
        assertEquals(1, o.nonFinite());
        assertEquals(0.5, o.maxAbsError());
        assertEquals(0.5 / 3, o.meanAbsError(), 1e-15);
        assertEquals(10 * Math.log10(5 / 0.25), o.snrDb(), 1e-12);
    }

    @Test
    void onlyClassShapedOutputsGetTopKAndFewClassesNoTopFive() {
        OutputStats image = new OutputStats("y", "y");
        image.add(new double[8], new double[8], new long[] {1, 2, 2, 2}, "float32", -1);
        assertNull(image.result().classification());
        assertEquals(Double.POSITIVE_INFINITY, image.result().snrDb());

        OutputStats three = new OutputStats("p", "q");
        three.add(new double[] {0.1, 0.9, 0, 0.8, 0.1, 0.1}, new double[] {0.2, 0.8, 0, 0.1, 0.8, 0.1}, new long[] {2, 3}, "float32", 1);
        OutputComparison.Classification c = three.result().classification();
        assertEquals(2, c.rows());
        assertEquals(0.5, c.top1Agreement());
        assertNull(c.top5Agreement());
        // two rows per sample: one label per sample does not say which row it belongs to
        assertNull(c.accuracyA());
        assertEquals(0, c.labeled());
    }
}
