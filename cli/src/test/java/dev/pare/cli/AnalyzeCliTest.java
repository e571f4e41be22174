package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.JsonValues;
import dev.pare.compiler.io.ModelFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pare analyze} on mnist_dwnet (8 test digits, two candidates): the tables, the JSON schema,
 * a measurement checked against {@code pare compile} + {@code pare compare} of the same weight
 * compressed alone, the same result for any {@code --threads}, a Core ML package, the errors, and
 * {@code compile --budget}.
 */
class AnalyzeCliTest {

    static final Path D = Path.of("../compiler/src/test/resources/models/mnist_dwnet");
    static final Path MODEL = D.resolve("model.onnx");
    static final String CANDIDATES = "palettize{nbits=2, weight_threshold=0}, quantize_weights{dtype=int4, granularity=per_block, weight_threshold=0}";

    @TempDir static Path dir;
    static CliRun text;
    static CliRun json;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static CliRun analyze(String... more) {
        List<String> args = new ArrayList<>(List.of("analyze", MODEL.toString(), "--calibration-data", D.resolve("test_x.f32").toString(),
                "--calibration-spec=-1,1,28,28", "--labels", D.resolve("test_y.u8").toString(), "--samples", "8", "--candidates", CANDIDATES, "-q"));
        args.addAll(List.of(more));
        return pare(args.toArray(String[]::new));
    }

    @BeforeAll static void run() {
        text = analyze("--threads", "2", "--save-json", dir.resolve("saved.json").toString());
        json = analyze("--json", "--threads", "1");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) { return (List<Object>) o; }

