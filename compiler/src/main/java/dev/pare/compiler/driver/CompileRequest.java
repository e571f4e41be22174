package dev.pare.compiler.driver;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One compilation: read {@code input}, transform, write {@code output}. Later options (pipeline,
 * target, seed, …) become components here.
 *
 * @param overwrite whether an existing {@code output} may be replaced (never the input itself)
 */
public record CompileRequest(Path input, Path output, boolean overwrite) {
    public CompileRequest {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
    }
}
