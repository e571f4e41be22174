package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.inspect.DTypeTotal;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.inspect.Storage;
import dev.pare.compiler.inspect.WeightReport;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare compile} then {@code pare inspect} on real ONNX models, with the real ONNX format. */
class EndToEndTest {

    static final Path MNIST = Path.of("../compiler/src/test/resources/models/mnist_dwnet/model.onnx");
    static final Path MINILM = Path.of("../compiler/target/test-models/minilm/all-minilm-l6-v2.onnx");

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static Path existing(Path p) {
        assertTrue(Files.isRegularFile(p), p + " is missing; build from the repository root (mvn -B verify)");
        return p;
    }

    private static ModelReport report(Path p) throws Exception {
        return ModelInspector.inspect(ModelFormats.discover().read(p));
    }

    @Test
    void compressionNotesAreCountedUnlessVerbose() throws Exception {
        Path out = dir.resolve("q.onnx");
        CliRun quiet = pare("compile", existing(MNIST).toString(), "-o", out.toString(), "--pipeline", "QUANTIZE_INT8");
        assertEquals(0, quiet.exitCode(), quiet.err());
        // 7 depthwise/bias weights are at most weight_threshold (2048) elements and stay dense.
        assertEquals("pare: 7 notes (CW001 x7); --verbose lists them\n", quiet.err());

        CliRun verbose = pare("compile", existing(MNIST).toString(), "-o", out.toString(), "--force", "--pipeline", "QUANTIZE_INT8", "--verbose");
        assertEquals(0, verbose.exitCode(), verbose.err());
        List<String> lines = verbose.err().lines().toList();
        assertEquals(7, lines.size(), verbose.err());
        assertTrue(lines.get(0).equals("pare: note[CW001] model.onnx:/stem/Conv (#0): quantize_weights: weight 'onnx::Conv_249' has 288 elements, not more than weight_threshold 2048; left dense"), lines.get(0));
        assertTrue(lines.stream().allMatch(l -> l.contains("not more than weight_threshold 2048; left dense")), verbose.err());

        CliRun inspect = pare("inspect", out.toString());
        assertTrue(inspect.out().contains("\nCompressed weights: 11 tensors"), inspect.out());
        assertTrue(!inspect.out().contains("onnx.opset"), "reader bookkeeping keys are not model properties");
    }

    @Test
    void mnist() throws Exception {
        Path out = dir.resolve("mnist.onnx");
        CliRun compile = pare("compile", existing(MNIST).toString(), "-o", out.toString(), "--pipeline", "EMPTY");
        assertEquals(0, compile.exitCode(), compile.err());
        assertTrue(compile.out().startsWith("compiled " + MNIST + " -> " + out
                + ": nodes 92 -> 92, weights 70 -> 70 (2.1 MiB -> 2.1 MiB), file 2.1 MiB -> 2.1 MiB, "), compile.out());

        CliRun inspect = pare("inspect", out.toString());
        assertEquals(0, inspect.exitCode(), inspect.err());
        assertEquals("", inspect.err());
        // The README's 547,402 counts PyTorch parameters before batch norm was folded: the file
        // holds 36 initializers (conv weights, folded conv biases, fc) with 544,010 elements and
        // 34 scalar Constant nodes (ReLU6 clip bounds): 544,044 in all, 4 bytes each.
        assertTrue(inspect.out().contains("\nWeights: 70 tensors, 544,044 parameters, 2.1 MiB\n"), inspect.out());
        assertTrue(inspect.out().contains("""
                Weights by dtype
                  dtype  tensors  parameters     size
                  f32         70     544,044  2.1 MiB
                  total       70     544,044  2.1 MiB
                """), inspect.out());
        assertTrue(inspect.out().contains("\n  fc.weight                             [10,512]       f32     20.0 KiB  initializer                                /fc/Gemm\n"),
                inspect.out());

        ModelReport r = report(out);
        assertEquals(36, r.weights().stream().filter(w -> w.storage() == Storage.INITIALIZER).count());
        assertEquals(34, r.weights().stream().filter(w -> w.storage() == Storage.CONSTANT_NODE).count());
        assertEquals(544_010, r.weights().stream().filter(w -> w.storage() == Storage.INITIALIZER)
                .mapToLong(WeightReport::elements).sum());
        assertEquals(List.of(new DTypeTotal(DType.FLOAT32, 70, 544_044, 2_176_176)), r.dtypeTotals());
        assertTrue(r.weights().stream().allMatch(w -> !w.users().isEmpty()), "every weight has a user");
        // compiling with the EMPTY pipeline changes nothing inspect can see
        assertEquals(report(MNIST), r);

        CliRun json = pare("inspect", "--json", out.toString());
        assertEquals(0, json.exitCode());
        assertTrue(json.out().contains("""
                  "totals": {
                    "bytes": 2176176,
                    "parameters": 544044,
                    "weights": 70
                  },
                """), json.out());
    }

    @Test
    void miniLm() throws Exception {
        Path out = dir.resolve("minilm.onnx");
        CliRun compile = pare("compile", existing(MINILM).toString(), "-o", out.toString(), "--pipeline", "EMPTY");
        assertEquals(0, compile.exitCode(), compile.err());
        assertTrue(compile.out().contains(": nodes 637 -> 637, weights 248 -> 248 (86.1 MiB -> 86.1 MiB), file 86.2 MiB -> 86.2 MiB, "),
                compile.out());
        ModelReport r = report(out);
        assertEquals(report(MINILM), r);
        assertEquals(List.of(new DTypeTotal(DType.FLOAT32, 153, 22_565_428, 90_261_712),
                new DTypeTotal(DType.INT64, 95, 606, 4_848)), r.dtypeTotals());
        CliRun inspect = pare("inspect", out.toString());
        assertEquals(0, inspect.exitCode(), inspect.err());
        assertTrue(inspect.out().contains("\nWeights: 248 tensors, 22,566,034 parameters, 86.1 MiB\n"), inspect.out());
    }

    @Test
    void defaultPipelineIsCleanup() throws Exception {
        Path out = dir.resolve("mnist.onnx");
        CliRun compile = pare("compile", existing(MNIST).toString(), "-o", out.toString());
        assertEquals(0, compile.exitCode(), compile.err());
        assertEquals("", compile.err());
        // 34 scalar Clip bounds become 2 (one 0, one 6) and the Constant nodes become initializers
        assertTrue(compile.out().startsWith("compiled " + MNIST + " -> " + out
                + ": nodes 92 -> 60, weights 70 -> 38 (2.1 MiB -> 2.1 MiB), file 2.1 MiB -> 2.1 MiB, "), compile.out());
    }
}
