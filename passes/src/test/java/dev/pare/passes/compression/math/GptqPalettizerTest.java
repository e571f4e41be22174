package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.passes.compression.math.PalettizerOptions.PerChannelScale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GptqPalettizerTest {

    private static Palettization rtn(ObsLayers.Layer layer, PalettizerOptions o) {
        return new Palettizer(null).palettize(layer.weight(), o, new SplittableRandom(7));
    }

    @Test
    void matchesTheDenseReferenceForEveryBatchSize() {
        ObsLayers.Layer layer = ObsLayers.layer(11, 6, 18, 60, -1);
        Palettization fitted = rtn(layer, PalettizerOptions.kmeans(2));
        float[] lut = fitted.lut(0);
        for (boolean actOrder : new boolean[] {false, true}) {
            int[] expected = new int[layer.w().length];
            ObsLayers.reference(layer, 0.01, actOrder, (column, current, chosen) -> {
                for (int r = 0; r < layer.rows(); r++) {
                    int best = 0;
                    for (int k = 1; k < lut.length; k++) if (Math.abs(current[r] - lut[k]) < Math.abs(current[r] - lut[best])) best = k;
                    expected[r * layer.cols() + column] = best;
                    chosen[r] = lut[best];
                }
            });
            for (int batch : new int[] {1, 4, 128}) {
                ObsFactor f = ObsFactor.of(layer.h(), layer.cols(), 0.01, actOrder);
                Palettization p = GptqPalettizer.assign(layer.weight(), fitted, WeightMatrix.identity(6, 18), f, batch);
                assertArrayEquals(expected, p.indices(), "act_order " + actOrder + " batch " + batch);
                assertArrayEquals(fitted.luts(), p.luts(), "the LUT is kept");
            }
        }
    }

    @Test
    void neverWorseThanNearestEntryForEveryLayout() {
        ObsLayers.Layer layer = ObsLayers.layer(12, 16, 24, 80, -1);
        PalettizerOptions[] layouts = {
            PalettizerOptions.kmeans(2),
            PalettizerOptions.kmeans(3).withGroups(4, 0),
            PalettizerOptions.kmeans(2).withChannelAxis(0).withPerChannelScale(PerChannelScale.OUTPUT_CHANNEL),
            PalettizerOptions.kmeans(4).withChannelAxis(0).withClusterDim(2),
            PalettizerOptions.uniform(2),
        };
        for (PalettizerOptions o : layouts) {
            Palettization fitted = rtn(layer, o);
            double nearest = ObsLayers.outputError(layer, fitted.decompress());
            for (boolean actOrder : new boolean[] {false, true}) {
                ObsFactor f = ObsFactor.of(layer.h(), 24, 0.01, actOrder);
                Palettization p = GptqPalettizer.assign(layer.weight(), fitted, WeightMatrix.identity(16, 24), f, 8);
                double gptq = ObsLayers.outputError(layer, p.decompress());
                assertTrue(gptq <= nearest, o + ": " + gptq + " > " + nearest);
                assertArrayEquals(fitted.indicesShape(), p.indicesShape());
                assertEquals(fitted.indices().length, p.indices().length);
                Palettization wide = GptqPalettizer.assign(layer.weight(), fitted, WeightMatrix.identity(16, 24), f, 1);
                assertArrayEquals(wide.indices(), p.indices(), "batch size");
            }
        }
        Palettization fitted = rtn(layer, PalettizerOptions.kmeans(2));
        double gptq = ObsLayers.outputError(layer, GptqPalettizer.assign(layer.weight(), fitted, WeightMatrix.identity(16, 24),
                ObsFactor.of(layer.h(), 24, 0.01, false), 8).decompress());
        assertTrue(gptq < 0.8 * ObsLayers.outputError(layer, fitted.decompress()), "2-bit: a clear gain");
    }

    @Test
    void prunedPositionsKeepIndexZeroAndDecodeToZero() {
        ObsLayers.Layer layer = ObsLayers.layer(13, 8, 10, 40, -1);
        boolean[] keep = new boolean[80];
        for (int e = 0; e < 80; e++) keep[e] = e % 4 != 1;
        Palettization fitted = new Palettizer(null).palettize(layer.weight(), PalettizerOptions.kmeans(2), new SplittableRandom(1), keep);
        Palettization p = GptqPalettizer.assign(layer.weight(), fitted, WeightMatrix.identity(8, 10), ObsFactor.of(layer.h(), 10, 0.01, false), 4);
        float[] dense = p.decompress();
        for (int e = 0; e < 80; e++) {
            if (!keep[e]) {
                assertEquals(0, p.indices()[e]);
                assertEquals(0f, dense[e]);
            }
        }
        assertTrue(ObsLayers.outputError(layer, dense) <= ObsLayers.outputError(layer, fitted.decompress()));
    }

    @Test
    void hessianWeightedLutLowersTheWeightedError() {
        ObsLayers.Layer layer = ObsLayers.layer(14, 16, 24, 80, -1);
        double[] sensitivity = new double[16 * 24];
        for (int e = 0; e < sensitivity.length; e++) sensitivity[e] = layer.h()[(e % 24) * 24 + e % 24];
        for (PalettizerOptions o : new PalettizerOptions[] {PalettizerOptions.kmeans(2), PalettizerOptions.kmeans(2).withGroups(4, 0),
                PalettizerOptions.kmeans(3).withChannelAxis(0).withClusterDim(2)}) {
            Palettization plain = rtn(layer, o);
            Palettization weighted = SensitivityWeightedLut.refit(layer.weight(), plain, sensitivity, new SplittableRandom(7));
            double before = weightedError(layer.w(), plain.decompress(), sensitivity);
            double after = weightedError(layer.w(), weighted.decompress(), sensitivity);
            assertTrue(after < before, o + ": " + after + " >= " + before);
            for (int i = 0; i < weighted.luts().length; i++) assertEquals(weighted.luts()[i], Precision.FLOAT32.round(weighted.luts()[i]));
        }
    }

    private static double weightedError(float[] w, float[] approx, double[] sensitivity) {
        double s = 0;
        for (int e = 0; e < w.length; e++) s += sensitivity[e] * (w[e] - approx[e]) * (w[e] - approx[e]);
        return s;
    }
}
