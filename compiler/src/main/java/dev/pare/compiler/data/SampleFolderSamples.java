package dev.pare.compiler.data;

import dev.pare.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code DIR/<sample>/<input>.npy}: one sub-folder per sample holding one {@code .npy} per model
 * input. An input name with characters other than letters, digits, {@code . _ -} may also be
 * written with those characters replaced by {@code _} ({@code input:0} as {@code input_0.npy}).
 */
final class SampleFolderSamples extends ModelSamples {

    private final List<Path> folders;
    private final Map<String, String> inputByFileStem = new LinkedHashMap<>();

    SampleFolderSamples(Path dir, List<Path> folders, List<Value> inputs) {
        super(dir.toString(), inputs);
        this.folders = List.copyOf(folders);
        for (Value v : inputs) {
            inputByFileStem.put(fileStem(v.name()), v.name());
            inputByFileStem.put(v.name(), v.name());
        }
    }

    static String fileStem(String inputName) { return inputName.replaceAll("[^A-Za-z0-9._-]", "_"); }

    @Override public int size() { return folders.size(); }

    @Override protected Map<String, Located> read(int index) throws IOException {
        Path folder = folders.get(index);
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".npy")).sorted(NaturalOrder.BY_FILE_NAME).toList();
        }
        Map<String, Located> out = new LinkedHashMap<>();
        for (Path f : files) {
            String stem = f.getFileName().toString();
            stem = stem.substring(0, stem.length() - ".npy".length());
            String input = inputByFileStem.getOrDefault(stem, stem);
            if (out.containsKey(input)) throw new DataException(f + ": a second file for input '" + input + "'");
            out.put(input, new Located(NpyFiles.read(f), f.toString()));
        }
        return out;
    }

    @Override protected String sampleName(int index) { return folders.get(index).toString(); }
}
