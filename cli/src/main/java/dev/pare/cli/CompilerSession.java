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
import java.util.List;
import java.util.Optional;

/**
 * The compiler wiring one command uses: a Guice injector over {@link CompilerModule}, the pass
 * registry (class path plus {@code --plugin-path}), the pipeline compiler (with
 * {@code --pipeline-path}) and the pass-manager factory. Problems become {@link CliException}s
 * with exit code 2: they are fixed on the command line, not in the model.
 */
final class CompilerSession {

    static { GuiceFlags.applyTo(System.getProperties()); }  // before Guice is first used

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
        return open(options, calibrationData, calibrationSpec, policy, Runtime.getRuntime().availableProcessors());
    }

    /** As above, with {@code threads} workers for the passes' per-weight work ({@code --threads}). */
    static CompilerSession open(PluginOptions options, Path calibrationData, String calibrationSpec, CalibrationPolicy policy,
                                int threads) {
        if (calibrationData != null && !Files.exists(calibrationData)) {
            throw new CliException(ExitCodes.USAGE, "--calibration-data " + calibrationData + ": no such file or directory");
        }
        for (Path dir : options.pipelinePath) {
            if (!Files.isDirectory(dir)) {
                throw new CliException(ExitCodes.USAGE, "--pipeline-path " + dir + ": not a directory");
            }
        }
        checkPluginPath(options);
        CompilerConfig config = new CompilerConfig(Optional.ofNullable(options.pluginPath), options.pipelinePath, threads);
        if (calibrationData != null) config = config.withCalibrationData(calibrationData, calibrationSpec);
        config = config.withCalibrationPolicy(policy);
        Injector injector = Guice.createInjector(new CompilerModule(config));
        try {
            return new CompilerSession(injector, CompilerModule.registry(injector));
        } catch (RegistryException e) {
            throw new CliException(ExitCodes.USAGE, e.problems(), e);
        }
    }

    /**
     * A plugin path that loads nothing (a plain file, a folder without jars) is a warning, since
     * the passes the user expects will then be "unknown"; a broken jar is an error naming it.
     */
    private static void checkPluginPath(PluginOptions options) {
        Path path = options.pluginPath;
        if (path == null || !Files.exists(path)) return;  // discovery reports R004
        List<Path> jars;
        try {
            jars = PassRegistry.pluginJars(path);
        } catch (RegistryException e) {
            throw new CliException(ExitCodes.USAGE, e.problems(), e);
        }
        if (!jars.isEmpty()) return;
        options.warn(Files.isDirectory(path)
                ? "--plugin-path " + path + ": no .jar file in this directory; no plugins loaded"
                : "--plugin-path " + path + ": neither a directory nor a jar; no plugins loaded");
    }

    PassRegistry registry() { return registry; }

    /** Releases the temporary file of the tensors passes created; call once the model is written. */
    void closeTensorStore() { CompilerModule.closeTensorStore(injector); }

    PipelineCompiler pipelines() { return injector.getInstance(PipelineCompiler.class); }

    /** What runs {@code model} (ONNX Runtime, or the MIL interpreter for Core ML), as passes get it. */
    dev.pare.spi.ModelExecutor executor(dev.pare.ir.Model model) {
        return injector.getInstance(dev.pare.compiler.runtime.ModelExecutorFactory.class).forModel(model);
    }

    PassManagerFactory passManagers() { return injector.getInstance(PassManagerFactory.class); }

    /** {@code NAME}, inline steps or {@code @FILE}, as {@code --pipeline} takes them. */
    PipelineSpec pipeline(String argument) {
        if (argument.startsWith("@") && argument.length() > 1 && Files.isDirectory(Path.of(argument.substring(1)))) {
            throw new CliException(ExitCodes.USAGE, "pipeline file '" + argument.substring(1) + "' is a directory");
        }
        try {
            return pipelines().parseArgument(argument);
        } catch (PipelineException e) {
            throw CliException.rendered(ExitCodes.USAGE, e.getMessage(), e);
        }
    }
}
