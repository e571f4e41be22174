package dev.pare.compiler.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.multibindings.OptionalBinder;
import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.analyze.Candidates.Candidate;
import dev.pare.compiler.analyze.CompressibleWeights.Weight;
import dev.pare.compiler.analyze.SensitivityReport.CandidateText;
import dev.pare.compiler.analyze.SensitivityReport.Setting;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.coreml.JsonValues;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.compiler.runtime.CalibrationDataReader;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Value;
import dev.pare.spi.CalibrationData;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code mixed_precision} pass planning from an analysis file (here one made up for mnist_dwnet,
 * so the optimal plan is known) and applying the plan with the ordinary passes: each weight ends up
 * compressed as planned in the IR, the plan is in the model's metadata, and the errors are one line
 * naming the option or the weight.
 */
class MixedPrecisionPassTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final String PAL2 = "palettize{nbits=2, weight_threshold=0}";
    static final String INT8 = "quantize_weights{dtype=int8, weight_threshold=0}";
    /** Weights of at least this many elements are cheap to palettize (noise 1), the others expensive (1000). */
    static final long LARGE = 32768;

    static Injector injector;
    static PipelineCompiler pipelines;

    @TempDir Path dir;

    @BeforeAll static void wire() {
        injector = Guice.createInjector(new CompilerModule(CompilerConfig.defaults()));
        pipelines = injector.getInstance(PipelineCompiler.class);
    }

    static Model mnist() throws Exception {
        return new Compilation(ModelFormats.discover()).readInput(MNIST);
    }

    /**
     * A report on mnist's weights: 2-bit palettization adds noise 1 to a large weight and 1000 to a
     * small one; int8 adds none, except to onnx::Conv_249 (5). Sizes are the codes plus a 4-entry
     * LUT, and int8 codes plus one f32 scale per output channel.
     */
    static SensitivityReport madeUp(Model model) throws Exception {
        List<Candidate> candidates = Candidates.parseEach(pipelines, List.of(PAL2, INT8));
        List<WeightRow> rows = new ArrayList<>();
        for (Weight w : CompressibleWeights.of(model)) {
            long pal = (w.elements() * 2 + 7) / 8 + 16;
            long int8 = w.elements() + 4 * w.shape().get(0);
            double int8Noise = w.name().equals("onnx::Conv_249") ? 5 : 0;
            rows.add(new WeightRow(w, List.of(
                    new Setting(true, pal, w.elements() >= LARGE ? 1 : 1000, Optional.empty(), Optional.empty()),
                    new Setting(true, int8, int8Noise, Optional.empty(), Optional.empty()))));
        }
        List<CandidateText> texts = candidates.stream().map(c -> new CandidateText(c.text(), c.canonical())).toList();
        return new SensitivityReport("model.onnx", "onnx", "made up", 8, Optional.empty(), 1e6, Optional.empty(), texts, rows, WeightSizes.ONNX);
    }

    private Path write(SensitivityReport r) throws Exception {
        return Files.writeString(dir.resolve("analysis.json"), SensitivityJson.write(r));
    }

    private static void run(Model model, String pipeline) throws Exception {
        PassManagerFactory managers = injector.getInstance(PassManagerFactory.class);
        managers.create(PassManagerOptions.DEFAULTS, new PrintStream(OutputStream.nullOutputStream()), d -> d)
                .run(pipelines.parseInline(pipeline), model);
    }

    private static String failure(Model model, String pipeline) {
        return assertThrows(PassManagerException.class, () -> run(model, pipeline)).getMessage();
    }

    @Test void appliesThePlanWeightByWeight() throws Exception {
        Model model = mnist();
        SensitivityReport report = madeUp(model);
        Path file = write(report);
        // 2.75 bits: the four large weights must take 2 bits; every other weight takes int8 (no noise,
        // fewer bytes than float), except onnx::Conv_249, whose int8 noise the budget's slack avoids.
        run(model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + file + "\"}");

        int palettized = 0;
        for (WeightRow row : report.weights()) {
            Weight w = row.weight();
            Value v = model.graph().value(w.name()).orElseThrow();
            if (w.name().equals("onnx::Conv_249")) {
                assertTrue(v.isConstant(), w.name() + " stays float");
                assertEquals(DType.FLOAT32, v.data().dtype());
                continue;
            }
            Node decode = v.producer();
            assertNotNull(decode, w.name() + " is compressed");
            if (w.elements() >= LARGE) {
                palettized++;
                assertEquals(PareDialectEvaluator.LUT_TO_DENSE, decode.op(), w.name());
                assertEquals(DType.UINT2, decode.operand(0).data().dtype(), w.name() + " indices");
            } else {
                assertEquals(PareDialectEvaluator.AFFINE_DEQUANTIZE, decode.op(), w.name());
                assertEquals(DType.INT8, decode.operand(0).data().dtype(), w.name() + " codes");
            }
        }
        assertEquals(4, palettized);

        @SuppressWarnings("unchecked")
        Map<String, Object> plan = (Map<String, Object>) JsonValues.parse(model.metadataProps().get(MixedPrecisionPlan.METADATA_KEY));
        assertEquals("target_bits_per_weight=2.75", plan.get("target"));
        assertEquals(540608L, plan.get("elements"));
        assertEquals((long) Math.floor(2.75 * 540608 / 8), plan.get("budget_bytes"));
        long bytes = (Long) plan.get("bytes");
        assertTrue(bytes <= (Long) plan.get("budget_bytes"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> weights = (List<Map<String, Object>>) plan.get("weights");
        assertEquals(18, weights.size());
        assertEquals(Map.of("name", "onnx::Conv_249", "elements", 288L, "step", "null", "bytes", 1152L, "bits_per_weight", 32L),
                stringNulls(weights.get(0)));
        assertEquals("palettize{nbits=2, weight_threshold=0}", weights.get(16).get("step"));
        assertEquals("quantize_weights{weight_threshold=0}", weights.get(17).get("step"));
        long expected = 0;
        for (WeightRow row : report.weights()) {
            Weight w = row.weight();
            expected += w.name().equals("onnx::Conv_249") ? w.storedBytes() : row.settings().get(w.elements() >= LARGE ? 0 : 1).bytes();
        }
        assertEquals(expected, bytes);
    }

    private static Map<String, Object> stringNulls(Map<String, Object> m) {
        Map<String, Object> out = new java.util.HashMap<>();
        m.forEach((k, v) -> out.put(k, v == null ? "null" : v));
        return out;
    }

    @Test void aTargetBelowTheSmallestPlanNamesTheOption() throws Exception {
        Model model = mnist();
        SensitivityReport report = madeUp(model);
        Path file = write(report);
        long smallest = 0;
        for (WeightRow row : report.weights()) smallest += Math.min(row.weight().storedBytes(), Math.min(row.settings().get(0).bytes(), row.settings().get(1).bytes()));
        String m = failure(model, "mixed_precision{target_bits_per_weight=1.0, analysis=\"" + file + "\"}");
        assertTrue(m.startsWith("error[" + CompilerCode.MP001 + "] pass 'mixed_precision' failed"), m);
        assertTrue(m.endsWith(": mixed_precision: target_bits_per_weight=1 (67576 bytes for 540,608 weights) is below the smallest plan "
                + "the candidates allow: " + smallest + " bytes, " + String.format(java.util.Locale.ROOT, "%.3f", smallest * 8.0 / 540608)
                + " bits per weight"), m);
        assertEquals(1, m.lines().count());
        assertTrue(model.metadataProps().isEmpty(), "nothing planned");
    }

    @Test void anAnalysisOfAnotherModelNamesTheWeight() throws Exception {
        Model model = mnist();
        SensitivityReport r = madeUp(model);
        List<WeightRow> rows = new ArrayList<>(r.weights());
        Weight fc = rows.get(17).weight();
        rows.set(17, new WeightRow(new Weight(fc.name(), List.of(10L, 100L), fc.dtype(), 1000, 4000, fc.nodes()), rows.get(17).settings()));
        Path file = write(new SensitivityReport(r.model(), r.format(), r.data(), r.samples(), r.labels(), r.signalPower(),
                r.floatAccuracy(), r.candidates(), rows, r.sizes()));
        String m = failure(model, "mixed_precision{target_bits_per_weight=3, analysis=\"" + file + "\"}");
        assertTrue(m.endsWith(": mixed_precision: analysis=\"" + file + "\" is not of this model: weight 'fc.weight' has 5120 elements "
                + "here and 1000 in the analysis"), m);

        rows.set(17, new WeightRow(new Weight("head.weight", fc.shape(), fc.dtype(), fc.elements(), fc.storedBytes(), fc.nodes()),
                r.weights().get(17).settings()));
        Files.writeString(file, SensitivityJson.write(new SensitivityReport(r.model(), r.format(), r.data(), r.samples(), r.labels(),
                r.signalPower(), r.floatAccuracy(), r.candidates(), rows, r.sizes())));
        m = failure(model, "mixed_precision{target_bits_per_weight=3, analysis=\"" + file + "\"}");
        assertTrue(m.endsWith(": mixed_precision: analysis=\"" + file + "\" is not of this model: weight 'fc.weight' (5120 elements) is not in it"), m);
        assertTrue(m.startsWith("error[" + CompilerCode.MP002 + "]"), m);
    }

    @Test void measuringNeedsCalibrationData() throws Exception {
        String m = failure(mnist(), "mixed_precision{target_ratio=0.1}");
        assertTrue(m.startsWith("error[" + CompilerCode.MP003 + "]"), m);
        assertTrue(m.endsWith("mixed_precision needs calibration data to measure sensitivity: pass --calibration-data, "
                + "or analysis=\"FILE\" from pare analyze --json"), m);
    }

    @Test void aTargetIsNeeded() throws Exception {
        String m = failure(mnist(), "mixed_precision{analysis=\"x.json\"}");
        assertTrue(m.endsWith(": mixed_precision needs a target: target_bits_per_weight, target_bytes or target_ratio"), m);
    }

    @Test void exactlyOneTarget() {
        PipelineException e = assertThrows(PipelineException.class,
                () -> pipelines.parseInline("mixed_precision{target_bits_per_weight=3, target_bytes=1000}"));
        assertTrue(e.getMessage().contains("give exactly one of target_bits_per_weight, target_bytes and target_ratio (got 2)"), e.getMessage());
    }

    static final String PAL4 = "palettize{nbits=4, weight_threshold=0}";

    /** As {@link #madeUp}, with 4-bit palettization (noise 0; 4-bit codes and a 16-entry LUT) instead of int8. */
    static SensitivityReport madeUpLuts(Model model) throws Exception {
        List<Candidate> candidates = Candidates.parseEach(pipelines, List.of(PAL2, PAL4));
        List<WeightRow> rows = new ArrayList<>();
        for (Weight w : CompressibleWeights.of(model)) {
            rows.add(new WeightRow(w, List.of(
                    new Setting(true, (w.elements() * 2 + 7) / 8 + 16, w.elements() >= LARGE ? 1 : 1000, Optional.empty(), Optional.empty()),
                    new Setting(true, (w.elements() + 1) / 2 + 64, 0, Optional.empty(), Optional.empty()))));
        }
        List<CandidateText> texts = candidates.stream().map(c -> new CandidateText(c.text(), c.canonical())).toList();
        return new SensitivityReport("model.onnx", "onnx", "made up", 8, Optional.empty(), 1e6, Optional.empty(), texts, rows, WeightSizes.ONNX);
    }

    /**
     * Candidates of one pass run as one step, an {@code op_name} arm per candidate (so that
     * bias_correction=total sees the whole plan): every weight is compressed exactly as its candidate
     * alone, restricted to its nodes, compresses it.
     */
    @Test void candidatesOfOnePassRunAsOneStepAsIfEachRanAlone() throws Exception {
        Model model = mnist();
        SensitivityReport report = madeUpLuts(model);
        // 2.75 bits (185,834 bytes): the two largest weights take 2 bits, the others 4 bits (173,056 bytes);
        // the 148,384 bytes of 2 bits for all four large ones leave room to give two of them 4 bits, the cheapest two
        run(model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + write(report) + "\"}");
        @SuppressWarnings("unchecked")
        Map<String, Object> plan = (Map<String, Object>) JsonValues.parse(model.metadataProps().get(MixedPrecisionPlan.METADATA_KEY));
        assertEquals(173056L, plan.get("bytes"));
        Map<DType, Integer> widths = new java.util.TreeMap<>();
        for (WeightRow row : report.weights()) {
            Weight w = row.weight();
            boolean twoBits = w.name().equals("onnx::Conv_291") || w.name().equals("onnx::Conv_297");
            Node decode = model.graph().value(w.name()).orElseThrow().producer();
            assertNotNull(decode, w.name() + " is compressed");
            assertEquals(PareDialectEvaluator.LUT_TO_DENSE, decode.op(), w.name());
            DType codes = decode.operand(0).data().dtype();
            assertEquals(twoBits ? DType.UINT2 : DType.UINT4, codes, w.name());
            widths.merge(codes, 1, Integer::sum);

            Model alone = mnist();
            String step = (twoBits ? PAL2 : PAL4).replace("}", "} on op_name(\"" + String.join("\", \"", w.nodes()) + "\")");
            run(alone, step);
            Node aloneDecode = alone.graph().value(w.name()).orElseThrow().producer();
            for (int i = 0; i < 2; i++) {
                assertEquals(aloneDecode.operand(i).data().bytes(), decode.operand(i).data().bytes(), w.name() + " operand " + i);
            }
        }
        assertEquals(Map.of(DType.UINT2, 2, DType.UINT4, 16), widths);
    }

    @Test void candidatesOfSeveralPassesRunOneStepEach() throws Exception {
        List<Candidate> c = Candidates.parseEach(pipelines, List.of(PAL2, PAL4, INT8));
        Map<Integer, List<String>> nodes = new java.util.LinkedHashMap<>();
        nodes.put(0, List.of("/fc/Gemm"));
        nodes.put(1, List.of("/stem/Conv"));
        assertEquals("palettize", MixedPrecision.jointStep(c, nodes).orElseThrow().passName());
        nodes.put(2, List.of("/blocks/blocks.0/dw/Conv"));
        assertTrue(MixedPrecision.jointStep(c, nodes).isEmpty(), "palettize and quantize_weights: no joint step");
    }

    static final String GPTQ2 = "palettize{nbits=2, weight_threshold=0, algorithm=gptq}";
    static final String GPTQ4 = "palettize{nbits=4, weight_threshold=0, algorithm=gptq}";

    /** {@link #madeUpLuts}'s sizes and noises with data-aware candidates: {@link #GPTQ2} and {@link #GPTQ4}. */
    static SensitivityReport madeUpGptq(Model model) throws Exception {
        SensitivityReport luts = madeUpLuts(model);
        List<CandidateText> texts = Candidates.parseEach(pipelines, List.of(GPTQ2, GPTQ4)).stream()
                .map(c -> new CandidateText(c.text(), c.canonical())).toList();
        return new SensitivityReport("model.onnx", "onnx", "made up", 8, Optional.empty(), 1e6, Optional.empty(), texts, luts.weights(),
                WeightSizes.ONNX);
    }

    /** 16 mnist calibration images, wired as {@code pare compile --calibration-data} wires them. */
    static Injector calibrated() {
        CalibrationData data = new RawFloatSamples(MNIST.resolveSibling("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, 16);
        CalibrationDataReader reader = (path, spec, inputs) -> data;
        return Guice.createInjector(new CompilerModule(CompilerConfig.defaults().withCalibrationData(Path.of(data.source()), null)),
                binder -> OptionalBinder.newOptionalBinder(binder, CalibrationDataReader.class).setBinding().toInstance(reader));
    }

    private static void run(Injector with, Model model, String pipeline) throws Exception {
        with.getInstance(PassManagerFactory.class).create(PassManagerOptions.DEFAULTS, new PrintStream(OutputStream.nullOutputStream()), d -> d)
                .run(with.getInstance(PipelineCompiler.class).parseInline(pipeline), model);
    }

    /**
     * Data-aware candidates are what the plan applies: with calibration data, every planned weight's
     * codes and LUT are those of its GPTQ candidate run alone on its nodes, and differ from
     * round-to-nearest's (so the algorithm was not dropped on the way).
     */
    @Test void dataAwareCandidatesAreAppliedAsAlone() throws Exception {
        Injector with = calibrated();
        Model model = mnist();
        SensitivityReport report = madeUpGptq(model);
        run(with, model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + write(report) + "\"}");
        @SuppressWarnings("unchecked")
        Map<String, Object> plan = (Map<String, Object>) JsonValues.parse(model.metadataProps().get(MixedPrecisionPlan.METADATA_KEY));
        assertEquals(173056L, plan.get("bytes"), "the plan of candidatesOfOnePassRunAsOneStepAsIfEachRanAlone");
        boolean differsFromRtn = false;
        for (WeightRow row : report.weights()) {
            Weight w = row.weight();
            boolean twoBits = w.name().equals("onnx::Conv_291") || w.name().equals("onnx::Conv_297");
            Node decode = model.graph().value(w.name()).orElseThrow().producer();
            assertNotNull(decode, w.name() + " is compressed");
            Model alone = mnist();
            run(with, alone, (twoBits ? GPTQ2 : GPTQ4).replace("}", "} on op_name(\"" + String.join("\", \"", w.nodes()) + "\")"));
            Node aloneDecode = alone.graph().value(w.name()).orElseThrow().producer();
            for (int i = 0; i < 2; i++) {
                assertEquals(aloneDecode.operand(i).data().bytes(), decode.operand(i).data().bytes(), w.name() + " operand " + i);
            }
            Model rtn = mnist();
            run(rtn, (twoBits ? PAL2 : PAL4).replace("}", "} on op_name(\"" + String.join("\", \"", w.nodes()) + "\")"));
            differsFromRtn |= !rtn.graph().value(w.name()).orElseThrow().producer().operand(0).data().bytes().equals(decode.operand(0).data().bytes());
        }
        assertTrue(differsFromRtn, "GPTQ's codes differ from round-to-nearest's");
    }

    /** A plan of data-aware candidates cannot be applied without calibration data: one line, the pass's CW013, the way out. */
    @Test void aDataAwarePlanWithoutCalibrationDataSaysSo() throws Exception {
        Model model = mnist();
        String m = failure(model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + write(madeUpGptq(model)) + "\"}");
        assertTrue(m.startsWith("error[CW013] pass 'mixed_precision' failed"), m);
        assertTrue(m.contains(": mixed_precision: applying the plan: palettize: "), m);
        assertTrue(m.endsWith(" needs calibration data and none was given; pass --calibration-data (without calibration data, plan from "
                + "an analysis of round-to-nearest candidates: pare analyze --candidates rtn)"), m);
        assertEquals(1, m.lines().count());
    }

    /** Candidates next to an analysis must be the analysis' own (any order, set names expanded); others are refused, not ignored. */
    @Test void candidatesNextToAnAnalysisMustBeItsOwn() throws Exception {
        Model model = mnist();
        Path file = write(madeUpLuts(model));
        String m = failure(model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + file + "\", candidates=[\"data_aware\"]}");
        assertTrue(m.startsWith("error[" + CompilerCode.MP002 + "]"), m);
        assertTrue(m.endsWith(": mixed_precision: candidates are not those analysis=\"" + file + "\" measured (it measured "
                + "'palettize{nbits=2, weight_threshold=0}', which candidates does not list); the plan applies the analysis' candidates, "
                + "so leave candidates out or analyze with them"), m);
        m = failure(mnist(), "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + file + "\", candidates=[\"" + PAL2 + "\", \""
                + PAL4 + "\", \"" + GPTQ2 + "\"]}");
        assertTrue(m.endsWith("(candidates lists 3 settings, it measured 2); the plan applies the analysis' candidates, "
                + "so leave candidates out or analyze with them"), m);
        run(model, "mixed_precision{target_bits_per_weight=2.75, analysis=\"" + file + "\", candidates=[\"" + PAL4 + "\", \"" + PAL2 + "\"]}");
        assertNotNull(model.metadataProps().get(MixedPrecisionPlan.METADATA_KEY));
    }

    /**
     * The default candidates are the data-aware set (what pare analyze measures when not told
     * otherwise); "rtn" names the round-to-nearest set, whose steps are unchanged.
     */
    @Test void candidateSets() throws Exception {
        assertEquals(Candidates.DATA_AWARE, Candidates.DEFAULTS);
        List<String> dataAware = Candidates.parsePipeline(pipelines, Candidates.DATA_AWARE_SET).stream().map(Candidate::text).toList();
        assertEquals(Candidates.parseEach(pipelines, Candidates.DATA_AWARE).stream().map(Candidate::text).toList(), dataAware);
        assertEquals(9, dataAware.size());
        for (String t : dataAware) {
            assertTrue(t.contains("algorithm=gptq") || t.contains("algorithm=sparsegpt"), t);
            assertTrue(t.contains("bias_correction=total"), t);
        }
        List<String> rtn = Candidates.parseEach(pipelines, List.of("rtn")).stream().map(Candidate::text).toList();
        assertEquals(List.of("palettize{nbits=8, weight_threshold=0}", "palettize{nbits=6, weight_threshold=0}",
                "palettize{nbits=4, weight_threshold=0}", "palettize{nbits=3, weight_threshold=0}", "palettize{nbits=2, weight_threshold=0}",
                "quantize_weights{weight_threshold=0}", "quantize_weights{dtype=int4, granularity=per_block, weight_threshold=0}",
                "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=0}", "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=0}"),
                rtn);
        assertEquals(rtn, Candidates.parsePipeline(pipelines, " rtn ").stream().map(Candidate::text).toList());
        // a set name is a whole candidate list, not one step among others
        PipelineException e = assertThrows(PipelineException.class, () -> Candidates.parseEach(pipelines, List.of("rtn", PAL2)));
        assertTrue(e.getMessage().contains("rtn"), e.getMessage());
    }

    @Test void analysisJsonRoundTrips() throws Exception {
        SensitivityReport r = madeUp(mnist());
        String json = SensitivityJson.write(r);
        assertEquals(json, SensitivityJson.write(SensitivityJson.read(json)));
    }
}
