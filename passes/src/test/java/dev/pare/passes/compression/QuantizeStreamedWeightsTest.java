package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.Precision;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Statistics;
import dev.pare.testkit.DirectExecutorService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * quantize_weights on a weight it reads a piece at a time gives the same graph, constants and
 * statistics as on the weight read whole; small pieces stand in for a weight over 2 GiB.
 */
class QuantizeStreamedWeightsTest {

    @TempDir Path dir;

    /** Streams every weight, 104 elements (not a row, not a block) at a time. */
    private static final QuantizeWeights STREAMING = new QuantizeWeights(WeightTraits.discover(), 0, 104);
    private static final QuantizeWeights WHOLE = new QuantizeWeights(WeightTraits.discover(), Long.MAX_VALUE, 104);

    /** A Gemm weight [24, 130] (output axis 0), a MatMul weight [130, 24] (output axis 1) and a Gather embedding [128, 64]. */
    private static Graph model(Precision p, int nanAt) {
        DType f = p == Precision.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(f, 1, 130));
        Value ids = rw.addInput("ids", TensorType.of(DType.INT64, 3));
        float[] gemm = WeightGraphs.randomWeights(24 * 130, 1, p);
        if (nanAt >= 0) gemm[nanAt] = Float.NaN;
        Value a = rw.addConstant("a", Tensors.ofFloats(f, new long[] {24, 130}, gemm));
        Value b = rw.addConstant("b", Tensors.ofFloats(f, new long[] {130, 24}, WeightGraphs.randomWeights(130 * 24, 2, p)));
        Value e = rw.addConstant("e", Tensors.ofFloats(f, new long[] {128, 64}, WeightGraphs.randomWeights(128 * 64, 3, p)));
        rw.addOutput(rw.createNode("gemm", "onnx.Gemm", List.of(x, a), List.of("y0"), List.of(TensorType.of(f, 1, 24)),
                Attributes.of(Map.of("transB", Attribute.of(1L))), Location.UNKNOWN).result(0));
        rw.addOutput(rw.createNode("matmul", "onnx.MatMul", List.of(x, b), List.of("y1"), List.of(TensorType.of(f, 1, 24)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        rw.addOutput(rw.createNode("embed", "onnx.Gather", List.of(e, ids), List.of("y2"), List.of(TensorType.of(f, 3, 64)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }


    /** The printed graph, every constant's bytes and the statistics. */
    private static String run(QuantizeWeights provider, QuantizeWeights.Options o, Graph g, TensorStore store) throws PassFailure {
        return StoreContext.runAndDescribe(g, store, provider.create(ScopedOptions.uniform(o)));
    }

    @Test
    void everyModeTypeAndGranularityGivesTheSameResultStreamedAsWhole() throws PassFailure {
        int runs = 0;
        for (Precision p : Precision.values()) {
            for (QuantizeWeights.Mode mode : QuantizeWeights.Mode.values()) {
                for (QuantizeWeights.Dtype dtype : QuantizeWeights.Dtype.values()) {
                    for (QuantizeWeights.Granularity granularity : QuantizeWeights.Granularity.values()) {
                        for (int block : granularity == QuantizeWeights.Granularity.PER_BLOCK ? new int[] {32, 48} : new int[] {32}) {
                            QuantizeWeights.Options o = new QuantizeWeights.Options(mode, dtype, granularity, block, 0);
                            String what = p + " " + o;
                            assertEquals(run(WHOLE, o, model(p, -1), TensorStore.heap()),
                                    run(STREAMING, o, model(p, -1), TensorStore.heap()), what);
                            runs++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * 2 * 4 * 4, runs);
    }

    @Test
    void streamedCodesAreWrittenToTheFileStoreAndReadBackTheSame() throws PassFailure {
        QuantizeWeights.Options int4 = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT4,
                QuantizeWeights.Granularity.PER_BLOCK, 32, 0);
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            Graph g = model(Precision.FLOAT32, -1);
            String streamed = run(STREAMING, int4, g, store);
            assertEquals(run(WHOLE, int4, model(Precision.FLOAT32, -1), TensorStore.heap()), streamed);
            DenseData codes = (DenseData) g.value("e_quantized").orElseThrow().data();
            assertTrue(codes.origin().startsWith("store@"), codes.origin());
            assertEquals(128 * 64 / 2, store.storedBytes(), "the embedding's 4-bit codes; the smaller tensors stay on the heap");
        }
    }

    @Test
    void aValueThatIsNotFiniteFailsTheCheckAsTheWholeWeightDoes() {
        QuantizeWeights.Options o = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT8,
                QuantizeWeights.Granularity.PER_CHANNEL, 32, 0);
        String whole = assertThrows(PassFailure.class, () -> run(WHOLE, o, model(Precision.FLOAT32, 1000), TensorStore.heap())).getMessage();
        String streamed = assertThrows(PassFailure.class, () -> run(STREAMING, o, model(Precision.FLOAT32, 1000), TensorStore.heap())).getMessage();
        assertEquals("quantize_weights: weight 'a' of 'gemm': weight: element 1000 is not finite (NaN); no weight was compressed", streamed);
        assertEquals(whole, streamed);
        // float16: the check tests the stored bits, without widening
        String half = assertThrows(PassFailure.class, () -> run(STREAMING, o, model(Precision.FLOAT16, 1000), TensorStore.heap())).getMessage();
        assertEquals(streamed, half);
        assertEquals(assertThrows(PassFailure.class, () -> run(WHOLE, o, model(Precision.FLOAT16, 1000), TensorStore.heap())).getMessage(), half);
    }

    @Test
    void aPieceMustBeAPositiveMultipleOf8() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QuantizeWeights(WeightTraits.discover(), 0, 12));
        assertEquals("quantize_weights: piece must be a positive multiple of 8, got 12", e.getMessage());
    }
}
