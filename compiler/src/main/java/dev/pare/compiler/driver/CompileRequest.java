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
 * @param enumeratedShapes input name to the shapes a Core ML output accepts ({@code --input-shape
 *                        NAME=S1|S2}, the first the default); every list equally long, at least two
 */
public record CompileRequest(Path input, Path output, boolean overwrite, Map<String, String> modelProperties,
                             Map<String, List<Long>> inputShapes, Map<String, List<List<Long>>> enumeratedShapes) {

    public CompileRequest {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        modelProperties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modelProperties));
        inputShapes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputShapes));
        enumeratedShapes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(enumeratedShapes));
    }

    public CompileRequest(Path input, Path output, boolean overwrite, Map<String, String> modelProperties,
                          Map<String, List<Long>> inputShapes) {
        this(input, output, overwrite, modelProperties, inputShapes, Map.of());
    }

    public CompileRequest(Path input, Path output, boolean overwrite) {
        this(input, output, overwrite, Map.of(), Map.of(), Map.of());
    }
}
