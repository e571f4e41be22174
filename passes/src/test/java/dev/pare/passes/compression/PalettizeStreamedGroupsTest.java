package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * palettize with grouped or per-channel LUTs on a weight it reads a band of groups at a time
 * ({@link dev.pare.passes.compression.math.StreamedGroupPalettizer}) gives the same graph, constants
 * and statistics as on the weight read whole: channel axis first, last and in the middle, one group
 * or many per band, index widths that pack differently, kmeans, uniform and custom LUTs.
 */
class PalettizeStreamedGroupsTest {

    @TempDir Path dir;

    private static final Palettize WHOLE = new Palettize(WeightTraits.discover(), Long.MAX_VALUE, 104);
    /** Bands of 104 elements: one group each. */
    private static final Palettize ONE_GROUP_A_BAND = new Palettize(WeightTraits.discover(), 0, 104);
    /** Bands of 8,192 elements: several groups each, and a last band with fewer. */
    private static final Palettize GROUPS_A_BAND = new Palettize(WeightTraits.discover(), 0, 8192);

    /** A table of {@code shape} (76,800 values) read by a Gather. */
    private static Graph model(DType f, long[] shape, float[] values) {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value ids = rw.addInput("ids", TensorType.of(DType.INT64, 3));
        Value e = rw.addConstant("e", Tensors.ofFloats(f, shape, values));
        long[] out = new long[shape.length + 2];
        out[0] = 3;
        System.arraycopy(shape, 1, out, 1, shape.length - 1);
        out = java.util.Arrays.copyOf(out, shape.length);
        rw.addOutput(rw.createNode("embed", "onnx.Gather", List.of(e, ids), List.of("y"), List.of(TensorType.of(f, out)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }


    private static Palettize.Options grouped(Palettize.Mode mode, Optional<Integer> nbits, int groupSize, int axis, List<Float> lut) {
        return new Palettize.Options(mode, nbits, Palettize.Granularity.PER_GROUPED_CHANNEL, groupSize, Optional.of(axis), false, 1, lut, 0, false);
    }

    private static String run(Palettize provider, Palettize.Options o, Graph g, TensorStore store) throws PassFailure {
        return StoreContext.runAndDescribe(g, store, provider.create(ScopedOptions.uniform(o)));
    }

    private static void sameStreamedAsWhole(DType f, long[] shape, Palettize.Options o, String what) throws PassFailure {
        Precision p = Precision.of(f);
        float[] w = WeightGraphs.randomWeights(76_800, 11, p);
        String whole = run(WHOLE, o, model(f, shape, w), TensorStore.heap());
        assertEquals(whole, run(ONE_GROUP_A_BAND, o, model(f, shape, w), TensorStore.heap()), what + ", one group a band");
        assertEquals(whole, run(GROUPS_A_BAND, o, model(f, shape, w), TensorStore.heap()), what + ", groups a band");
    }

    @Test
    void everyAxisAndIndexWidthGivesTheSameResultByBandsAsWhole() throws PassFailure {
        long[][] shapes = {{300, 256}, {300, 256}, {30, 20, 128}};
        int[] axes = {0, 1, 1};
        int runs = 0;
        for (int s = 0; s < shapes.length; s++) {
            for (int nbits : new int[] {1, 3, 4, 6}) { // 1: eight codes a byte, 3 and 6 cross bytes, 4: nibbles
                for (DType f : s == 0 ? new DType[] {DType.FLOAT16, DType.FLOAT32} : new DType[] {DType.FLOAT16}) {
                    sameStreamedAsWhole(f, shapes[s], grouped(Palettize.Mode.KMEANS, Optional.of(nbits), 4, axes[s], List.of()),
                            f + " " + java.util.Arrays.toString(shapes[s]) + " axis " + axes[s] + " nbits " + nbits);
                    runs++;
                }
            }
        }
        assertEquals(16, runs);
    }

    @Test
    void perChannelUniformAndCustomLutsGiveTheSameResultByBandsAsWhole() throws PassFailure {
        long[] shape = {300, 256};
        sameStreamedAsWhole(DType.FLOAT16, shape, grouped(Palettize.Mode.KMEANS, Optional.of(4), 1, 1, List.of()), "per channel, axis 1");
        sameStreamedAsWhole(DType.FLOAT32, shape, grouped(Palettize.Mode.KMEANS, Optional.of(2), 1, 0, List.of()), "per channel, axis 0");
        sameStreamedAsWhole(DType.FLOAT16, shape, grouped(Palettize.Mode.UNIFORM, Optional.of(4), 16, 1, List.of()), "uniform");
        sameStreamedAsWhole(DType.FLOAT32, shape, grouped(Palettize.Mode.CUSTOM, Optional.empty(), 16, 1,
                List.of(-0.04f, -0.01f, 0f, 0.02f, 0.05f)), "custom");
    }

    @Test
    void theGroupsOfABandSolvedOnAPoolGiveTheSameBytesForAnyThreadCount() throws PassFailure {
        float[] w = WeightGraphs.randomWeights(76_800, 11, Precision.FLOAT16);
        Palettize.Options o = grouped(Palettize.Mode.KMEANS, Optional.of(4), 1, 1, List.of()); // 256 groups, 32 a band
        String one = run(GROUPS_A_BAND, o, model(DType.FLOAT16, new long[] {300, 256}, w), TensorStore.heap());
        assertEquals(run(WHOLE, o, model(DType.FLOAT16, new long[] {300, 256}, w), TensorStore.heap()), one);
        for (int threads : new int[] {1, 2, 3}) {
            ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                assertEquals(one, StoreContext.runAndDescribe(model(DType.FLOAT16, new long[] {300, 256}, w), TensorStore.heap(), pool,
                        GROUPS_A_BAND.create(ScopedOptions.uniform(o))), threads + " threads");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void bandedIndicesGoToTheFileStoreAndDifferByGroup() throws PassFailure {
        float[] w = WeightGraphs.randomWeights(76_800, 11, Precision.FLOAT32);
        Palettize.Options o = grouped(Palettize.Mode.KMEANS, Optional.of(4), 16, 1, List.of());
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            Graph g = model(DType.FLOAT32, new long[] {300, 256}, w);
            assertEquals(run(WHOLE, o, model(DType.FLOAT32, new long[] {300, 256}, w), TensorStore.heap()), run(GROUPS_A_BAND, o, g, store));
            DenseData indices = (DenseData) g.value("e_indices").orElseThrow().data();
            assertTrue(indices.origin().startsWith("store@"), indices.origin());
            assertEquals(300 * 256 / 2, indices.byteSize());
            float[] luts = WeightGraphs.constant(g, "e_lut");
            assertEquals(16 * 16, luts.length); // 256 channels / 16 per group, 16 entries each
            assertNotEquals(luts[0], luts[16], "groups 0 and 1 have LUTs of their own");
        }
    }
}
