package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.Graph;
import dev.pare.ir.TensorStore;
import dev.pare.passes.compression.math.Precision;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * palettize with {@code enable_per_channel_scale} on a weight it reads a piece at a time (scales in
 * one pass, then the scaled values through the streamed per-tensor or grouped palettizer) gives the
 * same graph, constants and statistics as on the weight read whole: float16 and float32, channel
 * axis 0 and 1, per-tensor k-means and grouped LUTs, pieces that cut channels.
 */
class PalettizeStreamedScaleTest {

    @TempDir Path dir;

    private static final Palettize WHOLE = new Palettize(WeightTraits.discover(), Long.MAX_VALUE, 104);
    /** Pieces of 104 elements: a piece ends inside a channel and a row. */
    private static final Palettize SMALL_PIECES = new Palettize(WeightTraits.discover(), 0, 104);
    private static final Palettize LARGE_PIECES = new Palettize(WeightTraits.discover(), 0, 8192);

    /** A [300, 256] weight read by a MatMul as its right operand (output channels on axis 1). */
    private static Graph model(DType f, float[] values) {
        return WeightGraphs.matMul(values, 300, 256, f);
    }

    private static Palettize.Options scaled(Palettize.Granularity granularity, int nbits, int groupSize, Optional<Integer> axis) {
        return new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(nbits), granularity, groupSize, axis, true, 1, List.of(), 0, false);
    }

    private static String run(Palettize provider, Palettize.Options o, Graph g, TensorStore store) throws PassFailure {
        return StoreContext.runAndDescribe(g, store, provider.create(ScopedOptions.uniform(o)));
    }

    private static void sameStreamedAsWhole(DType f, Palettize.Options o, String what) throws PassFailure {
        float[] w = WeightGraphs.randomWeights(300 * 256, 13, Precision.of(f));
        for (int i = 0; i < 256; i++) w[7 * 256 + i] *= 40; // one row of outliers: the scales differ per channel
        String whole = run(WHOLE, o, model(f, w), TensorStore.heap());
        assertTrue(whole.contains("w_scale"), what + ": a per-channel scale was emitted\n" + whole);
        assertEquals(whole, run(SMALL_PIECES, o, model(f, w), TensorStore.heap()), what + ", small pieces");
        assertEquals(whole, run(LARGE_PIECES, o, model(f, w), TensorStore.heap()), what + ", large pieces");
    }

    @Test
    void perTensorKMeansWithAScaleGivesTheSameResultByPiecesAsWhole() throws PassFailure {
        for (DType f : new DType[] {DType.FLOAT16, DType.FLOAT32}) {
            sameStreamedAsWhole(f, scaled(Palettize.Granularity.PER_TENSOR, 4, 32, Optional.empty()), f + " output axis");
            sameStreamedAsWhole(f, scaled(Palettize.Granularity.PER_TENSOR, 3, 32, Optional.of(0)), f + " axis 0");
        }
    }

    @Test
    void groupedLutsWithAScaleGiveTheSameResultByBandsAsWhole() throws PassFailure {
        sameStreamedAsWhole(DType.FLOAT16, scaled(Palettize.Granularity.PER_GROUPED_CHANNEL, 4, 16, Optional.of(1)), "grouped 16, axis 1");
        sameStreamedAsWhole(DType.FLOAT32, scaled(Palettize.Granularity.PER_GROUPED_CHANNEL, 2, 4, Optional.of(0)), "grouped 4, axis 0");
    }

    @Test
    void streamedIndicesGoToTheFileStore() throws PassFailure {
        float[] w = WeightGraphs.randomWeights(300 * 256, 13, Precision.FLOAT16);
        Palettize.Options o = scaled(Palettize.Granularity.PER_TENSOR, 4, 32, Optional.empty());
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            Graph g = model(DType.FLOAT16, w);
            assertEquals(run(WHOLE, o, model(DType.FLOAT16, w), TensorStore.heap()), run(LARGE_PIECES, o, g, store));
            DenseData indices = (DenseData) g.value("w_indices").orElseThrow().data();
            assertTrue(indices.origin().startsWith("store@"), indices.origin());
            assertEquals(300 * 256 / 2, indices.byteSize());
            assertEquals(256, WeightGraphs.constant(g, "w_scale").length, "one scale per output channel");
        }
    }
}
