package dev.pare.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.RegistryException;
import dev.pare.spi.CalibrationPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The compiler wiring one command uses: a Guice injector over {@link CompilerModule}, the pass
 * registry (class path plus {@code --plugin-path}), the pipeline compiler (with
 * {@code --pipeline-path}) and the pass-manager factory. Problems become {@link CliException}s
 * with exit code 2: they are fixed on the command line, not in the model.
 */
final class CompilerSession {

    private final Injector injector;
    private final PassRegistry registry;

    private CompilerSession(Injector injector, PassRegistry registry) {
        this.injector = injector;
        this.registry = registry;
    }

    static CompilerSession open(PluginOptions options) { return open(options, null, null, CalibrationPolicy.DEFAULT); }

    /**
     * As {@link #open(PluginOptions)}, with the samples of {@code --calibration-data} (and how to read
     * them) for passes that run the model; null when not given; {@code policy}: what they do with
     * samples holding NaN or infinity.
     */
    static CompilerSession open(PluginOptions options, Path calibrationData, String calibrationSpec, CalibrationPolicy policy) {
        if (calibrationData != null && !Files.exists(calibrationData)) {
            throw new CliException(ExitCodes.USAGE, "--calibration-data " + calibrationData + ": no such file or directory");
        }
        for (Path dir : options.pipelinePath) {
            if (!Files.isDirectory(dir)) {
                throw new CliException(ExitCodes.USAGE, "--pipeline-path " + dir + ": not a directory");
            }
        }
        CompilerConfig config = new CompilerConfig(Optional.ofNullable(options.pluginPath), options.pipelinePath,
                Runtime.getRuntime().availableProcessors());
        if (calibrationData != null) config = config.withCalibrationData(calibrationData, calibrationSpec);
        config = config.withCalibrationPolicy(policy);
        Injector injector = Guice.createInjector(new CompilerModule(config));
        try {
            return new CompilerSession(injector, CompilerModule.registry(injector));
        } catch (RegistryException e) {
            throw new CliException(ExitCodes.USAGE, e.problems(), e);
        }
    }

    PassRegistry registry() { return registry; }

    PipelineCompiler pipelines() { return injector.getInstance(PipelineCompiler.class); }

    PassManagerFactory passManagers() { return injector.getInstance(PassManagerFactory.class); }

    /** {@code NAME}, inline steps or {@code @FILE}, as {@code --pipeline} takes them. */
    PipelineSpec pipeline(String argument) {
        try {
            return pipelines().parseArgument(argument);
        } catch (PipelineException e) {
            throw CliException.rendered(ExitCodes.USAGE, e.getMessage(), e);
        }
    }
}
