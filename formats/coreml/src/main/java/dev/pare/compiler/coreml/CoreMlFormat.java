package dev.pare.compiler.coreml;

import dev.pare.ir.Model;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Core ML ML Programs: a {@code .mlpackage} folder (model protobuf + weight files), or a lone
 * {@code .mlmodel} file (an ML Program whose values are immediate, or whose weight file sits in
 * {@code weights/} next to it). Reading builds the {@code mil} dialect ({@link CoreMlImporter}).
 * The {@code pare} dialect is lowered to the target's constexpr ops by the {@code lower_to_coreml}
 * pass ({@link #loweringPass}, {@code dev.pare.compiler.coreml.lower.LowerToCoreMl}); the writer
 * serializes mil ops ({@link MilProgramPlanner}).
 */
public final class CoreMlFormat implements ModelFormat {

    /** Name of the Core ML lowering pass ({@code dev.pare.compiler.coreml.lower.LowerToCoreMl}). */
    public static final String LOWERING_PASS = "lower_to_coreml";

    @Override public String name() { return CoreMlKeys.FORMAT; }

    @Override public Optional<String> loweringPass() { return Optional.of(LOWERING_PASS); }

    /**
     * Whether {@code format} writes Core ML: the test the CLI makes for the flags and steps only
     * Core ML outputs have (--target, the ONNX to MIL conversion).
     */
    public static boolean isCoreMl(ModelFormat format) { return format.name().equals(CoreMlKeys.FORMAT); }

    @Override public boolean acceptsEnumeratedShapes() { return true; }

    /** The rules of {@link EnumeratedShapeRules} for the model's target (the writer checks them again). */
    @Override public Optional<String> enumeratedShapesProblem(Model model) {
        try {
            EnumeratedShapeRules.check(model.graph().inputs(), CoreMlTarget.of(model));
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override public List<String> extensions() { return List.of(".mlpackage", ".mlmodel"); }

    @Override public Model read(Path file) throws ModelFormatException {
        MlPackage pkg = Files.isDirectory(file) ? MlPackage.read(file) : MlPackage.readModelFile(file);
        return CoreMlImporter.importModel(pkg);
    }

    /** A package stands for everything in it; a lone {@code .mlmodel} also reads its {@code weights/} blob file. */
    @Override public List<Path> inputFiles(Path file, Model model) {
        return dev.pare.compiler.io.ModelFiles.withWeightFiles(file, model, CoreMlFormat::blobLocation);
    }

    /**
     * Writes a mil-dialect model ({@link CoreMlExporter}) holding no {@code pare.*} op (see
     * {@link #loweringPass}); the target comes from {@code coreml.target}.
     */
    @Override public void write(Model model, Path target) throws ModelFormatException {
        CoreMlExporter.write(model, target);
    }

    /** The weight file of a blob value relative to the model's folder ({@code weights/weight.bin}), or null. */
    private static String blobLocation(dev.pare.ir.TensorData d) {
        if (!"blob".equals(d.annotation(CoreMlKeys.STORAGE))) return null;
        String f = d.annotation(CoreMlKeys.BLOB_FILE);
        if (f == null) return null;
        return f.startsWith(MlPackage.MODEL_PATH_PREFIX) ? f.substring(MlPackage.MODEL_PATH_PREFIX.length()) : f;
    }
}
