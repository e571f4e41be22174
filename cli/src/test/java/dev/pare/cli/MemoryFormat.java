package dev.pare.cli;

import dev.pare.ir.IrPrinter;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test format ({@code .mem}): models live in memory keyed by path, the file holds the IR text
 * so it exists and has a size. Lets the CLI be tested without depending on a real reader.
 */
final class MemoryFormat implements ModelFormat {

    private final Map<Path, Model> models = new HashMap<>();
    String failWritesWith;
    /** Thrown by {@link #read} instead of reading (a RuntimeException or an Error), when set. */
    Throwable readThrows;
    /** {@link #read} returns null (a broken format plugin), when set. */
    boolean readReturnsNull;

    @Override public String name() { return "mem"; }

    @Override public List<String> extensions() { return List.of(".mem"); }

    void put(Path file, Model model) throws IOException {
        Files.writeString(file, IrPrinter.print(model.graph()));
        models.put(file.toAbsolutePath().normalize(), model);
    }

    Model get(Path file) { return models.get(file.toAbsolutePath().normalize()); }

    @Override public Model read(Path file) throws ModelFormatException {
        if (readThrows instanceof RuntimeException e) throw e;
        if (readThrows instanceof Error e) throw e;
        if (readReturnsNull) return null;
        Model m = get(file);
        if (m == null) throw new ModelFormatException(file, "not a model this test wrote");
        return m;
    }

    @Override public void write(Model model, Path target) throws ModelFormatException {
        if (failWritesWith != null) throw new ModelFormatException(target, failWritesWith);
        try {
            put(target, model);
        } catch (IOException e) {
            throw new ModelFormatException(target, "cannot write: " + e.getMessage(), e);
        }
    }
}
