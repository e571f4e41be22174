package dev.pare.compiler.driver;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One compilation: read {@code input}, transform, write {@code output}.
 *
 * @param overwrite       whether an existing {@code output} may be replaced (never the input itself)
 * @param modelProperties set on the model right after reading, before the pipeline (e.g.
 *                        {@code coreml.target} from {@code --target}, {@code pare.version})
 * @param inputShapes     input name to fixed shape ({@code --input-shape}), applied before the pipeline
 */
public record CompileRequest(Path input, Path output, boolean overwrite, Map<String, String> modelProperties,
                             Map<String, List<Long>> inputShapes) {

    public CompileRequest {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        modelProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modelProperties));
        inputShapes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputShapes));
    }

    public CompileRequest(Path input, Path output, boolean overwrite) {
        this(input, output, overwrite, Map.of(), Map.of());
    }
}
