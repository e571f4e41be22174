package dev.pare.passes.compression.stats;

/**
 * How a compressed layer's bias is corrected so that its output mean over the calibration data
 * stays where the float layer's was (option {@code bias_correction}).
 */
public enum BiasCorrection {
    /** The bias is left as it is. */
    NONE,
    /** The layer's own error on its input mean: E[W x] − E[Ŵ x] with x the layer's (patch) input. */
    OWN,
    /**
     * The measured drift of the layer's output mean between the float model and the model
     * compressed so far (layers taken sequentially, each seeing the corrected layers before it).
     */
    TOTAL,
    /** {@link #OWN} or {@link #TOTAL}, whichever agrees better with the float model's top-1 on the calibration set. */
    AUTO
}
