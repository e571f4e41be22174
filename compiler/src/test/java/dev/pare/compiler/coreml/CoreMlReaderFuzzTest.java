package dev.pare.compiler.coreml;

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
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded damage to real packages: bytes of model.mlmodel or weight.bin changed, cut or inserted.
 * Whatever the damage, reading, inspecting, decompressing every constexpr chain and writing back
 * either work or fail with the format's own errors ({@link ModelFormatException}, a pass failure)
 * in one line; never another exception, a hang or an allocation sized by a damaged field. The seed
 * and the damage are in the failure message, so a failing case can be replayed.
 */
class CoreMlReaderFuzzTest {

    private static final int CASES = 200;

    @TempDir Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mnist_dwnet_int8_ios16", "mnist_dwnet_joint_prune_pal_ios18", "block_w8a8_ios17"})
    void damagedPackagesFailCleanly(String fixture) throws Exception {
        Path src = CoreMlFixtures.DIR.resolve(fixture + ".mlpackage");
        byte[] model = Files.readAllBytes(src.resolve("Data/com.apple.CoreML/model.mlmodel"));
        byte[] weights = Files.readAllBytes(src.resolve("Data/com.apple.CoreML/weights/weight.bin"));
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        SplittableRandom random = new SplittableRandom(fixture.hashCode());
        int[] outcomes = new int[2];
        for (int c = 0; c < CASES; c++) {
            boolean damageModel = c % 3 != 2;
            byte[] original = damageModel ? model : weights;
            StringBuilder what = new StringBuilder(fixture + " case " + c + ": " + (damageModel ? "model.mlmodel" : "weight.bin"));
            byte[] damaged = Damage.apply(original, random, what, !damageModel ? 4096 : 0);
            Path pkg = tmp.resolve("case" + c + ".mlpackage");
            copy(src, pkg);
            Files.write(pkg.resolve(damageModel ? "Data/com.apple.CoreML/model.mlmodel" : "Data/com.apple.CoreML/weights/weight.bin"), damaged);
            outcomes[exercise(pkg, registry, what.toString()) ? 0 : 1]++;
        }
        System.out.printf("%s: %d damaged packages, %d still read and wrote, %d refused with a format error%n",
                fixture, CASES, outcomes[0], outcomes[1]);
        // the damage must reach the checks: some cases are refused (and a cut model file always is)
        assertTrue(outcomes[1] >= CASES / 10, "only " + outcomes[1] + " of " + CASES + " damaged packages were refused");
    }

    /** True if the damaged package went through; false if it was refused with a proper error. */
    private boolean exercise(Path pkg, PassRegistry registry, String what) {
        CoreMlFormat coreml = new CoreMlFormat();
        try {
            Model m = coreml.read(pkg);
            ModelInspector.inspect(m);
            PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                    .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                    .run(new PipelineCompiler(registry).parseInline("decompress_weights"), m);
            coreml.write(m, pkg.resolveSibling(pkg.getFileName() + ".out.mlpackage"));
            return true;
        } catch (ModelFormatException | PassManagerException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), what + ": empty message");
            assertFalse(e.getMessage().contains("\n"), what + ": " + e.getMessage());
            return false;
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e, e);
        } catch (Exception e) {
            fail(what + ": unexpected checked " + e, e);
        }
        return false;
    }

    private static void copy(Path src, Path dst) throws IOException {
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to); else Files.copy(p, to);
            }
        }
    }
}