    @Test void printsWeightsTimesCandidates() {
        assertEquals(ExitCodes.OK, text.exitCode(), text.err());
        List<String> lines = text.out().lines().toList();
        assertEquals("analyze " + MODEL + " (onnx): 18 weights, 540,608 elements, 2.1 MiB (32.00 bits/weight); 8 samples from "
                + D.resolve("test_x.f32"), lines.get(0));
        assertEquals("float top-1 accuracy 1.0000 against " + D.resolve("test_y.u8"), lines.get(1));
        assertTrue(text.out().contains("""
                Candidates
                      step
                  c1  palettize{nbits=2, weight_threshold=0}
                  c2  quantize_weights{dtype=int4, granularity=per_block, weight_threshold=0}
                """), text.out());
        // as the .onnx file stores them: 2-bit codes of 5,120 weights (1,280 bytes), a 4-entry f32 LUT (16) and the
        // lowering's int64 shifts, modulus and shapes (64): 1,360 bytes; int4 in blocks of 32: 4 bits + an f32 scale per 32
        assertTrue(lines.stream().anyMatch(l -> l.matches("  fc\\.weight\\s+5,120\\s+2\\.13\\s+5\\.00")), text.out());
        // a depthwise 3x3 conv has one input per group, fewer than a block: int4 per block leaves it as it is;
        // its 2-bit codes (72 bytes) and LUT (16) come with 80 bytes of unpack constants and shapes
        assertTrue(lines.stream().anyMatch(l -> l.matches("  onnx::Conv_249\\s+288\\s+4\\.67\\s+-")), text.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("  onnx::Conv_249\\s+288\\s+\\[32,1,3,3]\\s+32\\.00\\s+-?[0-9.]+\\s+-")), text.out());
        assertTrue(text.out().contains("\nTop-1 accuracy when only this weight is compressed\n"), text.out());
    }

    @Test void jsonHasEveryKeySortedAndMatchesTheSavedFile() throws Exception {
        assertEquals(ExitCodes.OK, json.exitCode(), json.err());
        assertEquals(json.out(), Files.readString(dir.resolve("saved.json")), "--threads 1 and 2 give the same analysis");
        Map<String, Object> root = object(JsonValues.parse(json.out()));
        assertEquals(List.of("candidates", "data", "float_accuracy", "format", "labels", "model", "samples", "schema_version",
                "signal_power", "sizes", "totals", "weights"), new ArrayList<>(root.keySet()));
        assertEquals("onnx", root.get("sizes"), "an ONNX model's weights are counted as the .onnx file stores them");
        assertEquals(1L, root.get("schema_version"));
        assertEquals(8L, root.get("samples"));
        assertEquals(Map.of("bits_per_weight", 32L, "elements", 540608L, "stored_bytes", 2162432L, "weights", 18L), root.get("totals"));
        List<Object> weights = list(root.get("weights"));
        assertEquals(18, weights.size());
        Map<String, Object> fc = object(weights.get(17));
        assertEquals(List.of("dtype", "elements", "name", "nodes", "settings", "shape", "stored_bytes"), new ArrayList<>(fc.keySet()));
        assertEquals("fc.weight", fc.get("name"));
        assertEquals(List.of("/fc/Gemm"), fc.get("nodes"));
        Map<String, Object> pal = object(list(fc.get("settings")).get(0));
        assertEquals(new TreeSet<>(List.of("accuracy", "applied", "bits_per_weight", "bytes", "candidate", "noise_power", "note", "snr_db")),
                new TreeSet<>(pal.keySet()));
        // 2-bit codes (1,280 bytes) and the 4-entry LUT (16) as in the IR, plus what the .onnx file adds: int64
        // shifts (4) and modulus (1) of the unpack, the [10,512] shape of the codes (2), the flat table's shape (1)
        assertEquals(1280L + 16 + 8 * (4 + 1 + 2 + 1), pal.get("bytes"));
        Map<String, Object> int4OnDepthwise = object(list(object(weights.get(0)).get("settings")).get(1));
        assertEquals(false, int4OnDepthwise.get("applied"));
        assertTrue(((String) int4OnDepthwise.get("note")).contains("block_size 32 is larger than the 1 inputs on axis 1"), int4OnDepthwise.toString());
    }

    /** The SNR and accuracy of fc.weight at 2 bits equal pare compare's for a model with only that weight palettized. */
    @Test void aMeasurementEqualsCompileAndCompareOfThatWeightAlone() throws Exception {
        Map<String, Object> fc = object(list(object(JsonValues.parse(json.out())).get("weights")).get(17));
        Map<String, Object> pal = object(list(fc.get("settings")).get(0));
        Path out = dir.resolve("fc2.onnx");
        CliRun c = pare("compile", MODEL.toString(), "-o", out.toString(), "-q", "--pipeline",
                "palettize{nbits=2, weight_threshold=0} on op_name(\"/fc/Gemm\")");
        assertEquals(ExitCodes.OK, c.exitCode(), c.err());
        CliRun cmp = pare("compare", MODEL.toString(), out.toString(), "--data", D.resolve("test_x.f32").toString(),
                "--data-spec=-1,1,28,28", "--labels", D.resolve("test_y.u8").toString(), "--samples", "8", "--json");
        assertEquals(ExitCodes.OK, cmp.exitCode(), cmp.err());
        Map<String, Object> o = object(list(object(JsonValues.parse(cmp.out())).get("outputs")).get(0));
        assertEquals(((Number) o.get("snr_db")).doubleValue(), ((Number) pal.get("snr_db")).doubleValue(), 1e-4);
        assertEquals(((Number) o.get("accuracy_b")).doubleValue(), ((Number) pal.get("accuracy")).doubleValue(), 1e-12);
        // and its size is the weight's stored bytes in the written file
        CliRun inspect = pare("inspect", out.toString(), "--json");
        assertEquals(ExitCodes.OK, inspect.exitCode(), inspect.err());
        long stored = list(object(JsonValues.parse(inspect.out())).get("compressed_weights")).stream().map(AnalyzeCliTest::object)
                .filter(w -> w.get("name").equals("fc.weight")).mapToLong(w -> (Long) w.get("stored_bytes")).sum();
        assertEquals(pal.get("bytes"), stored);
    }

    @Test void aCoreMlPackageIsAnalysedInTheInterpreter() {
        Path pkg = Path.of("../compiler/src/test/resources/models/coreml/mnist_dwnet_fp32_ios18.mlpackage");
        CliRun r = pare("analyze", pkg.toString(), "--calibration-data", D.resolve("calib_x.f32").toString(), "--calibration-spec=-1,1,28,28",
                "--samples", "2", "--candidates", "palettize{nbits=2, weight_threshold=0}", "-q");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("analyze " + pkg + " (coreml): 18 weights, 540,608 elements"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  fc_weight\\s+5,120\\s+2\\.03")), r.out());
    }

    @Test void aCandidateWithAScopeIsAUsageError() {
        CliRun r = pare("analyze", MODEL.toString(), "--calibration-data", D.resolve("calib_x.f32").toString(),
                "--calibration-spec=-1,1,28,28", "--candidates", "palettize{nbits=2} on op_type(conv)");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertEquals("pare: error: --candidates: candidate 'palettize{nbits=2} on op_type(conv)' has on/except; a candidate is applied "
                + "to one weight at a time, so it takes no scope\n", r.err());
        assertEquals("", r.out());
    }

    @Test void budgetIsAMixedPrecisionStep() {
        Path out = dir.resolve("b.onnx");
        CliRun r = pare("compile", MODEL.toString(), "-o", out.toString(), "--budget", "3", "-q");
        assertEquals(ExitCodes.COMPILE_FAILED, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("pare: error[MP003] pass 'mixed_precision' failed at <pipeline>:1:1: mixed_precision needs calibration "
                + "data to measure sensitivity: pass --calibration-data, or analysis=\"FILE\" from pare analyze --json"), r.err());
        assertFalse(Files.exists(out));

        r = pare("compile", MODEL.toString(), "-o", out.toString(), "--budget", "3 bits");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertEquals("pare: error: --budget '3 bits' is not bits per weight (2.5), a size (170KiB, 180000B) or a ratio (20%)\n", r.err());
    }

    @Test void budgetWithAnAnalysisFilePlansFromIt() throws Exception {
        // the --budget shorthand measures with the default candidates; a pipeline step can reuse the saved analysis instead
        Path out = dir.resolve("mixed.onnx");
        CliRun r = pare("compile", MODEL.toString(), "-o", out.toString(), "-q", "--pipeline",
                "mixed_precision{target_bits_per_weight=3, analysis=\"" + dir.resolve("saved.json") + "\"}");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        CliRun inspect = pare("inspect", out.toString());
        assertTrue(inspect.out().lines().anyMatch(l -> l.matches("  com\\.github\\.pare\\.mixedPrecision\\s+\\(the mixed precision plan below\\)")),
                inspect.out());
        assertTrue(inspect.out().lines().anyMatch(l -> l.matches("Mixed precision plan \\(target_bits_per_weight=3\\): [0-9.]+ bits per weight, "
                + "[0-9]+ bytes of 540608 weights, predicted SNR [0-9.]+ dB")), inspect.out());
        // each weight gets one of the two candidates or stays as it was
        assertTrue(inspect.out().lines().anyMatch(l -> l.matches("  fc\\.weight\\s+5120\\s+(palettize\\{nbits=2, weight_threshold=0}|"
                + "quantize_weights\\{dtype=int4, granularity=per_block, weight_threshold=0}|\\(as it was\\))\\s+[0-9.]+")), inspect.out());
        // the plan's bytes are what the written .onnx stores the 18 weights in, as pare inspect counts them
        long planned = inspect.out().lines().map(l -> java.util.regex.Pattern.compile("bits per weight, ([0-9]+) bytes of 540608 weights")
                .matcher(l)).filter(java.util.regex.Matcher::find).mapToLong(x -> Long.parseLong(x.group(1))).findFirst().orElseThrow();
        assertEquals(planned, fileBytesOfTheWeights(out));
        assertTrue(planned <= Math.floor(3 * 540608 / 8.0), "within the budget: " + planned);
    }

    /** Bytes the written model stores the analysed weights in: a compressed weight's stored bytes, a float one's raw bytes. */
    private static long fileBytesOfTheWeights(Path model) throws Exception {
        Map<String, Object> report = object(JsonValues.parse(pare("inspect", model.toString(), "--json").out()));
        Map<String, Long> stored = new java.util.HashMap<>();
        for (Object o : list(report.get("compressed_weights"))) {
            Map<String, Object> c = object(o);
            if ("".equals(c.get("graph"))) stored.put((String) c.get("name"), (Long) c.get("stored_bytes"));
        }
        Map<String, Long> dense = new java.util.HashMap<>();
        for (Object o : list(report.get("weights"))) {
            Map<String, Object> w = object(o);
            if ("".equals(w.get("graph"))) dense.put((String) w.get("name"), (Long) w.get("bytes"));
        }
        long total = 0;
        for (Object o : list(object(JsonValues.parse(Files.readString(dir.resolve("saved.json")))).get("weights"))) {
            String name = (String) object(o).get("name");
            total += stored.getOrDefault(name, dense.getOrDefault(name, 0L));
        }
        return total;
    }

    /**
     * A plan with LUTs grouped along the output channels: the ONNX file stores them as planned
     * (GatherElements from the LUT rows, no offset table), so the written file's bytes for the 18
     * weights are the planned bytes, within 2.5 bits per weight.
     */
    @Test void aPlanWithGroupedLutsMeetsTheBudgetInTheWrittenFile() throws Exception {
        Path analysis = dir.resolve("grouped.json");
        CliRun a = pare("analyze", MODEL.toString(), "--calibration-data", D.resolve("test_x.f32").toString(), "--calibration-spec=-1,1,28,28",
                "--samples", "8", "-q", "--save-json", analysis.toString(), "--candidates",
                "palettize{nbits=2, granularity=per_grouped_channel, group_size=16, skip_inapplicable=true, weight_threshold=0}, "
                        + "palettize{nbits=4, weight_threshold=0}");
        assertEquals(ExitCodes.OK, a.exitCode(), a.err());
        Path out = dir.resolve("grouped.onnx");
        CliRun r = pare("compile", MODEL.toString(), "-o", out.toString(), "-q", "--pipeline",
                "mixed_precision{target_bits_per_weight=2.5, analysis=\"" + analysis + "\"}");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        Map<String, Object> plan = object(JsonValues.parse(pare("inspect", out.toString(), "--json").out()));
        long grouped = 0;
        for (Object o : list(plan.get("compressed_weights"))) {
            Map<String, Object> c = object(o);
            if (!"grouped axis 0".equals(c.get("granularity"))) continue;
            grouped++;
            for (Object part : list(c.get("parts"))) assertFalse(((String) part).contains("lut_offsets"), (String) part);
        }
        assertTrue(grouped > 0, "the plan uses the grouped candidate");
        String text = pare("inspect", out.toString()).out();
        long planned = text.lines().map(l -> java.util.regex.Pattern.compile("bits per weight, ([0-9]+) bytes of 540608 weights")
                .matcher(l)).filter(java.util.regex.Matcher::find).mapToLong(x -> Long.parseLong(x.group(1))).findFirst().orElseThrow();
        assertEquals(planned, fileBytesOfTheWeights(out));
        assertTrue(planned <= Math.floor(2.5 * 540608 / 8.0), "within the budget: " + planned);
    }

    @Test void withCalibrationDataTheAppliedPlanIsMeasured() throws Exception {
        Path out = dir.resolve("measured.onnx");
        CliRun r = pare("compile", MODEL.toString(), "-o", out.toString(), "-q", "--verbose", "--calibration-data",
                D.resolve("test_x.f32").toString(), "--calibration-spec=-1,1,28,28", "--pipeline",
                "mixed_precision{target_bits_per_weight=3, samples=8, analysis=\"" + dir.resolve("saved.json") + "\"}");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "mixed_precision: measured SNR ([-0-9.]+) dB on 8 calibration samples with the plan applied \\(predicted ([-0-9.]+) dB\\)")
                .matcher(r.err());
        assertTrue(m.find(), r.err());
        // the same number pare compare gives for the written model on those 8 samples
        CliRun cmp = pare("compare", MODEL.toString(), out.toString(), "--data", D.resolve("test_x.f32").toString(),
                "--data-spec=-1,1,28,28", "--samples", "8", "--json");
        assertEquals(ExitCodes.OK, cmp.exitCode(), cmp.err());
        double snr = ((Number) object(list(object(JsonValues.parse(cmp.out())).get("outputs")).get(0)).get("snr_db")).doubleValue();
        assertEquals(String.format(java.util.Locale.ROOT, "%.1f", snr), m.group(1));
    }
}
