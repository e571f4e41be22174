package dev.pare.passes.compression;

import dev.pare.passes.compression.math.CompressionNotApplicableException;
import dev.pare.passes.compression.math.ObsFactor;
import dev.pare.passes.compression.math.WeightMatrix;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.stats.WeightLayout;

/**
 * What the data-aware algorithms ({@code algorithm=gptq} of {@code palettize} and
 * {@code quantize_weights}, {@code algorithm=sparsegpt} of {@code prune}) take from a weight's
 * {@link LayerStatistics}: one matrix view and one inverse-Hessian factor per group of the layer.
 */
final class DataAware {

    /** Columns fixed together by default (GPTQ's and SparseGPT's block size). */
    static final int DEFAULT_COLUMN_BLOCK = 128;

    /** What a data-aware option set needs: H of every compressed layer's input. */
    static final StatisticsNeed SECOND_MOMENT = new StatisticsNeed(true, false, Calibration.ONE_SHOT);

    private DataAware() {}

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
