package dev.pare.compiler.data;

import dev.pare.ir.Value;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code DIR/*.npy}: one file per sample, for a model with one input. */
final class NpyFolderSamples extends ModelSamples {

    private final List<Path> files;
    private final Value input;

    NpyFolderSamples(Path dir, List<Path> files, List<Value> inputs) throws DataException {
        super(dir.toString(), inputs);
        this.files = List.copyOf(files);
        this.input = single(inputs, dir.toString(), "a folder of .npy files");
    }

    @Override public int size() { return files.size(); }

    @Override protected Map<String, Located> read(int index) throws IOException {
        Path f = files.get(index);
        return Map.of(input.name(), new Located(NpyFiles.read(f), f.toString()));
    }

    @Override protected String sampleName(int index) { return files.get(index).toString(); }
}
