package dev.pare.compiler.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves {@code external_data} locations inside the model's folder. Absolute paths, paths that
 * climb out with {@code ..}, and links that lead outside are refused, so a model file cannot make
 * Pare read arbitrary files.
 */
final class ExternalDataResolver {

    /** A checked external data file: its real path and size. */
    record DataFile(Path realPath, long size) {}

    private final Path modelDir;
    private Path realModelDir;
    private final Map<String, DataFile> cache = new HashMap<>();

    ExternalDataResolver(Path modelDir) { this.modelDir = modelDir; }

    DataFile resolve(String label, String location) {
        DataFile cached = cache.get(location);
        if (cached != null) return cached;
        String where = label + " external data location '" + location + "'";
        if (location.isEmpty()) throw new OnnxInputError(label + " external data has an empty location");
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw new OnnxInputError(where + " is not a valid path");
        }
        if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
            throw new OnnxInputError(where + " is an absolute path; it must be relative to the model folder");
        }
        Path lexical = modelDir.resolve(rel).normalize();
        if (!lexical.startsWith(modelDir.normalize())) {
            throw new OnnxInputError(where + " is outside the model folder");
        }
        if (!Files.exists(lexical)) {
            throw new OnnxInputError(label + " external data file '" + location + "' does not exist");
        }
        Path real;
        long size;
        try {
            if (realModelDir == null) realModelDir = modelDir.toRealPath();
            real = lexical.toRealPath();
            if (!real.startsWith(realModelDir)) {
                throw new OnnxInputError(where + " links to a file outside the model folder");
            }
            if (!Files.isRegularFile(real)) {
                throw new OnnxInputError(where + " is not a regular file");
            }
            size = Files.size(real);
        } catch (IOException e) {
            throw new OnnxInputError(label + " external data file '" + location + "' cannot be read: " + e.getMessage());
        }
        DataFile f = new DataFile(real, size);
        cache.put(location, f);
        return f;
    }
}
