package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare sweep} through the CLI on the MNIST model: a real sweep, resuming, and the usage errors. */
class SweepCommandTest {

    static final Path DIR = Path.of("../compiler/src/test/resources/models/mnist_dwnet");
    static final Path MNIST = DIR.resolve("model.onnx");

    @TempDir Path tmp;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static void assertError(CliRun r, int code, String text) {
        assertEquals(code, r.exitCode(), r.err());
        assertEquals("pare: error: " + text + "\n", r.err());
        assertEquals("", r.out());
    }

    private String[] sweep(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("sweep", MNIST.toString(), "--data", DIR.resolve("test_x.f32").toString(),
                "--data-spec", "-1,1,28,28", "--labels", DIR.resolve("test_y.u8").toString(), "--samples", "300", "-o", out.toString()));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    @Test
    void sweepsFourPipelinesOnThreeHundredDigitsAndResumes() throws Exception {
        Path out = tmp.resolve("report");
        String[] args = sweep(out, "--pipelines", "PALETTIZE_4BIT,QUANTIZE_INT8", "--grid", "palettize{nbits=2|3}, CLEANUP",
                "--jobs", "2", "--quiet");
        CliRun r = pare(args);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("swept 4 points; Pareto front: nbits=2 (189.9 KiB, accuracy 0.8233), nbits=3 (260.3 KiB, accuracy 0.9733), "
                + "PALETTIZE_4BIT (314.1 KiB, accuracy 0.9833); report " + out.resolve("index.html") + "\n", r.out());
        // name, bytes, accuracy, snr_db, cosine, top1_agreement, pareto, samples: measured once, the same for any --jobs
        List<String> rows = Files.readString(out.resolve("results.csv")).lines()
                .filter(l -> l.matches("^[A-Za-z_=0-9]+,[0-9a-f]{16},.*")).map(SweepCommandTest::measures).toList();
        assertEquals(List.of(
                "PALETTIZE_4BIT,321622,0.983333,21.223202,0.997542,1,true,300",
                "QUANTIZE_INT8,596680,0.983333,46.467048,0.999991,1,false,300",
                "nbits=2,194443,0.823333,3.395961,0.771581,0.83,true,300",
                "nbits=3,266520,0.973333,12.140165,0.976817,0.99,true,300"), rows);
        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.contains("\"reference_accuracy\": 0.983333,"), json);
        assertTrue(json.contains("\"pareto_front\": [\"nbits=2\", \"nbits=3\", \"PALETTIZE_4BIT\"],"), json);
        // each output is where the report links it, and is a model pare reads
        for (String line : json.lines().filter(l -> l.contains("\"output\": ")).toList()) {
            String rel = line.substring(line.indexOf(": \"") + 3, line.lastIndexOf('"'));
            assertTrue(Files.isRegularFile(out.resolve(rel)), rel);
            assertEquals(0, pare("inspect", out.resolve(rel).toString()).exitCode());
        }

