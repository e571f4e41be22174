package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Node;
import dev.pare.passes.compression.math.Precision;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Statistics;
import dev.pare.testkit.PassTester;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** Golden IR for the compression passes on small graphs, and their skip, scoping and sharing rules. */
class CompressionPassesTest {

    private static final QuantizeWeights.Options INT8_PER_CHANNEL = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC,
            QuantizeWeights.Dtype.INT8, QuantizeWeights.Granularity.PER_CHANNEL, 32, 0);
    private final PassTester<QuantizeWeights.Options> int8 = PassTester.of(new QuantizeWeights()).withOptions(INT8_PER_CHANNEL);

    private static Palettize.Options kmeans(int nbits) {
        return new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(nbits), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0);
    }

    @Test
    void palettizesAConvWeight() {
        PassTester.of(new Palettize()).withOptions(kmeans(2)).assertTransforms("""
                graph g(%x: f32[1,2,3,3]) {
                  %w: f32[4,2,1,1] = const dense<f32[4,2,1,1]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,4,3,3] = onnx.Conv(%x, %w) @conv
                  return %y
                }
                """, """
                graph g(%x: f32[1,2,3,3]) {
                  %w_indices: u2[4,2,1,1] = const dense<u2[4,2,1,1]: [2, 1, 3, 2, 1, 2, 3, 0]>
                  %w_lut: f32[1,1,1,1,4,1] = const dense<f32[1,1,1,1,4,1]: [-2, -0.75, 0.5833333, 2.5]>
                  %w: f32[4,2,1,1] = pare.lut_to_dense(%w_indices, %w_lut) @w_palettized
                  %y: f32[1,4,3,3] = onnx.Conv(%x, %w) @conv
                  return %y
                }
                """).assertStatistic("weights_compressed", 1).assertStatistic("bytes_before", 32).assertStatistic("bytes_after", 18);
    }

    @Test
    void quantizesGemmTransBPerOutputRow() {
        int8.assertTransforms("""
                graph g(%x: f32[1,4]) {
                  %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @gemm
                  return %y
                }
                """, """
                graph g(%x: f32[1,4]) {
                  %w_quantized: i8[2,4] = const dense<i8[2,4]: [32, -64, 127, 16, -21, 42, 127, -85]>
                  %w_scale: f32[2,1] = const dense<f32[2,1]: [0.015748031, 0.023622047]>
                  %w: f32[2,4] = pare.affine_dequantize(%w_quantized, %w_scale) @w_dequantized
                  %y: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @gemm
                  return %y
                }
                """).assertStatistic("bytes_before", 32).assertStatistic("bytes_after", 16);
    }

    @Test
    void quantizesGemmWithoutTransBPerColumn() {
        int8.assertTransforms("""
                graph g(%x: f32[1,4]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,2] = onnx.Gemm(%x, %w) @gemm
                  return %y
                }
                """, """
                graph g(%x: f32[1,4]) {
                  %w_quantized: i8[4,2] = const dense<i8[4,2]: [21, -64, 85, 16, -21, 64, 127, -127]>
                  %w_scale: f32[1,2] = const dense<f32[1,2]: [0.023622047, 0.015748031]>
                  %w: f32[4,2] = pare.affine_dequantize(%w_quantized, %w_scale) @w_dequantized
                  %y: f32[1,2] = onnx.Gemm(%x, %w) @gemm
                  return %y
                }
                """);
    }

    @Test
    void quantizesMatMulPerBlockAlongK() {
        PassTester.of(new QuantizeWeights()).withOptions(new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC,
                QuantizeWeights.Dtype.INT4, QuantizeWeights.Granularity.PER_BLOCK, 2, 0)).assertTransforms("""
                graph g(%x: f32[1,4]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,2] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """, """
                graph g(%x: f32[1,4]) {
                  %w_quantized: i4[4,2] = const dense<i4[4,2]: [2, -7, 7, 2, -1, 3, 7, -7]>
                  %w_scale: f32[2,2] = const dense<f32[2,2]: [0.2857143, 0.14285715, 0.42857143, 0.2857143]>
                  %w: f32[4,2] = pare.affine_dequantize(%w_quantized, %w_scale) @w_dequantized
                  %y: f32[1,2] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """);
    }

    @Test
    void quantizesAnEmbeddingTablePerRow() {
        int8.assertTransforms("""
                graph g(%ids: i64[5]) {
                  %table: f32[4,3] = const dense<f32[4,3]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2, 1, 1, 1, 4]>
                  %e: f32[5,3] = onnx.Gather(%table, %ids) {axis=0} @embed
                  return %e
                }
                """, """
                graph g(%ids: i64[5]) {
                  %table_quantized: i8[4,3] = const dense<i8[4,3]: [32, -64, 127, 32, -64, 127, 127, -85, 42, 32, 32, 127]>
                  %table_scale: f32[4,1] = const dense<f32[4,1]: [0.015748031, 0.007874016, 0.023622047, 0.031496063]>
                  %table: f32[4,3] = pare.affine_dequantize(%table_quantized, %table_scale) @table_dequantized
                  %e: f32[5,3] = onnx.Gather(%table, %ids) {axis=0} @embed
                  return %e
                }
                """);
    }

    @Test
    void prunesAMatMulWeightByMagnitude() {
        PassTester.of(new Prune()).withOptions(new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.5), 0, Optional.empty(), Optional.empty(), 0)).assertTransforms("""
                graph g(%x: f32[1,2]) {
                  %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,4] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """, """
                graph g(%x: f32[1,2]) {
                  %w_mask: u1[2,4] = const dense<u1[2,4]: [0, 0, 1, 0, 0, 0, 1, 1]>
                  %w_values: f32[3] = const dense<f32[3]: [2, 3, -2]>
                  %w: f32[2,4] = pare.sparse_to_dense(%w_mask, %w_values) @w_sparse
                  %y: f32[1,4] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """);
    }

    @Test
    void anOnnxConstantWeightBecomesAGraphConstantAndFp16StaysFp16() {
        PassTester.of(new Palettize()).withOptions(kmeans(1)).assertTransforms("""
                graph g(%x: f16[1,2]) {
                  %w: f16[2,4] = onnx.Constant() {value=dense<f16[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>} @wc
                  %y: f16[1,4] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """, """
                graph g(%x: f16[1,2]) {
                  %w_indices: u1[2,4] = const dense<u1[2,4]: [0, 0, 1, 0, 0, 1, 1, 0]>
                  %w_lut: f16[1,1,2,1] = const dense<f16[1,1,2,1]: [-0.5498047, 2]>
                  %w: f16[2,4] = pare.lut_to_dense(%w_indices, %w_lut) @w_palettized
                  %y: f16[1,4] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """);
    }

    private static final String SMALL_CONV = """
            graph g(%x: f32[1,2,3,3]) {
              %w: f32[4,2,1,1] = const dense<f32[4,2,1,1]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
              %y: f32[1,4,3,3] = onnx.Conv(%x, %w) @conv
              return %y
            }
            """;

    @Test
    void weightsWithAtMostWeightThresholdElementsStayDenseWithANote() {
        PassTester.of(new Palettize()).assertUnchanged(SMALL_CONV).assertDiagnostics(
                "note[CW001]: palettize: weight 'w' has 8 elements, not more than weight_threshold 2048; left dense",
                "warning[CW007]: palettize compressed no weight: 1 weight left as it is: 1 not more than weight_threshold elements (CW001)");
        PassTester.of(new Palettize()).withOptions(new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(2), Palettize.Granularity.PER_TENSOR,
                32, Optional.empty(), false, 1, List.of(), 8)).assertUnchanged(SMALL_CONV);
        PassTester.of(new Palettize()).withOptions(new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(2), Palettize.Granularity.PER_TENSOR,
                32, Optional.empty(), false, 1, List.of(), 7)).run(SMALL_CONV).assertChanged(true).assertStatistic("weights_compressed", 1);
    }

    private static Palettize.Options grouped(int groupSize, boolean skip) {
        return new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(2), Palettize.Granularity.PER_GROUPED_CHANNEL, groupSize, Optional.empty(), false, 1, List.of(), 0, skip);
    }

    private static Palettize.Options unique(boolean skip) {
        return new Palettize.Options(Palettize.Mode.UNIQUE, Optional.empty(), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0, skip);
    }

    @Test
    void optionsThatDoNotFitAWeightFailBeforeAnyWeightIsCompressed() {
        PassFailure f = PassTester.of(new Palettize()).withOptions(grouped(3, false)).assertFails(SMALL_CONV);
        assertEquals("CW012", f.code());
        assertEquals("palettize: weight 'w' of 'conv': group_size 3 does not divide the 4 channels on axis 0; no weight was compressed",
                f.getMessage());
        // a weight that fits comes first in graph order; it is not compressed either
        String two = """
                graph g(%x: f32[1,2,3,3]) {
                  %a: f32[4,2,1,1] = const dense<f32[4,2,1,1]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %b: f32[6,4,1,1] = const dense<f32[6,4,1,1]: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]>
                  %y: f32[1,4,3,3] = onnx.Conv(%x, %a) @first
                  %z: f32[1,6,3,3] = onnx.Conv(%y, %b) @second
                  return %z
                }
                """;
        assertEquals("palettize: weight 'b' of 'second': group_size 4 does not divide the 6 channels on axis 0; no weight was compressed",
                PassTester.of(new Palettize()).withOptions(grouped(4, false)).assertFails(two).getMessage());
        PassTester.of(new Palettize()).withOptions(grouped(4, true)).run(two).assertChanged(true).assertStatistic("weights_compressed", 1)
                .assertDiagnostics("note[CW002]: palettize: weight 'b' left dense: group_size 4 does not divide the 6 channels on axis 0");
    }

    @Test
    void skipInapplicableLeavesAMisfitDenseWithANote() {
        PassTester.of(new Palettize()).withOptions(grouped(3, true)).assertUnchanged(SMALL_CONV).assertDiagnostics(
                "note[CW002]: palettize: weight 'w' left dense: group_size 3 does not divide the 4 channels on axis 0",
                "warning[CW007]: palettize compressed no weight: 1 weight left as it is: 1 the options do not fit (CW002)");
    }

    private static String matmulWith(int distinct) {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < distinct; i++) values.append(i == 0 ? "" : ", ").append(i);
        return """
                graph g(%x: f32[1,N]) {
                  %w: f32[N,1] = const dense<f32[N,1]: [VALUES]>
                  %y: f32[1,1] = onnx.MatMul(%x, %w) @mm
                  return %y
                }
                """.replace("VALUES", values).replace("N", String.valueOf(distinct));
    }

    @Test
    void uniqueModeFailsOnAWeightWithMoreThan256DistinctValuesUnlessItSkipsThem() {
        assertEquals("palettize: weight 'w' of 'mm': unique mode allows at most 256 distinct values per LUT, found 300; no weight was compressed",
                PassTester.of(new Palettize()).withOptions(unique(false)).assertFails(matmulWith(300)).getMessage());
        PassTester.of(new Palettize()).withOptions(unique(true)).assertUnchanged(matmulWith(300)).assertDiagnostics(
                "note[CW002]: palettize: weight 'w' left dense: unique mode allows at most 256 distinct values per LUT, found 300",
                "warning[CW007]: palettize compressed no weight: 1 weight left as it is: 1 the options do not fit (CW002)");
        PassTester.of(new Palettize()).withOptions(unique(false)).run(matmulWith(200)).assertChanged(true);
    }

    @Test
    void quantizeBlockSizeLargerThanTheInputAxisFails() {
        QuantizeWeights.Options o = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT8,
                QuantizeWeights.Granularity.PER_BLOCK, 8, 0);
        assertEquals("quantize_weights: weight 'w' of 'conv': block_size 8 is larger than the 2 inputs on axis 1; no weight was compressed",
                PassTester.of(new QuantizeWeights()).withOptions(o).assertFails(SMALL_CONV).getMessage());
    }

    @Test
    void structuredPruningWithBlocksOfMoreThanHalfTheChannelsFails() {
        Prune.Options o = new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.5), 3, Optional.empty(), Optional.of(0), 0);
        assertEquals("prune: weight 'w' of 'conv': block_size 3 is more than half of the 4 channels on axis 0; no weight was compressed",
                PassTester.of(new Prune()).withOptions(o).assertFails(SMALL_CONV).getMessage());
    }

    @Test
    void optionRecordsNameTheValidValues() {
        assertEquals("nbits must be one of 1, 2, 3, 4, 6, 8, got 5", assertThrowsMessage(() ->
                new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(5), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0)));
        for (double bad : new double[] {1, 1.5, -0.5}) {
            assertEquals("target_sparsity must be in [0, 1), got " + bad, assertThrowsMessage(() ->
                    new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(bad), 0, Optional.empty(), Optional.empty(), 0)));
        }
    }

    private static String assertThrowsMessage(org.junit.jupiter.api.function.Executable e) {
        return org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e).getMessage();
    }

    private static final String SHARED = """
            graph g(%x: f32[1,4]) {
              %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
              %a: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @first
              %b: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @second
              %y: f32[1,2] = onnx.Add(%a, %b) @add
              return %y
            }
            """;

    /** Options per node name, as a pipeline's {@code where { op_name(...) -> ... }} arms would give. */
    private static <O extends Record> ScopedOptions<O> byName(O base, String name, Optional<O> forThatNode) {
        return new ScopedOptions<>() {
            @Override public O base() { return base; }

            @Override public Optional<O> forNode(Node node) { return node.name().equals(name) ? forThatNode : Optional.of(base); }
        };
    }

    @Test
    void aSharedWeightWithEqualOptionsIsCompressedOnce() {
        int8.withScopedOptions(byName(INT8_PER_CHANNEL, "second", Optional.of(INT8_PER_CHANNEL))).assertTransforms(SHARED, """
                graph g(%x: f32[1,4]) {
                  %w_quantized: i8[2,4] = const dense<i8[2,4]: [32, -64, 127, 16, -21, 42, 127, -85]>
                  %w_scale: f32[2,1] = const dense<f32[2,1]: [0.015748031, 0.023622047]>
                  %w: f32[2,4] = pare.affine_dequantize(%w_quantized, %w_scale) @w_dequantized
                  %a: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @first
                  %b: f32[1,2] = onnx.Gemm(%x, %w) {transB=1} @second
                  %y: f32[1,2] = onnx.Add(%a, %b) @add
                  return %y
                }
                """).assertStatistic("weights_compressed", 1);
    }

    @Test
    void aSharedWeightWithDifferentOptionsFailsNamingBothNodes() {
        QuantizeWeights.Options int4 = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR, QuantizeWeights.Dtype.INT4,
                QuantizeWeights.Granularity.PER_CHANNEL, 32, 0);
        PassFailure f = int8.withScopedOptions(byName(INT8_PER_CHANNEL, "second", Optional.of(int4))).assertFails(SHARED);
        assertEquals("CW010", f.code());
        assertEquals("second", f.nodeName());
        assertEquals("quantize_weights: weight 'w' is shared by 'first' and 'second' whose quantize_weights options differ "
                + "(mode=linear_symmetric vs mode=linear, dtype=int8 vs dtype=int4)", f.getMessage());
        PassFailure skipped = int8.withScopedOptions(byName(INT8_PER_CHANNEL, "first", Optional.empty())).assertFails(SHARED);
        assertEquals("quantize_weights: weight 'w' is shared by 'first' and 'second' but quantize_weights skips 'first'", skipped.getMessage());
    }

    @Test
    void opNameScopingSkipsOneWeightAndOverridesAnother() {
        String ir = """
                graph g(%x: f32[1,4]) {
                  %w1: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %w2: f32[2,4] = const dense<f32[2,4]: [1, 2, 3, 4, 5, 6, 7, 8]>
                  %a: f32[1,2] = onnx.Gemm(%x, %w1) {transB=1} @skipped
                  %b: f32[1,2] = onnx.Gemm(%x, %w2) {transB=1} @kept
                  %y: f32[1,2] = onnx.Add(%a, %b) @add
                  return %y
                }
                """;
        int8.withScopedOptions(byName(INT8_PER_CHANNEL, "skipped", Optional.empty())).assertTransforms(ir, """
                graph g(%x: f32[1,4]) {
                  %w1: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %w2_quantized: i8[2,4] = const dense<i8[2,4]: [32, 64, 95, 127, 79, 95, 111, 127]>
                  %w2_scale: f32[2,1] = const dense<f32[2,1]: [0.031496063, 0.062992126]>
                  %w2: f32[2,4] = pare.affine_dequantize(%w2_quantized, %w2_scale) @w2_dequantized
                  %a: f32[1,2] = onnx.Gemm(%x, %w1) {transB=1} @skipped
                  %b: f32[1,2] = onnx.Gemm(%x, %w2) {transB=1} @kept
                  %y: f32[1,2] = onnx.Add(%a, %b) @add
                  return %y
                }
                """).assertDiagnostics();
    }

    @Test
    void aConstantAlsoUsedAsAnActivationStaysDense() {
        PassTester.of(new Palettize()).withOptions(kmeans(2)).assertUnchanged("""
                graph g(%x: f32[1,2]) {
                  %w: f32[2,4] = const dense<f32[2,4]: [0.5, -1, 2, 0.25, -0.5, 1, 3, -2]>
                  %y: f32[1,4] = onnx.MatMul(%x, %w) @mm
                  %z: f32[2,4] = onnx.Add(%w, %w) @add
                  return %y, %z
                }
                """).assertDiagnostics("note[CW004]: palettize: weight 'w' is also operand 0 of 'add' (onnx.Add); left dense",
                "warning[CW007]: palettize compressed no weight: 1 weight left as it is: 1 also used other than as a weight (CW004)");
    }

    @Test
    void anAlreadyCompressedWeightIsLeftAlone() {
        String quantized = int8.run(SMALL_CONV.replace("onnx.Conv", "onnx.Conv")).after();
        PassTester.of(new Prune()).withOptions(new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.5), 0, Optional.empty(), Optional.empty(), 0))
                .assertUnchanged(quantized).assertDiagnostics(
                        "note[CW003]: prune: weight 'w' is already compressed (pare.affine_dequantize); left as it is",
                        "warning[CW007]: prune compressed no weight: 1 weight left as it is: 1 already compressed (CW003)");
    }

    // ---- determinism -------------------------------------------------------------------------

    /** Three 32x64 weights, vector k-means (the randomized path). */
    private static Graph threeWeights() {
        Graph g = new Graph("g");
        var rw = g.rewriter();
        var x = rw.addInput("x", dev.pare.ir.TensorType.of(DType.FLOAT32, 1, 64));
        for (int i = 0; i < 3; i++) {
            var w = rw.addConstant("w" + i, Tensors.ofFloats(DType.FLOAT32, new long[] {32, 64},
                    WeightGraphs.randomWeights(32 * 64, 100 + i, Precision.FLOAT32)));
            var y = rw.createNode("gemm" + i, "onnx.Gemm", List.of(x, w), List.of("y" + i),
                    List.of(dev.pare.ir.TensorType.of(DType.FLOAT32, 1, 32)),
                    dev.pare.ir.Attributes.of(java.util.Map.of("transB", dev.pare.ir.Attribute.of(1L))), dev.pare.ir.Location.UNKNOWN).result(0);
            rw.addOutput(y);
        }
        return g;
    }

    private static final Palettize.Options VECTOR = new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(3), Palettize.Granularity.PER_GROUPED_CHANNEL,
            8, Optional.empty(), false, 2, List.of(), 0);

    private static String palettizeWith(ExecutorService executor, long seed) throws PassFailure {
        Graph g = threeWeights();
        new Palettize().create(ScopedOptions.uniform(VECTOR)).run(g, new PoolContext(executor, seed));
        WeightGraphs.run(new DecompressWeights().create(ScopedOptions.uniform(new DecompressWeights.Options())), g, 0);
        StringBuilder sb = new StringBuilder(IrPrinter.print(g));
        for (int i = 0; i < 3; i++) sb.append(java.util.Arrays.toString(WeightGraphs.constant(g, "w" + i)));
        return sb.toString();
    }

    @Test
    void resultsDependOnTheSeedButNotOnTheThreadCount() throws Exception {
        ExecutorService one = Executors.newFixedThreadPool(1);
        ExecutorService four = Executors.newFixedThreadPool(4);
        try {
            String a = palettizeWith(one, 5);
            assertEquals(a, palettizeWith(four, 5));
            assertEquals(a, palettizeWith(new dev.pare.testkit.DirectExecutorService(), 5));
            assertNotEquals(a, palettizeWith(four, 6));
        } finally {
            one.shutdownNow();
            four.shutdownNow();
        }
    }

    /** A context with a real thread pool. */
    private record PoolContext(ExecutorService executor, RandomGenerator random) implements PassContext {
        PoolContext(ExecutorService executor, long seed) { this(executor, new SplittableRandom(seed)); }

        @Override public Diagnostics diagnostics() { return d -> { }; }

        @Override public Statistics statistics() { return (c, d) -> { }; }

        @Override public <T> Optional<T> service(Class<T> type) { return Optional.empty(); }
    }
}
