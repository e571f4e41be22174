package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pare.compiler.registry.PassRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the pipeline language (run by {@code scripts/fuzz.sh pipeline}; a
 * plain test run replays the inputs under
 * {@code src/test/resources/dev/pare/compiler/pipeline/PipelineCompilerFuzzTestInputs}).
 *
 * <p>The first input byte picks how the rest is read: even as inline steps, odd as a pipeline file
 * (alone in a temporary folder, so its includes find only itself and the built-ins). Any text
 * either compiles or fails with a {@link PipelineException}; what compiles prints in the canonical
 * form, which {@link PipelinePrinter} promises is a valid inline pipeline printing the same again.
 */
class PipelineCompilerFuzzTest {

    private static PipelineCompiler compiler;
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void textCompilesOrFailsWithAPipelineError(byte[] input) throws Exception {
        if (input.length == 0) return;
        if (compiler == null) compiler = new PipelineCompiler(PassRegistry.discover(getClass().getClassLoader()));
        String text = new String(Arrays.copyOfRange(input, 1, input.length), StandardCharsets.UTF_8);
        PipelineSpec spec;
        try {
            spec = (input[0] & 1) == 0 ? compiler.parseInline(text) : compiler.parseFile(write(text));
        } catch (PipelineException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "empty message");
            return;
        }
        String printed = PipelinePrinter.print(spec);
        try {
            assertEquals(printed, PipelinePrinter.print(compiler.parseInline(printed)), "the canonical print reads back");
        } catch (PipelineException e) {
            throw new AssertionError("the canonical print does not compile: " + e.getMessage() + "\n" + printed, e);
        }
    }

    private static Path write(String text) throws IOException {
        if (dir == null) dir = Files.createTempDirectory("pare-fuzz-pipeline");
        return Files.writeString(dir.resolve("fuzz.pipeline"), text);
    }
}
