package dev.pare.passes.compression.stats;

/**
 * Which model the layer statistics of a data-aware compression are taken from (option
 * {@code calibration} of {@code palettize}, {@code quantize_weights} and {@code prune}).
 */
public enum Calibration {
    /** All layers' statistics from the float model, in one calibration run. */
    ONE_SHOT,
    /**
     * Layer l's statistics with the layers before it already compressed: layers are taken in
     * stages in topological order (a stage holds layers no other layer of the stage feeds), one
     * calibration run per stage on the model as compressed so far.
     */
    SEQUENTIAL
}
