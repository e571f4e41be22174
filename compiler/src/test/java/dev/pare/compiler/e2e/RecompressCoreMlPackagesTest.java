package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Post-training compression of packages written by Core ML Tools: a fixture is read, compressed
 * by a Pare pipeline, written back for its own target, read again and run in the MIL reference
 * interpreter on test digits (one at a time: the fixtures take [1,1,28,28]). The compressed
 * package must be smaller and stay close to the uncompressed one: the same class for every digit,
 * logits within a stated fraction of their range (what 4-bit weights cost, not a format error —
 * format exactness is checked by CoreMlPackagesMatchOrtTest and CoreMlRoundTripTest).
 */
class RecompressCoreMlPackagesTest {

    private static final Path FIXTURES = Path.of("src/test/resources/models/coreml");

    @TempDir Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"mnist_dwnet_fp16_ios16, PALETTIZE_4BIT, 0.15", "mnist_dwnet_fp32_ios18, QUANTIZE_INT4_BLOCK32, 0.1",
            "mnist_dwnet_fp32_ios18, PALETTIZE_8BIT, 0.02"})
    void compressedFixtureStaysCloseToTheOriginal(String fixture, String pipeline, double tolerance) throws Exception {
        Path original = FIXTURES.resolve(fixture + ".mlpackage");
        CoreMlFormat coreml = new CoreMlFormat();
        Model model = coreml.read(original);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), model);
        Path out = tmp.resolve("recompressed.mlpackage");
        LoweredCoreMl.write(model, out);

        PackageOutputs cmp = PackageOutputs.compare(original, out, 20);
        int sameClass = cmp.sameClass();
        double worst = cmp.worstRelativeError();
        long sizeBefore = PackageOutputs.size(original);
        long sizeAfter = PackageOutputs.size(out);
        System.out.printf(Locale.ROOT, "recompress %s %s: package %d -> %d B (%.1f%%); 20 digits: same class %d/20, worst relative logit error %.4f%n",
                fixture, pipeline, sizeBefore, sizeAfter, 100.0 * sizeAfter / sizeBefore, sameClass, worst);
        assertTrue(sizeAfter < sizeBefore / 2, sizeAfter + " vs " + sizeBefore);
        assertEquals(20, sameClass);
        assertTrue(worst <= tolerance, "worst relative logit error " + worst);
    }
}
