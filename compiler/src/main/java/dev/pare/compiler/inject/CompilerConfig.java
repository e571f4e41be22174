package dev.pare.compiler.inject;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the compiler wiring needs from the command line.
 *
 * @param pluginPath   a directory of plugin jars (or one jar), if given
 * @param pipelinePath directories searched for included and named pipeline files
 * @param threads      size of the shared worker pool passes use
 */
public record CompilerConfig(Optional<Path> pluginPath, List<Path> pipelinePath, int threads) {

    public CompilerConfig {
        pipelinePath = List.copyOf(pipelinePath);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }

    public static CompilerConfig defaults() {
        return new CompilerConfig(Optional.empty(), List.of(), Runtime.getRuntime().availableProcessors());
    }
}
