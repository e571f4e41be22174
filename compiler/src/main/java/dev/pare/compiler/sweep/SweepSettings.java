package dev.pare.compiler.sweep;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a sweep runs and evaluates its points.
 *
 * @param model       the input model
 * @param reportDir   the report folder ({@code -o})
 * @param outputStem  the file name of each point's compiled model without its extension (the
 *                    point's format, {@link SweepPoint#outputName}), e.g. {@code model}
 * @param keySettings what else changes how a point compiles, as text for {@link PointKey} (target,
 *                    calibration data, ...; the point's format is added per point); the evaluation settings below are added by {@link #key()}
 * @param data        evaluation samples, or null to generate inputs
 * @param dataSpec    how to read {@code data}, or null
 * @param labels      class labels of the samples, or null (then quality is SNR)
 * @param samples     how many samples to evaluate; null for all of the data (or the default generated count)
 * @param seed        seeds generated inputs
 * @param jobs        points compiled and evaluated at the same time
 * @param evalThreads ONNX Runtime threads per model in an evaluation
 * @param force       run every point again, ignoring stored results
 */
public record SweepSettings(Path model, Path reportDir, String outputStem, String keySettings, Path data, String dataSpec,
        Path labels, Integer samples, long seed, int jobs, int evalThreads, boolean force) {

    public SweepSettings {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(reportDir, "reportDir");
        Objects.requireNonNull(outputStem, "outputStem");
        Objects.requireNonNull(keySettings, "keySettings");
        if (jobs < 1) throw new IllegalArgumentException("jobs must be at least 1, got " + jobs);
        if (evalThreads < 1) throw new IllegalArgumentException("evalThreads must be at least 1, got " + evalThreads);
    }

    /** Everything besides the model and the pipeline that changes a point's result. */
    public String key() {
        return String.join("\n", keySettings, "output " + outputStem, "seed " + seed, "data " + PointKey.fileStamp(data),
                "data-spec " + dataSpec, "labels " + PointKey.fileStamp(labels), "samples " + samples);
    }

    public Quality quality() { return labels != null ? Quality.ACCURACY : Quality.SNR; }
}
