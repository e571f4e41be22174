package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.driver.OutputPlan;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an output creates, what an input reads, and the checks between them (driver {@link OutputPlan}). */
class OutputPlanTest {

    static final Path CORE_ML = Path.of("src/test/resources/models/coreml/mnist_dwnet_fp16_ios16.mlpackage/Data/com.apple.CoreML");

    @TempDir Path tmp;

    @Test
    void anOnnxOutputPlansItsExternalDataFile() {
        Path out = tmp.resolve("small.onnx");
        assertEquals(List.of(out, tmp.resolve("small.onnx.data")), OutputPlan.of(new OnnxFormat(), out).files());
        Path pkg = tmp.resolve("small.mlpackage");
        assertEquals(List.of(pkg), OutputPlan.of(new CoreMlFormat(), pkg).files());
    }

    @Test
    void anOnnxInputReadsItsExternalDataFiles() throws Exception {
        Path in = ExternalModels.write(tmp, "model.onnx", 2, 1500);
        Model m = new OnnxFormat().read(in);
        assertEquals(List.of(in, tmp.resolve("model.onnx.data")), new OnnxFormat().inputFiles(in, m));
    }

    @Test
    void aLoneMlmodelReadsItsWeightFile() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("lone/weights"));
        Files.copy(CORE_ML.resolve("weights/weight.bin"), folder.resolve("weight.bin"));
        Path model = Files.copy(CORE_ML.resolve("model.mlmodel"), tmp.resolve("lone/model.mlmodel"));
        Model m = new CoreMlFormat().read(model);
        assertEquals(List.of(model, tmp.resolve("lone/weights/weight.bin")), new CoreMlFormat().inputFiles(model, m));
        Path pkg = tmp.resolve("lone");
        assertEquals(List.of(pkg), new CoreMlFormat().inputFiles(pkg, m));
    }

    @Test
    void anOutputFolderThatIsALinkToTheInputFolderIsSeenThrough() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path in = ExternalModels.write(a, "model.onnx", 1, 100);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), a);
        Path out = link.resolve("model.onnx");
        CompilationException e = assertThrows(CompilationException.class, () ->
                new Compilation(ModelFormats.discover()).run(new CompileRequest(in, out, true)));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(out + ": output would overwrite the input model", e.getMessage());

        Path renamed = Files.move(in, a.resolve("other.onnx"));  // still reads model.onnx.data
        CompilationException data = assertThrows(CompilationException.class, () ->
                new Compilation(ModelFormats.discover()).run(new CompileRequest(renamed, out, true)));
        assertEquals(link.resolve("model.onnx.data") + ": the input " + renamed + " reads this file (it is "
                + a.resolve("model.onnx.data") + "); writing " + out + " would replace it (choose another output name)",
                data.getMessage());
    }
}
