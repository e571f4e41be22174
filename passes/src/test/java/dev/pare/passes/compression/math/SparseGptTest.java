package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SparseGptTest {

    private static final WeightMatrix M = WeightMatrix.identity(16, 32);

    @Test
    void unstructuredBeatsMagnitudeAtTheExactSparsity() {
        ObsLayers.Layer layer = ObsLayers.layer(21, 16, 32, 100, -1);
        for (double target : new double[] {0.5, 0.75}) {
            PruningResult magnitude = Pruner.magnitude(layer.weight(), MagnitudePrunerOptions.sparsity(target));
            for (boolean actOrder : new boolean[] {false, true}) {
                ObsFactor f = ObsFactor.of(layer.h(), 32, 0.01, actOrder);
                PruningResult r = SparseGpt.prune(layer.weight(), M, new SparsityPattern.Unstructured(target), f, 8, 8);
                assertEquals(target, r.sparsity(), 1e-9);
                double sparse = ObsLayers.outputError(layer, r.decompress());
                double naive = ObsLayers.outputError(layer, magnitude.decompress());
                assertTrue(sparse < 0.7 * naive, target + " act_order " + actOrder + ": " + sparse + " vs " + naive);
                // each block of 8 processing positions holds exactly target of its weights
                for (int b = 0; b < 32; b += 8) {
                    int zeros = 0;
                    for (int i = b; i < b + 8; i++) for (int row = 0; row < 16; row++) if (!r.keep()[row * 32 + f.order()[i]]) zeros++;
                    assertEquals(Math.round(target * 128), zeros);
                }
            }
        }
    }

    @Test
    void theBatchSizeDoesNotChangeTheResult() {
        ObsLayers.Layer layer = ObsLayers.layer(22, 16, 32, 100, -1);
        ObsFactor f = ObsFactor.of(layer.h(), 32, 0.01, false);
        PruningResult one = SparseGpt.prune(layer.weight(), M, new SparsityPattern.Unstructured(0.5), f, 8, 1);
        PruningResult wide = SparseGpt.prune(layer.weight(), M, new SparsityPattern.Unstructured(0.5), f, 8, 32);
        assertArrayEquals(one.keep(), wide.keep());
        assertArrayEquals(one.keptValues(), wide.keptValues(), 1e-6f);
    }

    @Test
    void perChannelGivesEveryOutputChannelTheSameSparsity() {
        ObsLayers.Layer layer = ObsLayers.layer(23, 16, 32, 100, -1);
        PruningResult r = SparseGpt.prune(layer.weight(), M, new SparsityPattern.PerChannel(0.75), ObsFactor.of(layer.h(), 32, 0.01, false), 16, 16);
        for (int row = 0; row < 16; row++) {
            int zeros = 0;
            for (int c = 0; c < 32; c++) if (!r.keep()[row * 32 + c]) zeros++;
            assertEquals(24, zeros, "row " + row);
        }
        assertTrue(ObsLayers.outputError(layer, r.decompress())
                < ObsLayers.outputError(layer, Pruner.magnitude(layer.weight(), MagnitudePrunerOptions.sparsity(0.75)).decompress()));
    }

    @Test
    void nOfMKeepsTheGroupsAndBeatsMagnitudeNOfM() {
        ObsLayers.Layer layer = ObsLayers.layer(24, 16, 30, 100, -1); // 30 inputs: a partial last group of 2
        PruningResult r = SparseGpt.prune(layer.weight(), WeightMatrix.identity(16, 30), new SparsityPattern.NOfM(2, 4, 1),
                ObsFactor.of(layer.h(), 30, 0.01, false), 128, 8);
        for (int row = 0; row < 16; row++) {
            for (int g = 0; g < 30; g += 4) {
                int zeros = 0;
                for (int c = g; c < Math.min(30, g + 4); c++) if (!r.keep()[row * 30 + c]) zeros++;
                assertEquals(g + 4 <= 30 ? 2 : 0, zeros, "row " + row + " group " + g);
            }
        }
        PruningResult magnitude = Pruner.magnitude(layer.weight(), MagnitudePrunerOptions.nOfM(2, 4, 1));
        assertTrue(ObsLayers.outputError(layer, r.decompress()) < 0.8 * ObsLayers.outputError(layer, magnitude.decompress()));
    }

    @Test
    void keptValuesAreInTheWeightPrecisionAndDeadInputsArePrunedFirst() {
        ObsLayers.Layer layer = ObsLayers.layer(25, 8, 16, 60, 5);
        float[] half = new float[layer.w().length];
        for (int i = 0; i < half.length; i++) half[i] = Precision.FLOAT16.round(layer.w()[i]);
        WeightTensor w = WeightTensor.of(half, new long[] {8, 16}, Precision.FLOAT16);
        PruningResult r = SparseGpt.prune(w, WeightMatrix.identity(8, 16), new SparsityPattern.Unstructured(0.25),
                ObsFactor.of(layer.h(), 16, 0.01, false), 16, 16);
        for (float v : r.keptValues()) assertEquals(Precision.FLOAT16.round(v), v);
        for (int row = 0; row < 8; row++) assertTrue(!r.keep()[row * 16 + 5], "dead input, row " + row);
    }

    @Test
    void groupedLayersCarryTheCountSoTheWeightHasTheTargetSparsity() {
        // a depthwise-like layer: 6 groups of one output channel with 9 inputs each, its own H per group
        int groups = 6;
        float[] w = new float[groups * 9];
        WeightMatrix[] matrices = new WeightMatrix[groups];
        ObsFactor[] factors = new ObsFactor[groups];
        for (int g = 0; g < groups; g++) {
            ObsLayers.Layer layer = ObsLayers.layer(30 + g, 1, 9, 40, -1);
            System.arraycopy(layer.w(), 0, w, g * 9, 9);
            int[] index = new int[9];
            for (int c = 0; c < 9; c++) index[c] = g * 9 + c;
            matrices[g] = new WeightMatrix(1, 9, index);
            factors[g] = ObsFactor.of(layer.h(), 9, 0.01, false);
        }
        WeightTensor tensor = WeightTensor.of(w, new long[] {groups, 1, 3, 3}, Precision.FLOAT32);
        PruningResult r = SparseGpt.prune(tensor, matrices, factors, new SparsityPattern.Unstructured(0.5), 128, 128);
        assertEquals(27, r.keep().length - r.keptCount(), "half of 54, not 5 of every 9");
        PruningResult perChannel = SparseGpt.prune(tensor, matrices, factors, new SparsityPattern.PerChannel(0.75), 4, 4);
        for (int g = 0; g < groups; g++) {
            int zeros = 0;
            for (int c = 0; c < 9; c++) if (!perChannel.keep()[g * 9 + c]) zeros++;
            assertEquals(7, zeros, "round(0.75 * 9) per channel, group " + g);
        }
    }

    @Test
    void depthwiseMaskIsChosenAcrossChannelsByHand() {
        // two channels of two inputs each, H = I (damp 0): the saliency is w², nothing to compensate
        float[] w = {3f, 2f, 0.1f, 0.2f};
        WeightMatrix[] matrices = {new WeightMatrix(1, 2, new int[] {0, 1}), new WeightMatrix(1, 2, new int[] {2, 3})};
        double[] identity = {1, 0, 0, 1};
        ObsFactor[] factors = {ObsFactor.of(identity, 2, 0, false), ObsFactor.of(identity, 2, 0, false)};
        PruningResult r = SparseGpt.prune(WeightTensor.of(w, new long[] {2, 1, 1, 2}, Precision.FLOAT32), matrices, factors,
                new SparsityPattern.Unstructured(0.5), 128, 128);
        assertArrayEquals(new boolean[] {true, true, false, false}, r.keep(), "the idle channel goes whole, the busy one stays");
        assertArrayEquals(new float[] {3f, 2f}, r.keptValues());
    }

    @Test
    void depthwiseOutputErrorIsNeverAboveMagnitudes() {
        // 16 channels of 9 inputs, kernels of very different scales as batch-norm folding leaves them
        int groups = 16;
        float[] w = new float[groups * 9];
        WeightMatrix[] matrices = new WeightMatrix[groups];
        ObsFactor[] factors = new ObsFactor[groups];
        ObsLayers.Layer[] layers = new ObsLayers.Layer[groups];
        for (int g = 0; g < groups; g++) {
            layers[g] = ObsLayers.layer(60 + g, 1, 9, 200, -1);
            float scale = (float) Math.pow(4, (g % 4) - 1.5);
            for (int c = 0; c < 9; c++) w[g * 9 + c] = layers[g].w()[c] * scale;
            int[] index = new int[9];
            for (int c = 0; c < 9; c++) index[c] = g * 9 + c;
            matrices[g] = new WeightMatrix(1, 9, index);
            factors[g] = ObsFactor.of(layers[g].h(), 9, 0.01, false);
        }
        WeightTensor tensor = WeightTensor.of(w, new long[] {groups, 1, 3, 3}, Precision.FLOAT32);
        for (double target : new double[] {0.5, 0.75}) {
            PruningResult joint = SparseGpt.prune(tensor, matrices, factors, new SparsityPattern.Unstructured(target), 128, 128);
            PruningResult perBlock = SparseGpt.prune(tensor, matrices, factors, new SparsityPattern.Unstructured(target), 4, 4);
            PruningResult magnitude = Pruner.magnitude(tensor, MagnitudePrunerOptions.sparsity(target));
            assertEquals(Math.round(target * groups * 9), groups * 9 - joint.keptCount());
            double eJoint = depthwiseError(layers, w, joint.decompress());
            double eMagnitude = depthwiseError(layers, w, magnitude.decompress());
            double ePerBlock = depthwiseError(layers, w, perBlock.decompress());
            assertTrue(eJoint <= eMagnitude, target + ": sparsegpt " + eJoint + " vs magnitude " + eMagnitude);
            assertTrue(eJoint < ePerBlock, target + ": across channels " + eJoint + " vs channel by channel " + ePerBlock);
        }
    }

    /** Σ over channels of the channel's output error on its own calibration inputs. */
    private static double depthwiseError(ObsLayers.Layer[] layers, float[] w, float[] approx) {
        double total = 0;
        for (int g = 0; g < layers.length; g++) {
            ObsLayers.Layer l = layers[g];
            float[] wg = java.util.Arrays.copyOfRange(w, g * 9, g * 9 + 9);
            float[] ag = java.util.Arrays.copyOfRange(approx, g * 9, g * 9 + 9);
            total += ObsLayers.outputError(new ObsLayers.Layer(1, 9, wg, l.x(), l.samples(), l.h()), ag);
        }
        return total;
    }
}
