package dev.pare.passes.compression;

import static dev.pare.passes.compression.WeightGraphs.constant;
import static dev.pare.passes.compression.WeightGraphs.gemm;
import static dev.pare.passes.compression.WeightGraphs.pass;
import static dev.pare.passes.compression.WeightGraphs.randomWeights;
import static dev.pare.passes.compression.WeightGraphs.run;
import static dev.pare.passes.compression.WeightGraphs.tensor;
import static dev.pare.passes.compression.WeightGraphs.weightSeed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Node;
import dev.pare.ir.Verifier;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.Pruner;
import dev.pare.passes.compression.math.PruningResult;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.passes.compression.math.WeightTensor;
import dev.pare.spi.PassFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every mode and granularity: decompress_weights(pass(w)) equals, bit for bit, the dense
 * weight the math library meant ({@code decompress()} of its own result for the same options and
 * seed). The pass output goes through the contract evaluator, which shares no code with the math.
 */
class DecompressMatchesMathTest {

    private static final int OUT = 16;
    private static final int IN = 64;
    private static final long SEED = 42;

    static Stream<Arguments> palettizeCases() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (int nbits : new int[] {1, 2, 3, 4, 6, 8}) out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, nbits, false, 32, false, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.UNIFORM, 4, false, 32, false, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.UNIFORM, 3, true, 4, false, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 4, true, 4, false, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 4, false, 32, true, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 3, true, 8, true, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 2, false, 32, false, 2, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 2, true, 4, false, 4, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.CUSTOM, null, false, 32, false, 1, List.of(-0.25f, 0f, 0.25f))));
            out.add(Arguments.of(p, opts(Palettize.Mode.CUSTOM, null, true, 8, false, 2, List.of(-0.2f, -0.2f, 0.1f, 0.3f))));
        }
        return out.stream();
    }

    private static Palettize.Options opts(Palettize.Mode mode, Integer nbits, boolean grouped, int groupSize, boolean scale, int clusterDim,
                                          List<Float> lut) {
        return new Palettize.Options(mode, Optional.ofNullable(nbits), grouped ? Palettize.Granularity.PER_GROUPED_CHANNEL : Palettize.Granularity.PER_TENSOR,
                groupSize, Optional.empty(), scale, clusterDim, lut, 0);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("palettizeCases")
    void palettize(Precision precision, Palettize.Options options) throws PassFailure {
        float[] w = randomWeights(OUT * IN, 7, precision);
        Graph g = gemm(w, OUT, IN, precision.dtype());
        run(pass(new Palettize(), options), g, SEED);
        assertEquals(1, g.nodes().stream().filter(n -> n.op().equals("pare.lut_to_dense")).count(), IrPrinter.print(g));
        float[] expected = new Palettizer(null).palettize(tensor(w, OUT, IN, precision), options.toMath(0),
                new SplittableRandom(weightSeed(SEED, 0)), null).decompress();
        assertDecompressesTo(g, precision, expected);
    }

    @ParameterizedTest(name = "palettize unique {0}")
    @MethodSource("precisions")
    void palettizeUniqueKeepsEveryValue(Precision precision) throws PassFailure {
        float[] w = new float[OUT * IN];
        for (int i = 0; i < w.length; i++) w[i] = precision.round((i * 7 % 13 - 6) / 8f);
        Graph g = gemm(w, OUT, IN, precision.dtype());
        run(pass(new Palettize(), opts(Palettize.Mode.UNIQUE, null, false, 32, false, 1, List.of())), g, SEED);
        assertTrue(IrPrinter.print(g).contains("%w_indices: u4[16,64]"), IrPrinter.print(g));
        assertDecompressesTo(g, precision, w);
    }

    static Stream<Arguments> quantizeCases() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (QuantizeWeights.Mode mode : QuantizeWeights.Mode.values()) {
                for (QuantizeWeights.Dtype dtype : QuantizeWeights.Dtype.values()) {
                    for (QuantizeWeights.Granularity gr : QuantizeWeights.Granularity.values()) {
                        out.add(Arguments.of(p, new QuantizeWeights.Options(mode, dtype, gr, 16, 0)));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("quantizeCases")
    void quantize(Precision precision, QuantizeWeights.Options options) throws PassFailure {
        float[] w = randomWeights(OUT * IN, 11, precision);
        Graph g = gemm(w, OUT, IN, precision.dtype());
        run(pass(new QuantizeWeights(), options), g, SEED);
        float[] expected = LinearQuantizer.quantize(tensor(w, OUT, IN, precision), mathOptions(options)).decompress();
        assertDecompressesTo(g, precision, expected);
    }

    /** 40 input channels in blocks of 16: the last block holds 8, so the op carries block_sizes. */
    @ParameterizedTest(name = "partial last block {0} {1}")
    @MethodSource("partialBlockCases")
    void quantizePartialLastBlock(Precision precision, QuantizeWeights.Options options) throws PassFailure {
        int in = 40;
        float[] w = randomWeights(OUT * in, 13, precision);
        Graph g = gemm(w, OUT, in, precision.dtype());
        run(pass(new QuantizeWeights(), options), g, SEED);
        String ir = dev.pare.ir.IrPrinter.print(g);
        org.junit.jupiter.api.Assertions.assertTrue(ir.contains("block_sizes=[1, 16]"), ir);
        float[] expected = LinearQuantizer.quantize(tensor(w, OUT, in, precision), mathOptions(options)).decompress();
        assertDecompressesTo(g, precision, expected);
    }

    static Stream<Arguments> partialBlockCases() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            out.add(Arguments.of(p, new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT4,
                    QuantizeWeights.Granularity.PER_BLOCK, 16, 0)));
            out.add(Arguments.of(p, new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR, QuantizeWeights.Dtype.UINT8,
                    QuantizeWeights.Granularity.PER_BLOCK, 16, 0)));
        }
        return out.stream();
    }

    private static LinearQuantizerOptions mathOptions(QuantizeWeights.Options o) {
        QuantGranularity gr = switch (o.granularity()) {
            case PER_TENSOR -> new QuantGranularity.PerTensor();
            case PER_CHANNEL -> new QuantGranularity.PerChannel(0);
            case PER_BLOCK -> new QuantGranularity.PerBlock(0, 1, o.blockSize());
        };
        return new LinearQuantizerOptions(LinearQuantizerOptions.Mode.valueOf(o.mode().name()), DType.valueOf(o.dtype().name()), gr);
    }

    static Stream<Arguments> pruneCases() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            out.add(Arguments.of(p, new Prune.Options(Prune.Mode.THRESHOLD, 0.05, 0.1, Optional.empty(), 0, Optional.empty(), Optional.empty(), 0)));
            out.add(Arguments.of(p, new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.5), 0, Optional.empty(), Optional.empty(), 0)));
            out.add(Arguments.of(p, new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.75), 4, Optional.empty(), Optional.empty(), 0)));
            out.add(Arguments.of(p, new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.empty(), 0, Optional.of("2:4"), Optional.empty(), 0)));
            out.add(Arguments.of(p, new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.empty(), 0, Optional.of("1:4"), Optional.of(0), 0)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("pruneCases")
    void prune(Precision precision, Prune.Options options) throws PassFailure {
        float[] w = randomWeights(OUT * IN, 13, precision);
        Graph g = gemm(w, OUT, IN, precision.dtype());
        run(pass(new Prune(), options), g, SEED);
        assertDecompressesTo(g, precision, pruned(w, precision, options).decompress());
    }

    private static PruningResult pruned(float[] w, Precision precision, Prune.Options options) {
        WeightTensor t = tensor(w, OUT, IN, precision);
        if (options.mode() == Prune.Mode.THRESHOLD) return Pruner.threshold(t, options.thresholdOptions());
        Integer axis = options.structured() ? options.dim().orElse(options.blockSize() != 0 ? 0 : 1) : null;
        return Pruner.magnitude(t, options.magnitudeOptions(axis));
    }

    static Stream<Arguments> jointCases() {
        List<Arguments> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 2, false, 32, false, 1, List.of())));
            out.add(Arguments.of(p, opts(Palettize.Mode.KMEANS, 4, true, 4, true, 1, List.of())));
            out.add(Arguments.of(p, new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT4,
                    QuantizeWeights.Granularity.PER_BLOCK, 16, 0)));
            out.add(Arguments.of(p, new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR, QuantizeWeights.Dtype.UINT8,
                    QuantizeWeights.Granularity.PER_CHANNEL, 16, 0)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "prune then {1} ({0})")
    @MethodSource("jointCases")
    void jointCompressionKeepsZerosAndStaysSparse(Precision precision, Record second) throws PassFailure {
        float[] w = randomWeights(OUT * IN, 17, precision);
        Graph g = gemm(w, OUT, IN, precision.dtype());
        Prune.Options prune = new Prune.Options(Prune.Mode.MAGNITUDE, 0, 0.5, Optional.of(0.5), 0, Optional.empty(), Optional.empty(), 0);
        run(pass(new Prune(), prune), g, SEED);
        PruningResult pr = pruned(w, precision, prune);
        WeightTensor dense = tensor(pr.decompress(), OUT, IN, precision);
        float[] expected;
        if (second instanceof Palettize.Options po) {
            run(pass(new Palettize(), po), g, SEED);
            expected = new Palettizer(null).palettize(dense, po.toMath(0), new SplittableRandom(weightSeed(SEED, 0)), pr.keep()).decompress();
        } else {
            QuantizeWeights.Options qo = (QuantizeWeights.Options) second;
            run(pass(new QuantizeWeights(), qo), g, SEED);
            expected = LinearQuantizer.quantize(dense, mathOptions(qo), pr.keep()).decompress();
        }
        Node sparse = g.value("w").orElseThrow().producer();
        assertEquals("pare.sparse_to_dense", sparse.op(), IrPrinter.print(g));
        assertEquals("w_mask", sparse.operand(0).name());
        assertEquals(1, g.nodes().stream().filter(n -> n.op().equals("pare.sparse_to_dense")).count());
        float[] actual = assertDecompressesTo(g, precision, expected);
        for (int e = 0; e < actual.length; e++) {
            if (!pr.keep()[e]) assertEquals(0, Float.floatToRawIntBits(actual[e]), "pruned element " + e + " is not +0.0");
        }
    }

    static Stream<Precision> precisions() {
        return Stream.of(Precision.values());
    }

    /** Runs decompress_weights and checks the dense weight's type and bits; returns its values. */
    private static float[] assertDecompressesTo(Graph g, Precision precision, float[] expected) throws PassFailure {
        assertTrue(Verifier.verify(g).isEmpty(), Verifier.verify(g).toString());
        run(pass(new DecompressWeights(), new DecompressWeights.Options()), g, 0);
        assertTrue(Verifier.verify(g).isEmpty(), Verifier.verify(g).toString());
        assertTrue(g.nodes().stream().noneMatch(n -> n.dialect().equals("pare")), IrPrinter.print(g));
        assertEquals(List.of("w"), g.constants().stream().map(v -> v.name()).toList(), "compressed data constants are removed");
        assertEquals(precision.dtype(), g.value("w").orElseThrow().data().dtype());
        float[] actual = constant(g, "w");
        int[] a = new int[actual.length];
        int[] e = new int[expected.length];
        for (int i = 0; i < a.length; i++) a[i] = Float.floatToRawIntBits(actual[i]);
        for (int i = 0; i < e.length; i++) e[i] = Float.floatToRawIntBits(expected[i]);
        assertArrayEquals(e, a);
        return actual;
    }
}
