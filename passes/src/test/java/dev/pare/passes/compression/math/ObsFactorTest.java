package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ObsFactorTest {

    @Test
    void upperFactorSquaresToTheDampedInverseInProcessingOrder() {
        ObsLayers.Layer layer = ObsLayers.layer(1, 3, 9, 40, -1);
        int d = layer.cols();
        for (boolean actOrder : new boolean[] {false, true}) {
            ObsFactor f = ObsFactor.of(layer.h(), d, 0.01, actOrder);
            double[] h = layer.h();
            double mean = 0;
            for (int j = 0; j < d; j++) mean += h[j * d + j];
            mean /= d;
            double[] damped = new double[d * d];
            for (int i = 0; i < d; i++) {
                for (int k = 0; k < d; k++) damped[i * d + k] = h[f.order()[i] * d + f.order()[k]];
                damped[i * d + i] += 0.01 * mean;
            }
            double[] inv = ObsLayers.invert(damped, d);
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < d; b++) {
                    double s = 0;
                    for (int k = 0; k < d; k++) s += f.upper()[k * d + a] * f.upper()[k * d + b];
                    assertEquals(inv[a * d + b], s, 1e-9 * Math.abs(inv[a * d + a]) + 1e-12, "UᵀU at " + a + "," + b);
                }
                for (int b = 0; b < a; b++) assertEquals(0.0, f.upper()[a * d + b], "U is upper triangular");
            }
            for (int i = 1; i < d && actOrder; i++) {
                assertTrue(h[f.order()[i - 1] * d + f.order()[i - 1]] >= h[f.order()[i] * d + f.order()[i]], "descending diag(H)");
            }
            for (int c = 0; c < d; c++) assertEquals(c, f.order()[f.position()[c]]);
        }
    }

    @Test
    void deadInputsGetAUnitDiagonalAndNoCoupling() {
        ObsLayers.Layer layer = ObsLayers.layer(2, 3, 6, 30, 4);
        ObsFactor f = ObsFactor.of(layer.h(), 6, 0.01, false);
        assertArrayEquals(new boolean[] {false, false, false, false, true, false}, f.dead());
        for (int k = 0; k < 6; k++) if (k != 4) assertEquals(0.0, f.upper()[4 * 6 + k], "row of the dead input");
    }

    @Test
    void aSingularHessianWithoutDampingIsRefusedWithAHint() {
        double[] h = {1, 1, 1, 1}; // rank 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObsFactor.of(h, 2, 0, false));
        assertEquals("obs: H is not positive definite at input 1 (damp 0.0); raise damp", e.getMessage());
        assertFalse(ObsFactor.of(h, 2, 0.01, false).upper()[3] == 0);
        assertEquals("obs: H has 3 entries, not 2x2",
                assertThrows(IllegalArgumentException.class, () -> ObsFactor.of(new double[3], 2, 0.01, false)).getMessage());
    }
}
