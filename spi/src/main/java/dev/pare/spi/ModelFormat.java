package dev.pare.spi;

import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model file format: a reader and a writer, chosen by file extension. Found with
 * {@link java.util.ServiceLoader} like passes.
 */
public interface ModelFormat {

    /** Short name, e.g. {@code onnx}. */
    String name();

    /** File extensions handled, lower case with the dot, e.g. {@code .onnx}. */
    List<String> extensions();

    /** Reads a model; weights stay in the file (mapped) until needed. */
    Model read(Path file) throws ModelFormatException;

    /**
     * Writes a model to {@code target}. Implementations write temporary siblings and move them into
     * place, so a failure leaves no partial output.
     */
    void write(Model model, Path target) throws ModelFormatException;

    /**
     * The pass that lowers the format-neutral {@code pare} dialect (ir/PARE_DIALECT.md) to this
     * format's ops, by name. The compiler appends it to the pipeline of every output in this
     * format, so {@link #write} gets only ops it can hold. Empty: {@link #write} takes the IR as
     * it is. A new output format is this interface plus one lowering pass.
     */
    default Optional<String> loweringPass() { return Optional.empty(); }

    /**
     * Whether the format lets an input take one of several shapes ({@code --input-shape
     * NAME=S1|S2|...}, Core ML's enumerated shapes). The compiler refuses such a request for a
     * format that says no before the model is read. Default: no.
     */
    default boolean acceptsEnumeratedShapes() { return false; }

    /**
     * What {@link #write} would refuse about the enumerated shapes requested on {@code model}'s
     * inputs (e.g. other inputs left dynamic), as one line; the compiler asks before any pass runs,
     * so it is a bad request rather than a failed write. Empty: nothing to refuse.
     */
    default Optional<String> enumeratedShapesProblem(Model model) { return Optional.empty(); }

    /**
     * Every file or folder that {@link #write} to {@code target} may create or replace, {@code target}
     * first (a folder stands for everything in it). The compiler checks them against the input's
     * files and against existing files before any pass runs. Default: {@code target} alone.
     */
    default List<Path> outputFiles(Path target) { return List.of(target); }

    /**
     * Every file or folder the model {@link #read} from {@code file} reads its data from, {@code file}
     * first: e.g. external weight files next to it. Default: {@code file} alone.
     */
    default List<Path> inputFiles(Path file, Model model) { return List.of(file); }
}