        CliRun again = pare(sweep(out, "--pipelines", "PALETTIZE_4BIT,QUANTIZE_INT8", "--grid", "palettize{nbits=2|3}, CLEANUP"));
        assertEquals(0, again.exitCode(), again.err());
        assertEquals("sweep: [1/4] PALETTIZE_4BIT: finished earlier, skipped\nsweep: [2/4] QUANTIZE_INT8: finished earlier, skipped\n"
                + "sweep: [3/4] nbits=2: finished earlier, skipped\nsweep: [4/4] nbits=3: finished earlier, skipped\n", again.err());
        assertEquals(r.out(), again.out());
        assertEquals(json, Files.readString(out.resolve("results.json")));
    }

    @Test
    void eachPipelineIsAPointPerFormatEvaluatedByItsRuntime() throws Exception {
        Path out = tmp.resolve("formats");
        CliRun r = pare(sweep(out, "--pipelines", "PALETTIZE_4BIT", "--format", "onnx,mlpackage", "--quiet"));
        assertEquals(0, r.exitCode(), r.err());
        // one row per point (the quoted pipeline text, last, spans lines)
        List<String> rows = Files.readString(out.resolve("results.csv")).lines().filter(l -> l.startsWith("PALETTIZE_4BIT [")).toList();
        assertEquals(2, rows.size(), rows.toString());
        String[] onnx = rows.get(0).split(",");
        String[] ml = rows.get(1).split(",");
        assertEquals(List.of("PALETTIZE_4BIT [onnx]", "onnx"), List.of(onnx[0], onnx[2]));
        assertEquals(List.of("PALETTIZE_4BIT [mlpackage]", "mlpackage"), List.of(ml[0], ml[2]));
        // different points (keys), the same pipeline: a .onnx file and a Core ML package, each as pare compile writes it
        assertFalse(onnx[1].equals(ml[1]));
        assertTrue(Files.isRegularFile(out.resolve("points/" + onnx[1] + "/model.onnx")));
        assertTrue(Files.isRegularFile(out.resolve("points/" + ml[1] + "/model.mlpackage/Manifest.json")));
        // the package runs in the MIL interpreter on the same 300 digits: the same palettized weights, so the same top-1
        assertEquals("300", ml[9]);
        assertEquals(onnx[4], ml[4], "accuracy");
        assertTrue(Double.parseDouble(ml[5]) > 15, "SNR of the package against the float ONNX model: " + ml[5]);
        assertTrue(Files.readString(out.resolve("index.html")).contains("class=\"point fmt-mlpackage"));
    }

    @Test
    void namedPipelinesOfAFileArePoints() throws Exception {
        Path file = Files.writeString(tmp.resolve("points.pipeline"), """
                // two points
                pipeline TINY = palettize{nbits=2}, CLEANUP;
                pipeline NONE = EMPTY;
                """);
        Path out = tmp.resolve("r");
        CliRun r = pare("sweep", MNIST.toString(), "--pipelines", file.toString(), "--samples", "2", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("swept 2 points; Pareto front: TINY ("), r.out());
        assertTrue(r.out().contains("), NONE (2.1 MiB, SNR inf); report "), r.out());
        String csv = Files.readString(out.resolve("results.csv"));
        assertTrue(csv.contains("\r\nNONE,"), csv);
        assertTrue(csv.contains(",inf,1,"), csv);
        assertTrue(r.err().contains("sweep: [2/2] NONE: 2.1 MiB, SNR inf (compile "), r.err());
    }

    @Test
    void usageErrorsAreOneLine() throws Exception {
        Path out = tmp.resolve("r");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString()), 2,
                "give the points to sweep: --pipelines NAMES|FILE or --grid GRID");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--grid", "palettize{nbits=2||4}"), 2,
                "--grid 'palettize{nbits=2||4}': option 'nbits' has an empty value at column 19");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "palettize"), 2,
                "--pipelines 'palettize': 'palettize' is not a pipeline name (UPPER_SNAKE) nor a file; for passes and options use --grid");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--format", "tflite"), 2,
                "--format 'tflite': 'tflite' is not a format; choose onnx, mlpackage or onnx,mlpackage");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--format", "onnx,onnx"), 2,
                "--format 'onnx,onnx': onnx is given twice");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--target", "ios18"), 2,
                "--target applies to mlpackage outputs, not onnx (add --format mlpackage)");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--jobs", "0"), 2,
                "--jobs must be at least 1, got 0");
        assertError(pare("sweep", tmp.resolve("nope.onnx").toString(), "-o", out.toString(), "--pipelines", "EMPTY"), 3,
                tmp.resolve("nope.onnx") + ": no such file");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--calibration-data",
                tmp.resolve("calib").toString()), 2, "--calibration-data " + tmp.resolve("calib") + ": no such file or directory");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--labels", "y.u8"), 2,
                "--labels needs --data");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY", "--data", tmp.resolve("x").toString()),
                3, "--data " + tmp.resolve("x") + ": no such file or directory");
        assertError(pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "EMPTY,EMPTY"), 2,
                "point 'EMPTY' is given twice");
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("keep.txt"), "x");
        assertError(pare("sweep", MNIST.toString(), "-o", mine.toString(), "--pipelines", "EMPTY"), 2,
                "-o " + mine + ": the folder holds files but no earlier sweep (no .pare-sweep); give a new or empty folder");
        assertFalse(Files.exists(out), "nothing written for a usage error");
    }

    @Test
    void pipelineErrorsShowWhere() throws Exception {
        Path out = tmp.resolve("r");
        CliRun unknown = pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", "PALETIZE_4BIT");
        assertEquals(2, unknown.exitCode(), unknown.err());
        assertTrue(unknown.err().startsWith("<pipeline>:1:1: error[P003]: unknown pipeline 'PALETIZE_4BIT'; did you mean 'PALETTIZE_4BIT'?\n"),
                unknown.err());
        CliRun badValue = pare("sweep", MNIST.toString(), "-o", out.toString(), "--grid", "palettize{nbits=4|5}");
        assertEquals(2, badValue.exitCode(), badValue.err());
        assertTrue(badValue.err().startsWith("--grid point 'nbits=5':\n<pipeline>:1:17: error[P006]: "), badValue.err());
        Path empty = Files.writeString(tmp.resolve("none.pipeline"), "EMPTY\n");
        CliRun none = pare("sweep", MNIST.toString(), "-o", out.toString(), "--pipelines", empty.toString());
        assertEquals(2, none.exitCode(), none.err());
        assertTrue(none.err().startsWith(empty + ": error[P020]: defines no pipelines; write one 'pipeline NAME = steps;' per sweep point"),
                none.err());
        assertFalse(Files.exists(out));
    }

    /** name, bytes, accuracy, snr_db, cosine, top1_agreement, pareto, samples of a results.csv row. */
    private static String measures(String row) {
        String[] f = row.split(",", -1);
        return String.join(",", f[0], f[3], f[4], f[5], f[6], f[7], f[8], f[9]);
    }
}
