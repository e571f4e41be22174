package dev.pare.passes.compression;

import dev.pare.passes.compression.math.CompressionNotApplicableException;
import dev.pare.passes.compression.math.ObsFactor;
import dev.pare.passes.compression.math.WeightMatrix;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.stats.WeightLayout;
import dev.pare.spi.OptionValueException;

/**
 * What the data-aware algorithms ({@code algorithm=gptq} of {@code palettize} and
 * {@code quantize_weights}, {@code algorithm=sparsegpt} of {@code prune}) take from a weight's
 * {@link LayerStatistics}: one matrix view and one inverse-Hessian factor per group of the layer.
 */
final class DataAware {

    /** Columns fixed together by default (GPTQ's and SparseGPT's block size). */
    static final int DEFAULT_COLUMN_BLOCK = 128;

    // option help shared by palettize, quantize_weights and prune (annotation values must be constants)
    static final String CALIBRATION_HELP = "Layer statistics for data-aware options: one_shot = all from the float model in one "
            + "calibration run; sequential = each layer's with the layers before it already compressed (a calibration run per stage).";
    static final String BIAS_CORRECTION_HELP = "Correct each compressed layer's bias so its output mean over the calibration data "
            + "stays the float one: none, own (the layer's own error on its input mean), total (the drift of its output mean from "
            + "the float model, layers taken in order), auto (own or total, whichever keeps more top-1 agreement with the float "
            + "model). Needs --calibration-data.";
    static final String DAMP_HELP = "gptq: added to H's diagonal, as a fraction of its mean, before inverting.";
    static final String COLUMN_BLOCK_HELP = "gptq: inputs whose error updates are applied together (speed only, same result).";

    /** What a data-aware option set needs: H of every compressed layer's input. */
    static final StatisticsNeed SECOND_MOMENT = new StatisticsNeed(true, false, Calibration.ONE_SHOT);

    private DataAware() {}

    /**
     * The checks of the data-aware options that palettize, quantize_weights and prune share (the
     * components stay flat in each record so that pipelines keep writing {@code damp=0.05}): one
     * place, one error (P006 at the value) per mistake.
     */
    static void checkOptions(Calibration calibration, BiasCorrection biasCorrection, double damp, int columnBlock) {
        if (calibration == null || biasCorrection == null) throw new IllegalArgumentException("calibration and bias_correction are required");
        if (!(damp >= 0) || Double.isInfinite(damp)) throw new OptionValueException("damp", "must be >= 0, got " + damp);
        if (columnBlock < 1) throw new OptionValueException("columnBlock", "must be >= 1, got " + columnBlock);
    }

    /** The layer: its matrices and their factors, group by group. */
    record Layer(WeightMatrix[] matrices, ObsFactor[] factors) {}

    /** Factors every group's H; a group whose H cannot be factored makes the weight inapplicable (one line naming damp). */
    static Layer layer(LayerStatistics statistics, double damp, boolean actOrder) {
        WeightLayout layout = statistics.layout();
        WeightMatrix[] matrices = new WeightMatrix[layout.groups()];
        ObsFactor[] factors = new ObsFactor[layout.groups()];
        for (int g = 0; g < layout.groups(); g++) {
            int[] index = new int[layout.rows() * layout.cols()];
            for (int r = 0; r < layout.rows(); r++) for (int c = 0; c < layout.cols(); c++) index[r * layout.cols() + c] = layout.index(g, r, c);
            matrices[g] = new WeightMatrix(layout.rows(), layout.cols(), index);
            try {
                factors[g] = ObsFactor.of(statistics.secondMoment(g), layout.cols(), damp, actOrder);
            } catch (IllegalArgumentException e) {
                throw new CompressionNotApplicableException(e.getMessage());
            }
        }
        return new Layer(matrices, factors);
    }

    /** {@code diag(H)} of each weight's input, in tensor order: how much each weight's error weighs in the layer output. */
    static double[] sensitivity(LayerStatistics statistics) {
        WeightLayout layout = statistics.layout();
        int d = layout.cols();
        double[] out = new double[layout.groups() * layout.rows() * d];
        for (int g = 0; g < layout.groups(); g++) {
            double[] h = statistics.secondMoment(g);
            for (int r = 0; r < layout.rows(); r++) for (int c = 0; c < d; c++) out[layout.index(g, r, c)] = h[c * d + c];
        }
        return out;
    }
}
