package dev.pare.compiler.io;

import dev.pare.ir.Model;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** The model formats on the classpath, chosen by file extension. */
public final class ModelFormats {

    private final List<ModelFormat> formats;

    public ModelFormats(List<ModelFormat> formats) {
        List<ModelFormat> sorted = new ArrayList<>(formats);
        sorted.sort(Comparator.comparing(ModelFormat::name));
        this.formats = List.copyOf(sorted);
    }

    /** Every {@link ModelFormat} found with {@link ServiceLoader} on the class path. */
    public static ModelFormats discover() {
        return discover(ModelFormats.class.getClassLoader());
    }

    public static ModelFormats discover(ClassLoader loader) {
        List<ModelFormat> found = new ArrayList<>();
        ServiceLoader.load(ModelFormat.class, loader).forEach(found::add);
        return new ModelFormats(found);
    }

    public List<ModelFormat> all() { return formats; }

    /** The format whose extension the path ends with. */
    public ModelFormat forPath(Path file) throws ModelFormatException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (ModelFormat f : formats) {
            for (String ext : f.extensions()) {
                if (name.endsWith(ext)) return f;
            }
        }
        String known = formats.stream().flatMap(f -> f.extensions().stream()).sorted().collect(Collectors.joining(", "));
        throw new ModelFormatException(file, "unknown model file extension (known: " + known + ")");
    }

    public Model read(Path file) throws ModelFormatException {
        return forPath(file).read(file);
    }

    public void write(Model model, Path target) throws ModelFormatException {
        forPath(target).write(model, target);
    }
}
