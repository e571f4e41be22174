package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.registry.PassRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare compile} flags for Core ML outputs: --target, --input-shape, the ONNX to MIL conversion. */
class CompileCoreMlTest {

    @TempDir Path dir;

    private CliRun run(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), java.util.Map.of()), args);
    }

    @Test
    void unknownTargetIsAUsageError() {
        Path out = dir.resolve("m.mlpackage");
        CliRun r = run("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--target", "ios15");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--target 'ios15': choose one of ios16, ios17, ios18, ios26"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void ios26WritesSpecificationVersion10AndIsInTheHelp() throws Exception {
        Path out = dir.resolve("m26.mlpackage");
        CliRun r = run("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--target", "ios26",
                "--pipeline", "PALETTIZE_4BIT", "--input-shape", "input=1,1,28,28");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        dev.pare.compiler.coreml.MlPackage pkg = dev.pare.compiler.coreml.MlPackage.read(out);
        assertEquals(10, pkg.model().getSpecificationVersion());
        assertEquals("CoreML9", pkg.program().getFunctionsOrThrow("main").getOpset());
        CliRun help = run("compile", "--help");
        assertTrue(help.out().replaceAll("\\s+", " ").contains("ios16, ios17, ios18 or ios26"), help.out());
    }

    @Test
    void targetNeedsACoreMlOutput() {
        Path out = dir.resolve("m.onnx");
        CliRun r = run("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--target", "ios18");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--target applies to Core ML outputs (.mlpackage, .mlmodel), not " + out), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void malformedInputShapeIsAUsageError() {
        Path out = dir.resolve("m.onnx");
        CliRun r = run("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "input:1,1,28,28");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--input-shape 'input:1,1,28,28' must be NAME=D0,D1,... (e.g. input_ids=1,128)"), r.err());
    }

    @Test
    void inputShapeOfAnUnknownInputIsAUsageError() {
        Path out = dir.resolve("m.onnx");
        CliRun r = run("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--input-shape", "pixels=1,1,28,28");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--input-shape: the model has no input 'pixels'"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void onnxToCoreMlWithoutTheConversionPassFailsClearly() throws Exception {
        PassRegistry empty = PassRegistry.of(List.of());
        PipelineSpec none = new PipelineSpec("<pipeline>", List.of());
        Path out = dir.resolve("m.mlpackage");
        CliException e = assertThrows(CliException.class, () -> CompileCommand.needsConversion(true, none, empty, out));
        assertEquals("no ONNX->MIL conversion available: writing " + out + " as Core ML needs the convert_to_mil pass, "
                + "which is not installed", e.getMessage());
        assertFalse(CompileCommand.needsConversion(false, none, empty, out), "a Core ML input needs no conversion");
    }

    @Test
    void pipelineTextIsOneLine() throws Exception {
        CompilerSession session = CompilerSession.open(new PluginOptions());
        PipelineSpec p = session.pipeline("prune{mode=magnitude, target_sparsity=0.5}, CLEANUP");
        String text = CompileCommand.pipelineText(List.of(p));
        assertFalse(text.contains("\n"), text);
        assertTrue(text.startsWith("prune{"), text);
        assertEquals(p.canonicalText(), new PipelineCompiler(session.registry()).parseInline(text).canonicalText(),
                "the recorded text replays the same pipeline");
    }
}
