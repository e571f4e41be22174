package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.Damage;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded damage to the MNIST model file: reading, inspecting, compressing (4-bit palettization)
 * and writing either work or fail with one-line format or pass errors, never another exception.
 */
class OnnxReaderFuzzTest {

    private static final int CASES = 100;

    @TempDir Path tmp;

    @Test
    void damagedModelsFailCleanly() throws Exception {
        byte[] model = Files.readAllBytes(TestModels.MNIST);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        SplittableRandom random = new SplittableRandom(42);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder what = new StringBuilder("case " + c + ":");
            // the graph (nodes, types) is in the first ~4 KiB; the rest is mostly initializer data
            Path file = Files.write(tmp.resolve("case" + c + ".onnx"), Damage.apply(model, random, what, 4096));
            try {
                Model m = new OnnxFormat().read(file);
                ModelInspector.inspect(m);
                PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                        .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                        .run(new PipelineCompiler(registry).parseInline("palettize{nbits=4}"), m);
                new OnnxFormat().write(m, tmp.resolve("case" + c + ".out.onnx"));
            } catch (ModelFormatException | PassManagerException e) {
                assertFalse(e.getMessage() == null || e.getMessage().isBlank(), what + ": empty message");
                assertFalse(e.getMessage().contains("\n"), what + ": " + e.getMessage());
                refused++;
            } catch (RuntimeException | Error e) {
                fail(what + ": " + e, e);
            }
        }
        System.out.printf("mnist model.onnx: %d damaged files, %d refused with a format or pass error%n", CASES, refused);
        assertTrue(refused >= CASES / 10, "only " + refused + " of " + CASES + " damaged files were refused");
    }
}
