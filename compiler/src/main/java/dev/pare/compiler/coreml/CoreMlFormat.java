package dev.pare.compiler.coreml;

import dev.pare.ir.Model;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Core ML ML Programs: a {@code .mlpackage} folder (model protobuf + weight files), or a lone
 * {@code .mlmodel} file (an ML Program whose values are immediate, or whose weight file sits in
 * {@code weights/} next to it). Reading builds the {@code mil} dialect ({@link CoreMlImporter}).
 * The writer still lowers the {@code pare} dialect itself, per target ({@link MilProgramPlanner}),
 * so this format names no lowering pass.
 */
public final class CoreMlFormat implements ModelFormat {

    @Override public String name() { return CoreMlKeys.FORMAT; }

    /**
     * Whether {@code format} writes Core ML: the one test the driver and the CLI make for what only
     * Core ML outputs have (--target, enumerated shapes, the ONNX to MIL conversion).
     */
    public static boolean isCoreMl(ModelFormat format) { return format.name().equals(CoreMlKeys.FORMAT); }

    @Override public List<String> extensions() { return List.of(".mlpackage", ".mlmodel"); }

    @Override public Model read(Path file) throws ModelFormatException {
        MlPackage pkg = Files.isDirectory(file) ? MlPackage.read(file) : MlPackage.readModelFile(file);
        return CoreMlImporter.importModel(pkg);
    }

    /** A package stands for everything in it; a lone {@code .mlmodel} also reads its {@code weights/} blob file. */
    @Override public List<Path> inputFiles(Path file, Model model) {
        return dev.pare.compiler.io.ModelFiles.withWeightFiles(file, model);
    }

    /** Writes a mil-dialect model ({@link CoreMlExporter}); the target comes from {@code coreml.target}. */
    @Override public void write(Model model, Path target) throws ModelFormatException {
        CoreMlExporter.write(model, target);
    }
}
