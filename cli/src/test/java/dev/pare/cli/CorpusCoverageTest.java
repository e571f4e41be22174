package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast subset of the real-model corpus ({@code scripts/corpus/models.tsv}, rows whose subsets
 * name {@code ci}): what {@code scripts/corpus-coverage.sh} does for every model, in process. Each
 * model compiles to an uncompressed {@code .mlpackage} ({@code --pipeline EMPTY}: only
 * convert_to_mil and the Core ML writer) and {@code pare compare} finds every output of the MIL
 * interpreter within {@value #TOLERANCE} of ONNX Runtime's, relative to the output's largest
 * magnitude. The build fetches the models ({@code scripts/fetch-corpus.sh --subset ci}, at
 * generate-test-resources) into the folder that the system property {@code pare.corpus.dir} names.
 */
class CorpusCoverageTest {

    static final double TOLERANCE = 1e-4;
    static final Path MODELS_TSV = Path.of("../scripts/corpus/models.tsv");
    private static final Pattern REL = Pattern.compile("\"max_rel_error\"\\s*:\\s*([-0-9.eE+]+|null)");
    private static final Pattern VALUES = Pattern.compile("input_values=\\[([^]]*)]");
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"");

    @TempDir Path dir;

    /**
     * One corpus row: the model's id, its {@code --input-shape} values, the pipeline to compile
     * it with ({@code EMPTY}, or e.g. {@code convert_to_mil{input_values=["sr:16000"]}}) and the
     * kind of inputs make-inputs.py draws ({@code -}: compare's generated noise).
     */
    record Row(String id, List<String> inputShapes, String pipeline, String inputs) {
        /** The "NAME:V,..." input values the pipeline fixes, space-separated ("" for none). */
        String inputValues() {
            Matcher m = VALUES.matcher(pipeline);
            if (!m.find()) return "";
            return String.join(" ", m.group(1).replace("\"", "").split("\\s*,\\s*(?=[^,:]+:)"));
        }

        @Override
        public String toString() {
            return id;
        }
    }

    static List<Row> rows(String subset) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(MODELS_TSV)) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("id\t")) continue;
            String[] f = line.split("\t", -1);
            if (!Arrays.asList(f[7].split(",")).contains(subset)) continue;
            List<String> shapes = f[6].equals("-") ? List.of() : List.of(f[6].trim().split("\\s+"));
            rows.add(new Row(f[0], shapes, f[8].equals("-") ? "EMPTY" : f[8], f[9]));
        }
        return rows;
    }

    static Stream<Row> ciRows() throws IOException {
        List<Row> rows = rows("ci");
        assertFalse(rows.isEmpty(), "models.tsv names no model for the ci subset");
        return rows.stream();
    }

    private static Path corpusDir() {
        String d = System.getProperty("pare.corpus.dir");
        return d != null ? Path.of(d) : Path.of("target/corpus");
    }

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciRows")
    void convertsAndMatchesOnnxRuntime(Row row) throws Exception {
        Path model = corpusDir().resolve(row.id() + ".onnx");
        if (!Files.isRegularFile(model)) {
            fail(model + " is missing: the build fetches it with scripts/fetch-corpus.sh --subset ci " + corpusDir());
        }
        List<String> shapeArgs = new ArrayList<>();
        for (String s : row.inputShapes()) {
            shapeArgs.add("--input-shape");
            shapeArgs.add(s);
        }
        Path pkg = dir.resolve(row.id() + ".mlpackage");

        List<String> compile = new ArrayList<>(List.of("compile", model.toString(), "-o", pkg.toString(), "--pipeline", row.pipeline()));
        compile.addAll(shapeArgs);
        CliRun c = pare(compile.toArray(String[]::new));
        assertEquals(ExitCodes.OK, c.exitCode(), row.id() + " does not convert: " + c.err());

        List<String> compare = new ArrayList<>(List.of("compare", model.toString(), pkg.toString(), "--json",
                "--samples", "2", "--seed", "0", "--ort-optimization", "none"));
        if (row.inputValues().isEmpty() && row.inputs().equals("-")) {
            compare.addAll(shapeArgs);
        } else {
            // fixed inputs get the package's values, and an inputs kind its samples (as corpus-coverage.sh does)
            Path data = dir.resolve("data");
            Process p = new ProcessBuilder("python3", "../scripts/corpus/make-inputs.py", data.toString(), "2", "0",
                    String.join(" ", row.inputShapes()), row.inputValues(), row.inputs().equals("-") ? "noise" : row.inputs())
                    .inheritIO().start();
            assertEquals(0, p.waitFor(), row.id() + ": make-inputs.py failed");
            compare.addAll(List.of("--data", data.toString()));
        }
        CliRun r = pare(compare.toArray(String[]::new));
        assertEquals(ExitCodes.OK, r.exitCode(), row.id() + ": compare failed: " + r.err());
        assertTrue(r.out().contains("\"only_in_a\":[]") || r.out().contains("\"only_in_a\": []"),
                row.id() + ": every ONNX output is in the package: " + r.out());

        Matcher names = NAME.matcher(r.out());
        Matcher rel = REL.matcher(r.out());
        int outputs = 0;
        while (rel.find()) {
            String name = names.find() ? names.group(1) : "?";
            assertFalse(rel.group(1).equals("null"), row.id() + " output " + name + ": no relative error (all-zero output?)");
            double e = Double.parseDouble(rel.group(1));
            assertTrue(e <= TOLERANCE, row.id() + " output " + name + ": max |ort - mil| / max |ort| = " + e
                    + " > " + TOLERANCE);
            outputs++;
        }
        assertTrue(outputs > 0, row.id() + ": compare reported no outputs: " + r.out());
    }

    @org.junit.jupiter.api.Test
    void pipelineColumnGivesThePipelineAndItsInputValues() throws IOException {
        for (String line : Files.readAllLines(MODELS_TSV)) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            assertEquals(11, f.length, "models.tsv rows have 11 columns: " + line);
        }
        Row row = new Row("silero_vad_v5", List.of("input=1,512"), "convert_to_mil{input_values=[\"sr:16000\", \"k:1,2\"]}", "-");
        assertEquals("sr:16000 k:1,2", row.inputValues());
        assertEquals("", new Row("x", List.of(), "EMPTY", "-").inputValues());
    }
}
