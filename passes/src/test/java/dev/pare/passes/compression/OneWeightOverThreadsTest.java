package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.Precision;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import dev.pare.testkit.DirectExecutorService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One streamed weight is split over the pool's idle threads (per-tensor k-means, int8 per
 * channel of a MatMul weight): the graph, constants and statistics are the same for any number
 * of threads, and with a pool the parts were handed to it.
 */
class OneWeightOverThreadsTest {

    private static final Palettize PALETTIZE = new Palettize(WeightTraits.discover(), 0, 104);
    private static final QuantizeWeights QUANTIZE = new QuantizeWeights(WeightTraits.discover(), 0, 104);

    /** A MatMul weight [300, 263]: its per-channel scales (axis 1) span every piece. */
    private static Graph model() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 1, 300));
        Value w = rw.addConstant("w", Tensors.ofFloats(DType.FLOAT32, new long[] {300, 263}, WeightGraphs.randomWeights(300 * 263, 4, Precision.FLOAT32)));
        rw.addOutput(rw.createNode("matmul", "onnx.MatMul", List.of(x, w), List.of("y"), List.of(TensorType.of(DType.FLOAT32, 1, 263)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }

    /**
     * A fixed pool that counts the tasks handed to it. Handed, not run: a part the caller reaches
     * first is run by the caller, and the pool's copy may still be queued when the test shuts the
     * pool down (under load both threads are busy with the check and the compression), so how many
     * ran depends on scheduling.
     */
    private static final class CountingPool extends ThreadPoolExecutor {
        final AtomicInteger handed = new AtomicInteger();

        CountingPool(int threads) { super(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>()); }

        @Override public void execute(Runnable task) {
            handed.incrementAndGet();
            super.execute(task);
        }
    }

    private static String describe(Pass pass, ExecutorService executor) throws PassFailure {
        Graph g = model();
        StoreContext c = new StoreContext(executor, new SplittableRandom(7), TensorStore.heap(), new TreeMap<>());
        assertTrue(pass.run(g, c).changed());
        List<String> constants = new ArrayList<>();
        for (Value v : g.constants()) constants.add(v.name() + "=" + v.data().sha256());
        return IrPrinter.print(g) + constants + c.counters();
    }

    @Test
    void theResultIsTheSameForAnyThreadsAndThePartsGoToThePool() throws PassFailure {
        List<Pass> passes = List.of(
                PALETTIZE.create(ScopedOptions.uniform(new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(4), Palettize.Granularity.PER_TENSOR,
                        32, Optional.empty(), false, 1, List.of(), 0, false))),
                QUANTIZE.create(ScopedOptions.uniform(new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC, QuantizeWeights.Dtype.INT8,
                        QuantizeWeights.Granularity.PER_CHANNEL, 32, 0))));
        for (Pass pass : passes) {
            String one = describe(pass, new DirectExecutorService());
            for (int threads : new int[] {1, 2, 3}) {
                CountingPool pool = new CountingPool(threads);
                try {
                    assertEquals(one, describe(pass, pool), threads + " threads");
                    // the check and the compression are a task each; with more threads, each also hands parts to the pool
                    if (threads > 1) assertTrue(pool.handed.get() > 2, "tasks handed to the pool: " + pool.handed.get());
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
