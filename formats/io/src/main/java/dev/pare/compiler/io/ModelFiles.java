package dev.pare.compiler.io;

import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The files a model read from disk depends on, for {@link dev.pare.spi.ModelFormat#inputFiles}.
 * Each format says where its tensors' bytes live (its own annotations), so this package needs no
 * format and no inspection.
 */
public final class ModelFiles {

    private ModelFiles() {}

    /**
     * {@code file}, then every weight file the model's tensors were read from, resolved in
     * {@code file}'s folder: {@code location} gives a tensor's file relative to that folder (ONNX
     * external data, the {@code weights/} blob file of a lone {@code .mlmodel}), or null for bytes
     * held in the model file. A folder model (a package) stands for everything in it, so it is
     * returned alone.
     */
    public static List<Path> withWeightFiles(Path file, Model model, Function<TensorData, String> location) {
        if (Files.isDirectory(file)) return List.of(file);
        Path folder = file.toAbsolutePath().getParent();
        Set<Path> files = new LinkedHashSet<>();
        files.add(file);
        if (folder == null) return List.copyOf(files);
        Set<String> locations = new LinkedHashSet<>();
        collect(model.graph(), location, locations);
        for (Graph f : model.functions()) collect(f, location, locations);
        for (String l : locations) {
            try {
                files.add(folder.resolve(l).normalize());
            } catch (InvalidPathException e) {
                // the reader refused such a location already; nothing was read from it
            }
        }
        return new ArrayList<>(files);
    }

    private static void collect(Graph g, Function<TensorData, String> location, Set<String> into) {
        List<Value> tensors = new ArrayList<>(g.inputs());
        tensors.addAll(g.constants());
        for (Value v : tensors) {
            if (v.data() == null) continue;
            String l = location.apply(v.data());
            if (l != null && !l.isEmpty()) into.add(l);
        }
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) collect(sub, location, into);
    }
}
