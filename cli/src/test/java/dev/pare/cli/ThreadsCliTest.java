package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare compile --threads N}: the same output bytes for any N. */
class ThreadsCliTest {

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    /** Every file under {@code out} (itself if a file) by relative path. */
    private static Map<String, byte[]> files(Path out) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        if (Files.isRegularFile(out)) {
            files.put("", Files.readAllBytes(out));
            return files;
        }
        try (Stream<Path> s = Files.walk(out)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) files.put(out.relativize(p).toString(), Files.readAllBytes(p));
        }
        return files;
    }

    // weight_threshold=0: every weight of the MNIST model is compressed, not only the large ones
    @ParameterizedTest
    @ValueSource(strings = {
        "palettize{mode=kmeans, nbits=4, weight_threshold=0}, CLEANUP",
        "quantize_weights{mode=linear_symmetric, dtype=int4, granularity=per_block, block_size=32, skip_inapplicable=true, weight_threshold=0}, CLEANUP",
        "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=0}, CLEANUP"})
    void outputBytesDoNotDependOnTheThreadCount(String pipeline) throws Exception {
        for (String ext : new String[] {"onnx", "mlpackage"}) {
            Map<String, byte[]> first = null;
            for (int threads : new int[] {1, 2, 4}) {
                Path out = dir.resolve("t" + threads + "." + ext);
                java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("compile", EndToEndTest.MNIST.toString(),
                        "-o", out.toString(), "--pipeline", pipeline, "--threads", String.valueOf(threads)));
                if (ext.equals("mlpackage")) args.addAll(java.util.List.of("--target", "ios18")); // int4 needs iOS18
                CliRun r = pare(args.toArray(String[]::new));
                assertEquals(ExitCodes.OK, r.exitCode(), r.err());
                Map<String, byte[]> files = files(out);
                if (first == null) {
                    first = files;
                    assertTrue(r.out().contains("weights 70 -> ") && !r.out().contains("-> 2.1 MiB)"), "compressed: " + r.out());
                    continue;
                }
                assertEquals(first.keySet(), files.keySet(), ext + " with " + threads + " threads");
                for (String f : first.keySet()) assertArrayEquals(first.get(f), files.get(f), ext + " file '" + f + "' with " + threads + " threads");
            }
        }
    }

    @Test
    void threadsBelowOneIsAUsageError() {
        Path out = dir.resolve("m.onnx");
        CliRun r = pare("compile", EndToEndTest.MNIST.toString(), "-o", out.toString(), "--threads", "0");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().contains("--threads must be at least 1, got 0"), r.err());
        assertTrue(!Files.exists(out));
    }
}
