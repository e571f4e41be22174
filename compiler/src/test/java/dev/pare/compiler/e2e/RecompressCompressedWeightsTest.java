package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.inspect.CompressedWeight;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compressing weights that Core ML Tools already compressed: the compression passes decompress a
 * {@code mil.constexpr_*} chain and compress its values (note CW005, "decompressed from" in
 * {@code pare inspect}), keep a weight whose recompressed form would be bigger (CW006), keep the
 * sparsity mask of a pruned weight, and {@code DEFAULT_PALETTIZATION} turns a palettized weight
 * into a LUT that decodes to exactly the same values.
 */
class RecompressCompressedWeightsTest {

    private static final Path FIXTURES = Path.of("src/test/resources/models/coreml");
    private static final CoreMlFormat COREML = new CoreMlFormat();

    @TempDir Path tmp;

    @Test
    void int8WeightsArePalettizedFromTheirDecompressedValues() throws Exception {
        Path original = FIXTURES.resolve("mnist_dwnet_int8_ios16.mlpackage");
        Model model = COREML.read(original);
        RunReport report = run("PALETTIZE_4BIT", model);

        List<String> notes = codes(report, "CW005");
        assertEquals(11, notes.size(), report.diagnostics().toString());
        assertTrue(notes.contains("palettize: weight 'const_8_to_fp16_quantized' was int8-quantized "
                + "(constexpr_affine_dequantize); decompressed before palettizing it"), notes.toString());
        assertEquals(0, count(model.graph(), "mil.constexpr_affine_dequantize"));
        // the int8 data, scales and zero points went with the ops
        assertTrue(model.graph().value("const_8_to_fp16_quantized_quantized_data").isEmpty());

        Path out = tmp.resolve("pal4.mlpackage");
        LoweredCoreMl.write(model, out);
        Model back = COREML.read(out);
        assertEquals(11, count(back.graph(), "mil.constexpr_lut_to_dense"));
        List<CompressedWeight> weights = ModelInspector.inspect(back).compressedWeights();
        assertEquals(11, weights.size());
        for (CompressedWeight w : weights) {
            assertEquals("palettized 4-bit (constexpr_lut_to_dense, iOS16)", w.method(), w.name());
            assertEquals("int8-quantized (constexpr_affine_dequantize)", w.decompressedFrom(), w.name());
        }
        // a second read/write keeps the record (the writer rebuilds it from the weights)
        Path again = tmp.resolve("again.mlpackage");
        LoweredCoreMl.write(back, again);
        assertEquals("int8-quantized (constexpr_affine_dequantize)",
                ModelInspector.inspect(COREML.read(again)).compressedWeights().get(0).decompressedFrom());

        // 4-bit k-means of the int8 values: close to the int8 package's own outputs
        PackageOutputs cmp = PackageOutputs.compare(original, out, 20);
        System.out.printf(Locale.ROOT, "int8 fixture -> PALETTIZE_4BIT: package %d -> %d B; same class %d/20, worst relative logit error %.4f%n",
                PackageOutputs.size(original), PackageOutputs.size(out), cmp.sameClass(), cmp.worstRelativeError());
        assertTrue(PackageOutputs.size(out) < PackageOutputs.size(original) * 0.6, PackageOutputs.size(out) + " vs " + PackageOutputs.size(original));
        assertEquals(20, cmp.sameClass());
        assertTrue(cmp.worstRelativeError() < 0.15, "worst relative logit error " + cmp.worstRelativeError());
    }

