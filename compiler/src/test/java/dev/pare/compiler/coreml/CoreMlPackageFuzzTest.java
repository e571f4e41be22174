package dev.pare.compiler.coreml;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzzing of the Core ML package reader (run by {@code scripts/fuzz.sh coreml}; a
 * plain test run replays the inputs under
 * {@code src/test/resources/dev/pare/compiler/coreml/CoreMlPackageFuzzTestInputs}).
 *
 * <p>The first input byte picks the file the rest replaces: even, {@code model.mlmodel} in a copy of
 * the {@code block_w8a8_ios17} fixture (whose {@code weight.bin} stays); odd, {@code weight.bin} of
 * a small package written here ({@code y = linear(x, W[12,16], b[12])}, so the blob records are
 * within the fuzzer's reach). Reading, inspecting and writing back either work or fail with a
 * {@link ModelFormatException}, never another exception.
 */
class CoreMlPackageFuzzTest {

    private static Path dir;
    private static Path fixture;
    private static Path dense;
    private static int cases;

    @FuzzTest(maxDuration = "30s")
    void packageReadsOrFailsWithAFormatError(byte[] input) throws IOException {
        if (input.length == 0) return;
        prepare();
        boolean weights = (input[0] & 1) != 0;
        Path pkg = dir.resolve("case" + cases++ + ".mlpackage");
        copy(weights ? dense : fixture, pkg);
        Files.write(pkg.resolve(weights ? CoreMlExporter.WEIGHTS_PATH : CoreMlExporter.MODEL_PATH),
                Arrays.copyOfRange(input, 1, input.length));
        Path out = dir.resolve("out.mlpackage");
        CoreMlFormat coreml = new CoreMlFormat();
        try {
            Model m = coreml.read(pkg);
            ModelInspector.inspect(m);
            coreml.write(m, out);
        } catch (ModelFormatException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "empty message");
        } finally {
            delete(pkg);
            delete(out);
        }
    }

    /** The two base packages, once per JVM. */
    private static void prepare() throws IOException {
        if (dir != null) return;
        dir = Files.createTempDirectory("pare-fuzz-coreml");
        fixture = dir.resolve("fixture.mlpackage");
        copy(CoreMlFixtures.DIR.resolve("block_w8a8_ios17.mlpackage"), fixture);
        MilGraphs g = new MilGraphs(16);
        g.linear(g.constant("W", MilGraphs.f32(new long[]{12, 16}, 192, -3f)), g.constant("b", MilGraphs.f32(new long[]{12}, 12, 0f)));
        dense = dir.resolve("dense.mlpackage");
        try {
            CoreMlExporter.write(g.model, dense);
        } catch (ModelFormatException e) {
            throw new IllegalStateException("cannot write the base package", e);
        }
    }

    private static void copy(Path src, Path dst) throws IOException {
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to); else Files.copy(p, to);
            }
        }
    }

    private static void delete(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }
}
