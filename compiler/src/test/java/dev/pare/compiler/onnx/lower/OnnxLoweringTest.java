package dev.pare.compiler.onnx.lower;

import static dev.pare.compiler.onnx.lower.LoweringHarness.assertBits;
import static dev.pare.compiler.onnx.lower.LoweringHarness.evaluate;
import static dev.pare.compiler.onnx.lower.LoweringHarness.ops;
import static dev.pare.compiler.onnx.lower.LoweringHarness.readBack;
import static dev.pare.compiler.onnx.lower.LoweringHarness.weightModel;
import static dev.pare.compiler.onnx.lower.LoweringHarness.weights;
import static dev.pare.compiler.onnx.lower.LoweringHarness.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;
import dev.pare.passes.compression.math.MagnitudePrunerOptions;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.Pruner;
import dev.pare.passes.compression.math.PruningResult;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.passes.compression.math.WeightTensor;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pare weight form is written as ONNX, read back, evaluated in ONNX Runtime and compared bit
 * for bit with the compression math library's {@code decompress()}.
 */
class OnnxLoweringTest {

    @TempDir Path tmp;

    private static final long[] SHAPE = {6, 40};

    private static WeightTensor weight(long[] shape, Precision p, long seed) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        return WeightTensor.of(weights(n, seed, p), shape, p);
    }

    private Model check(Model m, float[] expected, String file) throws Exception {
        Path out = write(m, tmp.resolve(file));
        Model back = readBack(out);
        assertBits(expected, evaluate(out));
        return back;
    }

    // ---- the pass and the copy ------------------------------------------------------------------

    static Stream<Arguments> inPlaceCases() {
        LinearQuantization int4 = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT32, 21),
                new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, new QuantGranularity.Blocks(new int[] {0, 16})));
        Palettization lut = palettize(weight(SHAPE, Precision.FLOAT32, 22), PalettizerOptions.kmeans(3), null);
        PruningResult sparse = Pruner.magnitude(weight(new long[] {32, 40}, Precision.FLOAT32, 23), MagnitudePrunerOptions.sparsity(0.9));
        return Stream.of(Arguments.of("int4 blocks", (Function<Rewriter, Value>) rw -> PareWeights.affine(rw, "w", int4)),
                Arguments.of("3-bit lut", (Function<Rewriter, Value>) rw -> PareWeights.lut(rw, "w", lut)),
                Arguments.of("sparse", (Function<Rewriter, Value>) rw -> PareWeights.sparse(rw, "w", sparse)));
    }

    /** lower_to_onnx lowers in place what the copying lowering lowers: the files are the same bytes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("inPlaceCases")
    void thePassLowersInPlaceAsTheCopyDoes(String name, Function<Rewriter, Value> weight) throws Exception {
        Path copy = write(OnnxLowering.lower(weightModel(weight)), tmp.resolve("copy.onnx"));
        Model inPlace = weightModel(weight);
        assertEquals(1, OnnxLowering.lowerInPlace(inPlace));
        assertTrue(dev.pare.ir.Verifier.verify(inPlace.graph()).isEmpty());
        Path lowered = tmp.resolve("in-place.onnx");
        new OnnxFormat().write(inPlace, lowered);
        assertArrayEquals(Files.readAllBytes(copy), Files.readAllBytes(lowered));
    }

    // ---- affine ------------------------------------------------------------------------------

    static Stream<Arguments> affineCases() {
        List<Arguments> out = new ArrayList<>();
        QuantGranularity[] gs = {new QuantGranularity.PerTensor(), new QuantGranularity.PerChannel(0),
            new QuantGranularity.PerChannel(1), new QuantGranularity.PerBlock(0, 1, 16),
            new QuantGranularity.Blocks(new int[] {0, 16}), new QuantGranularity.Blocks(new int[] {4, 16})};
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT4, DType.UINT4}) {
            for (QuantGranularity g : gs) {
                for (Mode mode : Mode.values()) out.add(Arguments.of(t, g, mode));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("affineCases")
    void affineDequantizeIsBitExact(DType t, QuantGranularity g, Mode mode) throws Exception {
        LinearQuantization q = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT32, 1),
                new LinearQuantizerOptions(mode, t, g));
        Model back = check(weightModel(rw -> PareWeights.affine(rw, "w", q)), q.decompress(), "affine.onnx");
        assertEquals(Map.of("onnx.DequantizeLinear", 1, "onnx.Identity", 1), ops(back));
        Node dq = back.graph().nodes().get(0);
        boolean blocked = q.parameterAxis() == -2 || (q.parameterAxis() >= 0 && q.scaleShape()[q.parameterAxis()] != SHAPE[q.parameterAxis()]);
        long opset = t.isSubByte() || blocked ? 21 : 13;
        assertEquals(opset, back.opsetVersion(""));
        assertEquals(opset == 21 ? "10" : "7", back.properties().get("ir_version"));
        if (blocked) assertEquals(16, dq.attributes().getInt("block_size", -1), "40 = 16 + 16 + 8: a partial last block");
    }

    @Test
    void float16ScalesNeedOpset19() throws Exception {
        LinearQuantization q = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT16, 2),
                new LinearQuantizerOptions(Mode.LINEAR, DType.UINT8, new QuantGranularity.PerChannel(0)));
        Model back = check(weightModel(rw -> PareWeights.affine(rw, "w", q)), q.decompress(), "f16.onnx");
        assertEquals(19, back.opsetVersion(""));
        assertEquals("9", back.properties().get("ir_version"));
        assertEquals(DType.FLOAT16, back.graph().outputs().get(0).tensorType().dtype());
    }

    @Test
    void int4WeightFeedingMatMulIsExactAtAccuracyLevel0() throws Exception {
        long[] shape = {64, 8}; // [K, N], blocks of 16 along K
        LinearQuantization q = LinearQuantizer.quantize(weight(shape, Precision.FLOAT32, 3),
                new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, new QuantGranularity.PerBlock(1, 0, 16)));
        float[] x = weights(2 * 64, 4, Precision.FLOAT32);
        Model compressed = matMul(rw -> PareWeights.affine(rw, "w", q));
        Model dense = matMul(rw -> rw.addConstant("w", TensorData.ofFloats(shape, q.decompress())));
        Map<String, dev.pare.compiler.testing.OrtRunner.Tensor> in =
                Map.of("x", dev.pare.compiler.testing.OrtRunner.Tensor.ofFloats(new long[] {2, 64}, x));
        float[] expected = dev.pare.compiler.testing.OrtRunner.run(write(dense, tmp.resolve("dense.onnx")), in).get("y").floats();
        float[] actual = dev.pare.compiler.testing.OrtRunner.run(write(compressed, tmp.resolve("int4.onnx")), in,
                dev.pare.compiler.testing.OrtRunner.EXACT_MATMUL_NBITS).get("y").floats();
        assertBits(expected, actual);
    }

    private static Model matMul(java.util.function.Function<dev.pare.ir.Rewriter, Value> weight) {
        dev.pare.ir.Graph g = new dev.pare.ir.Graph("g");
        dev.pare.ir.Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 2, 64));
        Value w = weight.apply(rw);
        rw.setInsertionPointToEnd();
        rw.addOutput(rw.createNode("mm", "onnx.MatMul", List.of(x, w), List.of("y"), List.of(TensorType.of(DType.FLOAT32, 2, 8)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        return m;
    }

    // ---- palettization ------------------------------------------------------------------------

    private static Palettization palettize(WeightTensor w, PalettizerOptions o, boolean[] keep) {
        return new Palettizer(null).palettize(w, o, new SplittableRandom(11), keep);
    }

    static Stream<Arguments> lutCases() {
        List<Arguments> out = new ArrayList<>();
        for (int nbits : new int[] {1, 2, 3, 4, 6, 8}) {
            out.add(Arguments.of(nbits, -1));
            out.add(Arguments.of(nbits, 0));
            out.add(Arguments.of(nbits, 2));
        }
        return out.stream();
    }

    /**
     * Per-tensor and grouped LUTs decode bit for bit in ONNX Runtime. Groups along axis 0 are rows of
     * one table read by GatherElements (no offset table); groups along another axis keep the flat
     * table, a Gather and an index offset per group.
     */
    @ParameterizedTest(name = "{0}-bit grouped on axis {1}")
    @MethodSource("lutCases")
    void lutToDenseIsBitExact(int nbits, int groupAxis) throws Exception {
        long[] shape = {8, 3, 50}; // 1200 values: 8-bit k-means has more values than clusters
        PalettizerOptions o = PalettizerOptions.kmeans(nbits);
        if (groupAxis >= 0) o = o.withGroups(2, groupAxis);
        Palettization p = palettize(weight(shape, Precision.FLOAT32, nbits), o, null);
        Model back = check(weightModel(rw -> PareWeights.lut(rw, "w", p)), p.decompress(), "lut.onnx");
        Map<String, Integer> ops = ops(back);
        assertEquals(groupAxis == 0 ? null : 1, ops.get("onnx.Gather"));
        assertEquals(groupAxis == 0 ? 1 : null, ops.get("onnx.GatherElements"));
        assertEquals(nbits == 4 ? 21 : 13, back.opsetVersion(""));
        if (nbits == 4 || nbits == 8) assertEquals(1, ops.get("onnx.Cast"));
        else assertEquals(1, ops.get("onnx.Mod"), "sub-byte indices are unpacked arithmetically");
        assertEquals(groupAxis > 0, ops.containsKey("onnx.Add"), "an offset table only for groups off axis 0");
    }

    /** Groups along axis 0 store indices, LUT and the weight's shape: nothing per group beyond the LUT rows. */
    @Test
    void lutGroupedAlongAxis0StoresNoOffsets() throws Exception {
        long[] shape = {8, 3, 50};
        Palettization p = palettize(weight(shape, Precision.FLOAT32, 7), PalettizerOptions.kmeans(8).withGroups(2, 0), null);
        Model back = check(weightModel(rw -> PareWeights.lut(rw, "w", p)), p.decompress(), "lut8g.onnx");
        long bytes = 0;
        for (Value c : back.graph().constants()) bytes += c.data().byteSize();
        // 1,200 uint8 indices (stored as [4, 300] rows) + 4 LUTs of 256 float32 + the int64 shape [3] of the weight
        assertEquals(1200 + 4 * 256 * 4 + 3 * 8, bytes);
    }

    static Stream<Arguments> vectorCases() {
        return Stream.of(Arguments.of(0, false), Arguments.of(0, true), Arguments.of(1, false), Arguments.of(2, true));
    }

    @ParameterizedTest(name = "cluster_dim 2 on axis {0}, grouped={1}")
    @MethodSource("vectorCases")
    void vectorLutIsBitExact(int axis, boolean grouped) throws Exception {
        long[] shape = {8, 4, 6};
        PalettizerOptions o = PalettizerOptions.kmeans(3).withClusterDim(2).withChannelAxis(axis);
        if (grouped) o = o.withGroups(shape[axis] == 8 ? 4 : 2, axis);
        Palettization p = palettize(weight(shape, Precision.FLOAT32, 20 + axis), o, null);
        Model back = check(weightModel(rw -> PareWeights.lut(rw, "w", p)), p.decompress(), "vlut.onnx");
        assertEquals(axis != 2, ops(back).containsKey("onnx.Transpose"));
    }

    @Test
    void lutWithPerChannelScaleAndFloat16() throws Exception {
        PalettizerOptions o = PalettizerOptions.kmeans(4).withChannelAxis(0)
                .withPerChannelScale(PalettizerOptions.PerChannelScale.OUTPUT_CHANNEL);
        Palettization p = palettize(weight(SHAPE, Precision.FLOAT16, 5), o, null);
        Model back = check(weightModel(rw -> PareWeights.lut(rw, "w", p)), p.decompress(), "lut16.onnx");
        assertEquals(1, ops(back).get("onnx.Mul"));
        assertEquals(DType.FLOAT16, back.graph().outputs().get(0).tensorType().dtype());
    }

    // ---- sparsity ------------------------------------------------------------------------------

    @Test
    void halfSparseUsesMaskAndValues() throws Exception {
        PruningResult r = Pruner.magnitude(weight(new long[] {32, 40}, Precision.FLOAT32, 6), MagnitudePrunerOptions.sparsity(0.5));
        Path out = write(weightModel(rw -> PareWeights.sparse(rw, "w", r)), tmp.resolve("mask.onnx"));
        Model back = readBack(out);
        assertBits(r.decompress(), evaluate(out));
        assertEquals(1, ops(back).get("onnx.CumSum"));
        Path dense = write(weightModel(rw -> rw.addConstant("w", TensorData.ofFloats(r.shape(), r.decompress()))), tmp.resolve("d.onnx"));
        assertTrue(LoweringHarness.size(out) < LoweringHarness.size(dense) * 0.7, LoweringHarness.size(out) + " vs " + LoweringHarness.size(dense));
    }

    @Test
    void verySparseUsesASparseInitializer() throws Exception {
        PruningResult r = Pruner.magnitude(weight(new long[] {64, 64}, Precision.FLOAT32, 7), MagnitudePrunerOptions.sparsity(0.995));
        Path out = write(weightModel(rw -> PareWeights.sparse(rw, "w", r)), tmp.resolve("sparse.onnx"));
        Model back = readBack(out);
        assertBits(r.decompress(), evaluate(out));
        Value w = back.graph().value("w").orElseThrow();
        assertInstanceOf(SparseData.class, w.data());
        assertEquals(Map.of("onnx.Identity", 1), ops(back));
        assertTrue(LoweringHarness.size(out) < 64 * 64 * 4 / 10, "file " + LoweringHarness.size(out));
    }

    @Test
    void tinySparseWeightStaysDense() throws Exception {
        PruningResult r = Pruner.magnitude(weight(new long[] {2, 3}, Precision.FLOAT32, 8), MagnitudePrunerOptions.sparsity(0.5));
        Path out = write(weightModel(rw -> PareWeights.sparse(rw, "w", r)), tmp.resolve("tiny.onnx"));
        Model back = readBack(out);
        assertBits(r.decompress(), evaluate(out));
        assertEquals(Map.of("onnx.Identity", 1), ops(back));
        assertInstanceOf(dev.pare.ir.DenseData.class, back.graph().value("w").orElseThrow().data());
    }

    @Test
    void sparseFormChoice() {
        assertEquals(SparseLowering.Form.DENSE, SparseLowering.choose(6, 3, 4));
        assertEquals(SparseLowering.Form.MASK, SparseLowering.choose(4096, 2048, 4));
        assertEquals(SparseLowering.Form.SPARSE_INITIALIZER, SparseLowering.choose(4096, 20, 4));
        assertEquals(SparseLowering.Form.DENSE, SparseLowering.choose(4096, 0, 4));
    }

    @Test
    void jointSparsePalettized() throws Exception {
        WeightTensor w = weight(new long[] {16, 24}, Precision.FLOAT32, 9);
        PruningResult r = Pruner.magnitude(w, MagnitudePrunerOptions.sparsity(0.6));
        Palettization p = palettize(WeightTensor.of(r.decompress(), w.shape(), w.precision()),
                PalettizerOptions.kmeans(2).withGroups(4, 0), r.keep());
        check(weightModel(rw -> PareWeights.masked(rw, "w", w.shape(), r.keep(), PareWeights.lut(rw, "w_values", p))),
                p.decompress(), "joint-lut.onnx");
    }

    @Test
    void jointSparseQuantized() throws Exception {
        WeightTensor w = weight(new long[] {16, 24}, Precision.FLOAT32, 10);
        PruningResult r = Pruner.magnitude(w, MagnitudePrunerOptions.sparsity(0.5));
        LinearQuantization q = LinearQuantizer.quantize(w, new LinearQuantizerOptions(Mode.LINEAR, DType.INT4,
                new QuantGranularity.PerBlock(0, 1, 8)), r.keep());
        Model back = check(weightModel(rw -> PareWeights.masked(rw, "w", w.shape(), r.keep(), PareWeights.affine(rw, "w_values", q))),
                q.decompress(), "joint-q.onnx");
        assertEquals(1, ops(back).get("onnx.Where"));
    }

    // ---- model-level behaviour ----------------------------------------------------------------

    @Test
    void theModelPassedInIsNotChanged() throws Exception {
        LinearQuantization q = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT32, 12),
                new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, new QuantGranularity.PerChannel(0)));
        Model m = weightModel(rw -> PareWeights.affine(rw, "w", q));
        String before = IrPrinter.print(m.graph());
        write(m, tmp.resolve("a.onnx"));
        assertEquals(before, IrPrinter.print(m.graph()));
        assertEquals(13, m.opsetVersion(""));
        assertEquals("7", m.properties().get("ir_version"));
        assertTrue(OnnxLowering.needsLowering(m));
    }

    @Test
    void modelsWithoutPareOpsAreNotCopied() {
        Model m = weightModel(rw -> rw.addConstant("w", TensorData.ofFloats(new long[] {1}, 1f)));
        assertTrue(OnnxLowering.lower(m) == m);
    }

    @Test
    void raisingRewritesOpsWhoseSchemaChanged() throws Exception {
        LinearQuantization q = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT32, 13),
                new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, new QuantGranularity.PerChannel(0)));
        Model m = weightModel(rw -> {
            Value w = PareWeights.affine(rw, "w", q);
            return rw.createNode("mean", "onnx.ReduceMean", List.of(w), List.of("m"), List.of(TensorType.of(DType.FLOAT32, 1, 1)),
                    Attributes.builder().put("axes", Attribute.ofInts(0, 1)).build(), Location.UNKNOWN).result(0);
        });
        Model back = readBack(write(m, tmp.resolve("mean.onnx")));
        assertEquals(21, back.opsetVersion(""));
        Node mean = back.graph().node("mean").orElseThrow();
        assertTrue(mean.attributes().isEmpty(), "ReduceMean-18 takes axes as an input");
        assertEquals(2, mean.operands().size());
        assertEquals(13, m.opsetVersion(""), "the model written is not changed");
    }

    @Test
    void raisingPastABreakingChangeWithoutRewriteFails() {
        LinearQuantization q = LinearQuantizer.quantize(weight(SHAPE, Precision.FLOAT32, 13),
                new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, new QuantGranularity.PerChannel(0)));
        Model m = weightModel(rw -> {
            Value w = PareWeights.affine(rw, "w", q);
            return rw.createNode("dft", "onnx.DFT", List.of(w), List.of("f"), List.of(TensorType.unknown()),
                    Attributes.empty(), Location.UNKNOWN).result(0);
        });
        m.setOpsets(List.of(new Model.OpsetImport("", 17)));
        LoweringException e = assertThrows(LoweringException.class, () -> OnnxLowering.lower(m));
        assertEquals("i4 DequantizeLinear needs opset 21 but the model is opset 17: node 'dft'"
                + " (DFT): changed meaning at opset 20 (axis became an input with another default) and Pare has no"
                + " rewrite for it (upgrading opset 17 to 21)", e.getMessage());
    }

    @Test
    void oldOpsetsAreRaised() throws Exception {
        Palettization p = palettize(weight(SHAPE, Precision.FLOAT32, 14), PalettizerOptions.kmeans(4), null);
        Model m = weightModel(rw -> PareWeights.lut(rw, "w", p));
        m.setOpsets(List.of(new Model.OpsetImport("", 11)));
        Path out = write(m, tmp.resolve("old.onnx"));
        Model back = readBack(out);
        assertEquals(21, back.opsetVersion(""));
        assertEquals("10", back.properties().get("ir_version"));
        assertBits(p.decompress(), evaluate(out));
    }

    @Test
    void unknownPareOpFailsClearly() {
        Model m = weightModel(rw -> rw.createNode("odd", "pare.mystery", List.of(), List.of("w"),
                List.of(TensorType.of(DType.FLOAT32, 1)), Attributes.empty(), Location.UNKNOWN).result(0));
        LoweringException e = assertThrows(LoweringException.class, () -> OnnxLowering.lower(m));
        assertEquals("node 'odd' (pare.mystery): has no ONNX lowering", e.getMessage());
    }
}
