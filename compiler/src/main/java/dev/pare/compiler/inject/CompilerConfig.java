package dev.pare.compiler.inject;

import dev.pare.spi.CalibrationPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the compiler wiring needs from the command line.
 *
 * @param pluginPath      a directory of plugin jars (or one jar), if given
 * @param pipelinePath    directories searched for included and named pipeline files
 * @param threads         size of the shared worker pool passes use
 * @param calibrationData samples for passes that run the model ({@code --calibration-data}), if given
 * @param calibrationSpec how to read samples that do not describe themselves ({@code --calibration-spec}), if given
 * @param calibrationPolicy what calibrating passes do with samples holding NaN or infinity ({@code --skip-nonfinite-samples})
 */
public record CompilerConfig(Optional<Path> pluginPath, List<Path> pipelinePath, int threads,
                             Optional<Path> calibrationData, Optional<String> calibrationSpec,
                             CalibrationPolicy calibrationPolicy) {

    public CompilerConfig {
        pipelinePath = List.copyOf(pipelinePath);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (calibrationPolicy == null) calibrationPolicy = CalibrationPolicy.DEFAULT;
    }

    /** Without calibration data. */
    public CompilerConfig(Optional<Path> pluginPath, List<Path> pipelinePath, int threads) {
        this(pluginPath, pipelinePath, threads, Optional.empty(), Optional.empty(), CalibrationPolicy.DEFAULT);
    }

    public CompilerConfig withCalibrationData(Path data, String spec) {
        return new CompilerConfig(pluginPath, pipelinePath, threads, Optional.of(data), Optional.ofNullable(spec), calibrationPolicy);
    }

    public CompilerConfig withCalibrationPolicy(CalibrationPolicy policy) {
        return new CompilerConfig(pluginPath, pipelinePath, threads, calibrationData, calibrationSpec, policy);
    }

    public static CompilerConfig defaults() {
        return new CompilerConfig(Optional.empty(), List.of(), Runtime.getRuntime().availableProcessors());
    }
}
