package dev.pare.compiler.data;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pare.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of the {@code .npy}/{@code .npz} readers behind
 * {@link CalibrationDataReaders} (run by {@code scripts/fuzz.sh data}; a plain test run replays the
 * inputs under {@code src/test/resources/dev/pare/compiler/data/CalibrationDataFuzzTestInputs}).
 *
 * <p>The first input byte picks how the rest is offered: bit 0 as a batch file (a {@code .npy} or,
 * by its zip magic, an {@code .npz}) or as the one {@code .npy} of a sample folder; bit 1 to a
 * one-input image model or a two-input token model. Opening and reading up to four samples either
 * works or fails with a one-line {@link DataException}.
 */
class CalibrationDataFuzzTest {

    private static final List<Value> IMAGE = ModelInputs.of("x:f32[N,1,2,2]");
    private static final List<Value> TOKENS = ModelInputs.of("ids:i64[batch,seq]", "mask:i64[batch,seq]");
    private static final int SAMPLES_READ = 4;

    private static Path dir;
    private static int cases;

    @FuzzTest(maxDuration = "30s")
    void dataReadsOrFailsWithADataError(byte[] input) throws IOException {
        if (input.length == 0) return;
        boolean folder = (input[0] & 1) != 0;
        List<Value> inputs = (input[0] & 2) != 0 ? TOKENS : IMAGE;
        byte[] content = Arrays.copyOfRange(input, 1, input.length);
        if (dir == null) dir = Files.createTempDirectory("pare-fuzz-data");
        Path caseDir = Files.createDirectory(dir.resolve("case" + cases++));
        Path file = folder ? caseDir.resolve("samples/0.npy") : caseDir.resolve("batch.bin");
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        try (SampleSource s = CalibrationDataReaders.open(folder ? file.getParent() : file, null, inputs)) {
            for (int i = 0; i < Math.min(s.size(), SAMPLES_READ); i++) s.sample(i);
        } catch (DataException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "empty message");
        } finally {
            Files.delete(file);
            if (folder) Files.delete(file.getParent());
            Files.delete(caseDir);
        }
    }
}
