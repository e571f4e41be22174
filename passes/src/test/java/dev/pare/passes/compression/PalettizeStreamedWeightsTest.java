package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Attributes;
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
 * palettize (per-tensor k-means) on a weight it reads a piece at a time gives the same graph,
 * constants and statistics as on the weight read whole, on each way the clustering goes: exact
 * distinct values per bin (fp16), few distinct values counted, and bins refined near the boundaries.
 */
class PalettizeStreamedWeightsTest {

    @TempDir Path dir;

    private static final Palettize STREAMING = new Palettize(WeightTraits.discover(), 0, 104);
    private static final Palettize WHOLE = new Palettize(WeightTraits.discover(), Long.MAX_VALUE, 104);

    /** An embedding [300, 256] (76,800 values: enough for the labelling table) read by a Gather. */
    private static Graph model(DType f, float[] values) {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value ids = rw.addInput("ids", TensorType.of(DType.INT64, 3));
        Value e = rw.addConstant("e", Tensors.ofFloats(f, new long[] {300, 256}, values));
        rw.addOutput(rw.createNode("embed", "onnx.Gather", List.of(e, ids), List.of("y"), List.of(TensorType.of(f, 3, 256)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }

    private static float[] gaussian(Precision p) {
        return WeightGraphs.randomWeights(300 * 256, 5, p);
    }

    /** Values drawn from 1,000 distinct floats, 20 neighbours around each of 50 (several per bin: they are counted exactly). */
    private static float[] fewDistinct() {
        SplittableRandom r = new SplittableRandom(9);
        float[] pool = new float[1000];
        for (int i = 0; i < pool.length; i++) pool[i] = i % 20 == 0 ? (float) r.nextGaussian() : Math.nextUp(pool[i - 1]);
        float[] w = new float[300 * 256];
        for (int i = 0; i < w.length; i++) w[i] = pool[r.nextInt(pool.length)];
        return w;
    }


    private static Palettize.Options kmeans(int nbits) {
        return new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(nbits), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0, false);
    }

    private static String run(Palettize provider, Palettize.Options o, Graph g, TensorStore store) throws PassFailure {
        return StoreContext.runAndDescribe(g, store, provider.create(ScopedOptions.uniform(o)));
    }

    @Test
    void everyNbitsAndEveryWayOfClusteringGivesTheSameResultStreamedAsWhole() throws PassFailure {
        int runs = 0;
        for (int nbits : new int[] {1, 2, 3, 4, 6, 8}) {
            Palettize.Options o = kmeans(nbits);
            assertEquals(run(WHOLE, o, model(DType.FLOAT16, gaussian(Precision.FLOAT16)), TensorStore.heap()),
                    run(STREAMING, o, model(DType.FLOAT16, gaussian(Precision.FLOAT16)), TensorStore.heap()), "fp16, nbits " + nbits);
            assertEquals(run(WHOLE, o, model(DType.FLOAT32, gaussian(Precision.FLOAT32)), TensorStore.heap()),
                    run(STREAMING, o, model(DType.FLOAT32, gaussian(Precision.FLOAT32)), TensorStore.heap()), "fp32, nbits " + nbits);
            assertEquals(run(WHOLE, o, model(DType.FLOAT32, fewDistinct()), TensorStore.heap()),
                    run(STREAMING, o, model(DType.FLOAT32, fewDistinct()), TensorStore.heap()), "few distinct, nbits " + nbits);
            runs += 3;
        }
        assertEquals(18, runs);
    }

    @Test
    void streamedIndicesAreWrittenToTheFileStore() throws PassFailure {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            Graph g = model(DType.FLOAT32, gaussian(Precision.FLOAT32));
            assertEquals(run(WHOLE, kmeans(4), model(DType.FLOAT32, gaussian(Precision.FLOAT32)), TensorStore.heap()),
                    run(STREAMING, kmeans(4), g, store));
            DenseData indices = (DenseData) g.value("e_indices").orElseThrow().data();
            assertTrue(indices.origin().startsWith("store@"), indices.origin());
            assertEquals(300 * 256 / 2, store.storedBytes());
        }
    }

    @Test
    void optionsOtherThanPerTensorKMeansAreNotStreamed() throws PassFailure {
        Palettize.Options uniform = new Palettize.Options(Palettize.Mode.UNIFORM, Optional.of(4), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1,
                List.of(), 0, false);
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            assertEquals(run(WHOLE, uniform, model(DType.FLOAT32, gaussian(Precision.FLOAT32)), TensorStore.heap()),
                    run(STREAMING, uniform, model(DType.FLOAT32, gaussian(Precision.FLOAT32)), store));
        }
    }

    /** Values drawn from {@code distinct} floats. */
    private static float[] drawnFrom(int distinct) {
        SplittableRandom r = new SplittableRandom(4);
        float[] pool = new float[distinct];
        for (int i = 0; i < distinct; i++) pool[i] = (float) r.nextGaussian();
        float[] w = new float[300 * 256];
        for (int i = 0; i < w.length; i++) w[i] = pool[i < distinct ? i : r.nextInt(distinct)];
        return w;
    }

    @Test
    void uniqueModeCountsDistinctValuesAPieceAtATimeWithTheSameOutcome() throws PassFailure {
        Palettize.Options unique = new Palettize.Options(Palettize.Mode.UNIQUE, Optional.empty(), Palettize.Granularity.PER_TENSOR, 32,
                Optional.empty(), false, 1, List.of(), 0, false);
        for (float[] w : new float[][] {fewDistinct(), gaussian(Precision.FLOAT32)}) {
            PassFailure whole = assertThrows(PassFailure.class, () -> run(WHOLE, unique, model(DType.FLOAT32, w), TensorStore.heap()));
            PassFailure streamed = assertThrows(PassFailure.class, () -> run(STREAMING, unique, model(DType.FLOAT32, w), TensorStore.heap()));
            assertEquals(whole.getMessage(), streamed.getMessage());
        }
        PassFailure many = assertThrows(PassFailure.class, () -> run(STREAMING, unique, model(DType.FLOAT32, gaussian(Precision.FLOAT32)),
                TensorStore.heap()));
        assertTrue(many.getMessage().endsWith("palettize: weight 'e' of 'embed': unique mode allows at most 256 distinct values per LUT, "
                + "found more than 65536; no weight was compressed"), many.getMessage());
        // 200 distinct values fit: compressed (whole) to the same result
        assertEquals(run(WHOLE, unique, model(DType.FLOAT16, drawnFrom(200)), TensorStore.heap()),
                run(STREAMING, unique, model(DType.FLOAT16, drawnFrom(200)), TensorStore.heap()));
    }

    @Test
    void aPieceMustBeAPositiveMultipleOf8() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Palettize(WeightTraits.discover(), 0, 0));
        assertEquals("palettize: piece must be a positive multiple of 8, got 0", e.getMessage());
    }
}