    @Test
    void aRecordThatIsNotOursIsKeptAsPlainMetadata() throws Exception {
        // a user (or another tool) set the key to something that is not a JSON object of strings
        Path pkg = tmp.resolve("edited.mlpackage");
        Model model = COREML.read(FIXTURES.resolve("mnist_dwnet_fp32_ios18.mlpackage"));
        model.setMetadataProp(dev.pare.compiler.coreml.CoreMlKeys.DECOMPRESSED_FROM, "{\"fc_weight\": 4}");
        LoweredCoreMl.write(model, pkg);
        Model back = COREML.read(pkg);
        assertEquals("{\"fc_weight\": 4}", back.metadataProps().get(dev.pare.compiler.coreml.CoreMlKeys.DECOMPRESSED_FROM));
        assertEquals(null, back.graph().value("fc_weight").orElseThrow().metadata().get(dev.pare.ir.WeightHistory.DECOMPRESSED_FROM));
        Path again = tmp.resolve("again.mlpackage");
        LoweredCoreMl.write(back, again);
        assertEquals("{\"fc_weight\": 4}", COREML.read(again).metadataProps().get(dev.pare.compiler.coreml.CoreMlKeys.DECOMPRESSED_FROM));
    }

    @Test
    void defaultPalettizationKeepsAPalettizedWeightExact() throws Exception {
        Path original = FIXTURES.resolve("mnist_dwnet_pal4_ios16.mlpackage");
        Model model = COREML.read(original);
        RunReport report = run("DEFAULT_PALETTIZATION", model);
        assertEquals(11, codes(report, "CW005").size(), report.diagnostics().toString());
        Path out = tmp.resolve("unique.mlpackage");
        LoweredCoreMl.write(model, out);

        Map<String, TensorData> before = decompressedWeights(COREML.read(original));
        Map<String, TensorData> after = decompressedWeights(COREML.read(out));
        assertEquals(before.keySet(), after.keySet());
        for (String name : before.keySet()) {
            assertEquals(before.get(name).type(), after.get(name).type(), name);
            assertEquals(before.get(name).bytes(), after.get(name).bytes(), name + " must decode to the same bits");
        }
        for (CompressedWeight w : ModelInspector.inspect(COREML.read(out)).compressedWeights()) {
            assertTrue(w.nbits() <= 4, w.name() + " " + w.nbits());
            assertEquals("palettized 4-bit (constexpr_lut_to_dense)", w.decompressedFrom());
        }
        PackageOutputs cmp = PackageOutputs.compare(original, out, 5);
        assertEquals(0.0, cmp.worstRelativeError(), "outputs must be bit-identical");
    }

    @Test
    void recompressingThatWouldGrowLeavesTheWeightAsItIs() throws Exception {
        // unique mode over 16 grouped 4-bit LUTs needs one 6- to 8-bit LUT: bigger, so each weight stays grouped
        Path original = FIXTURES.resolve("mnist_dwnet_pal4g16_ios18.mlpackage");
        Model model = COREML.read(original);
        RunReport report = run("DEFAULT_PALETTIZATION", model);
        List<String> notes = codes(report, "CW006");
        assertEquals(7, notes.size(), report.diagnostics().toString());
        assertTrue(notes.contains("palettize: weight 'const_8_palettized' left palettized 4-bit (constexpr_lut_to_dense): "
                + "palettize would store it in 3328 bytes, more than the 2304 it takes now"), notes.toString());
        // the three 512-channel weights hold 16 values per group of 32 channels: 512 in all, more than a LUT holds
        assertTrue(codes(report, "CW002").contains("palettize: weight 'const_32_palettized' left palettized 4-bit "
                + "(constexpr_lut_to_dense): unique mode allows at most 256 distinct values per LUT, found 512"), report.diagnostics().toString());
        assertTrue(codes(report, "CW005").isEmpty());
        assertEquals(10, count(model.graph(), "mil.constexpr_lut_to_dense"));
        assertEquals(0, count(model.graph(), "pare.lut_to_dense"));
    }

