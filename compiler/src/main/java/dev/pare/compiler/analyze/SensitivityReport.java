package dev.pare.compiler.analyze;

import dev.pare.compiler.analyze.CompressibleWeights.Weight;
import dev.pare.compiler.compare.Metrics;
import java.util.List;
import java.util.Optional;

/**
 * What {@code pare analyze} measured: for every compressible weight and candidate, the model's
 * output error when only that weight is compressed with that candidate, and the weight's size.
 *
 * @param model         the model path as given
 * @param format        the model's format ({@code onnx}, {@code coreml})
 * @param data          where the samples came from
 * @param samples       how many samples were run
 * @param labels        the labels file, if accuracy was measured
 * @param signalPower   sum of squares of the float model's outputs over the samples
 * @param floatAccuracy the float model's top-1 accuracy against the labels, if given
 * @param candidates    the candidates, in column order
 * @param weights       one row per weight, in graph order
 * @param sizes         how the settings' bytes are counted (the output format they were counted for)
 */
public record SensitivityReport(String model, String format, String data, int samples, Optional<String> labels,
                                double signalPower, Optional<Double> floatAccuracy, List<CandidateText> candidates,
                                List<WeightRow> weights, WeightSizes sizes) {

    public static final int SCHEMA_VERSION = 1;

    public SensitivityReport {
        candidates = List.copyOf(candidates);
        weights = List.copyOf(weights);
    }

    /**
     * A candidate as shown and as matched.
     *
     * @param text      the step with only its non-default options
     * @param canonical the step with every option written
     */
    public record CandidateText(String text, String canonical) {}

    /** One weight and its result per candidate (same order as {@link #candidates}). */
    public record WeightRow(Weight weight, List<Setting> settings) {
        public WeightRow { settings = List.copyOf(settings); }
    }

    /**
     * One weight under one candidate.
     *
     * @param applied  whether the candidate compressed the weight (if not, {@code note} says why)
     * @param bytes    the bytes the weight takes so compressed (its decode's constants)
     * @param noise    sum over the samples of the squared difference from the float outputs
     * @param accuracy top-1 accuracy against the labels, if given
     * @param note     why the candidate left the weight as it is, if it did
     */
    public record Setting(boolean applied, long bytes, double noise, Optional<Double> accuracy, Optional<String> note) {
        public static Setting notApplied(String why) {
            return new Setting(false, 0, 0, Optional.empty(), Optional.of(why));
        }
    }

    /** SNR in dB of a noise power against this report's signal. */
    public double snrDb(double noise) { return Metrics.snrDb(signalPower, noise); }

    /** Total elements of the weights. */
    public long elements() { return weights.stream().mapToLong(w -> w.weight().elements()).sum(); }

    /** Total stored bytes of the weights as they are. */
    public long storedBytes() { return weights.stream().mapToLong(w -> w.weight().storedBytes()).sum(); }
}
