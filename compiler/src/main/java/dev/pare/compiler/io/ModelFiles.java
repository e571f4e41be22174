package dev.pare.compiler.io;

import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.Storage;
import dev.pare.compiler.inspect.WeightReport;
import dev.pare.ir.Model;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The files a model read from disk depends on, for {@link dev.pare.spi.ModelFormat#inputFiles}. */
public final class ModelFiles {

    private ModelFiles() {}

    /**
     * {@code file}, then every weight file its tensors were read from (ONNX external data, the
     * {@code weights/} blob file of a lone {@code .mlmodel}), resolved in {@code file}'s folder. A
     * folder model (a package) stands for everything in it, so it is returned alone.
     */
    public static List<Path> withWeightFiles(Path file, Model model) {
        if (Files.isDirectory(file)) return List.of(file);
        Path folder = file.toAbsolutePath().getParent();
        Set<Path> files = new LinkedHashSet<>();
        files.add(file);
        if (folder == null) return List.copyOf(files);
        for (WeightReport w : ModelInspector.inspect(model).weights()) {
            if (w.storage() != Storage.EXTERNAL_FILE && w.storage() != Storage.BLOB_FILE) continue;
            String location = w.location();
            if (location == null || location.isEmpty() || location.equals("?")) continue;
            try {
                files.add(folder.resolve(location).normalize());
            } catch (InvalidPathException e) {
                // the reader refused such a location already; nothing was read from it
            }
        }
        return new ArrayList<>(files);
    }
}
