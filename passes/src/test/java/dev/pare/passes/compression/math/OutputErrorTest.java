package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OutputErrorTest {

    @Test
    void byHand() {
        // H = [[2, 1], [1, 2]], W = [1, 1], Ŵ = [1, 0]: ΔHΔᵀ = 2, WHWᵀ = 6
        double r = OutputError.relative(new WeightMatrix[] {WeightMatrix.identity(1, 2)}, new double[][] {{2, 1, 1, 2}},
                new float[] {1, 1}, new float[] {1, 0});
        assertEquals(1.0 / 3, r, 1e-15);
    }

    @Test
    void equalsTheDenseErrorOverTheCalibrationInputs() {
        ObsLayers.Layer layer = ObsLayers.layer(41, 6, 12, 80, 3);
        float[] approx = Pruner.magnitude(layer.weight(), MagnitudePrunerOptions.sparsity(0.5)).decompress();
        float[] zero = new float[layer.w().length];
        double dense = ObsLayers.outputError(layer, approx) / ObsLayers.outputError(layer, zero);
        double fromH = OutputError.relative(new WeightMatrix[] {WeightMatrix.identity(6, 12)}, new double[][] {layer.h()}, layer.w(), approx);
        assertEquals(dense, fromH, 1e-9 * dense);
    }

    @Test
    void groupsAreSummedBeforeDividing() {
        // two groups of one weight each, H_0 = [1], H_1 = [4]; W = [1, 1], Ŵ = [0, 1]: error 1, energy 1 + 4
        WeightMatrix[] m = {new WeightMatrix(1, 1, new int[] {0}), new WeightMatrix(1, 1, new int[] {1})};
        assertEquals(0.2, OutputError.relative(m, new double[][] {{1}, {4}}, new float[] {1, 1}, new float[] {0, 1}), 1e-15);
    }
}
