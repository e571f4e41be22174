package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.pare.passes.compression.math.ThresholdPrunerOptions;
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
 * prune (threshold and unstructured magnitude) on a weight it reads a piece at a time, and
 * palettize (per-tensor k-means) on the kept values of such a pruned weight, give the same graph,
 * constants and statistics as on the weight read whole.
 */
class PruneStreamedWeightsTest {

    @TempDir Path dir;

    private static final Prune PRUNE_STREAMING = new Prune(WeightTraits.discover(), 0, 104);
    private static final Prune PRUNE_WHOLE = new Prune(WeightTraits.discover(), Long.MAX_VALUE, 104);
    private static final Palettize PALETTIZE_STREAMING = new Palettize(WeightTraits.discover(), 0, 104);
    private static final Palettize PALETTIZE_WHOLE = new Palettize(WeightTraits.discover(), Long.MAX_VALUE, 104);

    /** An embedding [300, 256] read by a Gather. */
    private static Graph model(DType f) {
        float[] values = WeightGraphs.randomWeights(300 * 256, 5, Precision.of(f));
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value ids = rw.addInput("ids", TensorType.of(DType.INT64, 3));
        Value e = rw.addConstant("e", Tensors.ofFloats(f, new long[] {300, 256}, values));
        rw.addOutput(rw.createNode("embed", "onnx.Gather", List.of(e, ids), List.of("y"), List.of(TensorType.of(f, 3, 256)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }


    private static Prune.Options magnitude(double target) {
        return new Prune.Options(Prune.Mode.MAGNITUDE, ThresholdPrunerOptions.DEFAULT_THRESHOLD,
                ThresholdPrunerOptions.DEFAULT_MINIMUM_SPARSITY_PERCENTILE, Optional.of(target), 0, Optional.empty(), Optional.empty(), 0);
    }

    private static Prune.Options threshold(double threshold, double minimumSparsity) {
        return new Prune.Options(Prune.Mode.THRESHOLD, threshold, minimumSparsity, Optional.empty(), 0, Optional.empty(), Optional.empty(), 0);
    }

    private static Palettize.Options kmeans(int nbits) {
        return new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(nbits), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0, false);
    }

    /** Runs prune, then palettize when given; the printed graph, every constant's hash and the statistics. */
    private static String run(Prune prune, Prune.Options o, Palettize palettize, Palettize.Options p, Graph g, TensorStore store)
            throws PassFailure {
        dev.pare.spi.Pass pruning = prune.create(ScopedOptions.uniform(o));
        return palettize == null ? StoreContext.runAndDescribe(g, store, pruning)
                : StoreContext.runAndDescribe(g, store, pruning, palettize.create(ScopedOptions.uniform(p)));
    }

    @Test
    void magnitudeAndThresholdPruningGiveTheSameResultStreamedAsWhole() throws PassFailure {
        for (DType f : new DType[] {DType.FLOAT16, DType.FLOAT32}) {
            for (Prune.Options o : List.of(magnitude(0.5), magnitude(0.9), magnitude(0), threshold(0.1, 0.3))) {
                assertEquals(run(PRUNE_WHOLE, o, null, null, model(f), TensorStore.heap()),
                        run(PRUNE_STREAMING, o, null, null, model(f), TensorStore.heap()), f + " " + o);
            }
        }
    }

    @Test
    void palettizingAPrunedWeightGivesTheSameResultStreamedAsWhole() throws PassFailure {
        for (DType f : new DType[] {DType.FLOAT16, DType.FLOAT32}) {
            for (int nbits : new int[] {2, 4, 8}) {
                String whole = run(PRUNE_WHOLE, magnitude(0.5), PALETTIZE_WHOLE, kmeans(nbits), model(f), TensorStore.heap());
                assertEquals(whole, run(PRUNE_STREAMING, magnitude(0.5), PALETTIZE_STREAMING, kmeans(nbits), model(f), TensorStore.heap()),
                        f + " nbits " + nbits);
                // each half streamed on its own, too
                assertEquals(whole, run(PRUNE_WHOLE, magnitude(0.5), PALETTIZE_STREAMING, kmeans(nbits), model(f), TensorStore.heap()));
                assertEquals(whole, run(PRUNE_STREAMING, magnitude(0.5), PALETTIZE_WHOLE, kmeans(nbits), model(f), TensorStore.heap()));
            }
        }
    }

    @Test
    void theMaskKeptValuesAndIndicesAreWrittenToTheFileStore() throws PassFailure {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            Graph g = model(DType.FLOAT32);
            assertEquals(run(PRUNE_WHOLE, magnitude(0.5), PALETTIZE_WHOLE, kmeans(4), model(DType.FLOAT32), TensorStore.heap()),
                    run(PRUNE_STREAMING, magnitude(0.5), PALETTIZE_STREAMING, kmeans(4), g, store));
            for (String name : List.of("e_mask", "e_indices")) {
                DenseData d = (DenseData) g.value(name).orElseThrow().data();
                assertTrue(d.origin().startsWith("store@"), name + ": " + d.origin());
            }
            // the mask, the kept fp32 values (half of the weight, which palettize then replaces by indices) and 4-bit indices
            assertEquals(300 * 256 / 8 + 300 * 256 / 2 * 4 + 300 * 256 / 2, store.storedBytes());
        }
    }

    @Test
    void aPieceMustBeAPositiveMultipleOf8() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Prune(WeightTraits.discover(), 0, 12));
        assertEquals("prune: piece must be a positive multiple of 8, got 12", e.getMessage());
    }
}