    @Test
    void prunedWeightsKeepTheirMask() throws Exception {
        Path original = FIXTURES.resolve("mnist_dwnet_prune50_ios16.mlpackage");
        Model model = COREML.read(original);
        run("PALETTIZE_4BIT", model);
        assertEquals(11, count(model.graph(), "pare.sparse_to_dense"));

        // iOS16 has no joint sparse + palettized form: refused, naming the target that has it, nothing written
        Path refused = tmp.resolve("ios16.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoweredCoreMl.write(model, refused));
        assertTrue(e.getMessage().contains("joint sparse + palettized compression needs --target ios18"), e.getMessage());
        assertFalse(Files.exists(refused));

        model.setProperty(CoreMlTarget.PROPERTY, "ios18");
        Path out = tmp.resolve("ios18.mlpackage");
        LoweredCoreMl.write(model, out);
        Map<String, TensorData> before = decompressedWeights(COREML.read(original));
        Map<String, TensorData> after = decompressedWeights(COREML.read(out));
        int sparse = 0;
        for (CompressedWeight w : ModelInspector.inspect(COREML.read(out)).compressedWeights()) {
            if (!w.isSparse()) continue;
            sparse++;
            assertEquals("sparse+lut", w.kind(), w.name());
            assertEquals("pruned (constexpr_sparse_to_dense)", w.decompressedFrom(), w.name());
            float[] a = floats(before.get(w.name()));
            float[] b = floats(after.get(w.name()));
            for (int i = 0; i < a.length; i++) assertEquals(a[i] == 0, b[i] == 0, w.name() + " element " + i + ": same mask");
        }
        assertEquals(11, sparse);
        PackageOutputs cmp = PackageOutputs.compare(original, out, 20);
        System.out.printf(Locale.ROOT, "prune50 fixture -> PALETTIZE_4BIT ios18: package %d -> %d B; same class %d/20, worst relative logit error %.4f%n",
                PackageOutputs.size(original), PackageOutputs.size(out), cmp.sameClass(), cmp.worstRelativeError());
        assertEquals(20, cmp.sameClass());
        assertTrue(cmp.worstRelativeError() < 0.15, "worst relative logit error " + cmp.worstRelativeError());
    }

    @Test
    void pruningIsNotAppliedTwice() throws Exception {
        Model model = COREML.read(FIXTURES.resolve("mnist_dwnet_prune50_ios16.mlpackage"));
        RunReport report = run("PRUNE_50", model);
        assertTrue(codes(report, "CW003").contains("prune: weight 'fc_weight_to_fp16_sparsified' is already pruned "
                + "(pruned (constexpr_sparse_to_dense)); left as it is"), report.diagnostics().toString());
        assertEquals(11, count(model.graph(), "mil.constexpr_sparse_to_dense"));
        assertEquals(0, count(model.graph(), "pare.sparse_to_dense"));
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static RunReport run(String pipeline, Model model) throws Exception {
        PassRegistry registry = PassRegistry.discover(RecompressCompressedWeightsTest.class.getClassLoader());
        return PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), model);
    }

    private static List<String> codes(RunReport report, String code) {
        List<String> out = new ArrayList<>();
        for (Diagnostic d : report.diagnostics()) if (d.code().equals(code)) out.add(d.message());
        return out;
    }

    private static int count(Graph g, String op) {
        int n = 0;
        for (Node node : g.nodes()) if (node.op().equals(op)) n++;
        return n;
    }

    /** Every weight the model's ops read, decoded to dense values, by name. */
    private static Map<String, TensorData> decompressedWeights(Model model) throws Exception {
        run("decompress_weights", model);
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Value c : model.graph().constants()) {
            if (c.data() != null && c.data().dtype().isFloatingPoint() && c.data().elementCount() > 2048) out.put(c.name(), c.data());
        }
        return out;
    }

    private static float[] floats(TensorData d) {
        ByteBuffer b = d.bytes();
        float[] out = new float[Math.toIntExact(d.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.dtype() == dev.pare.ir.DType.FLOAT16 ? dev.pare.ir.Float16.toFloat(b.getShort(i * 2)) : b.getFloat(i * 4);
        }
        return out;
    }

}
