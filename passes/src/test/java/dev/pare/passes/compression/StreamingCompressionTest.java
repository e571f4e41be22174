package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Statistics;
import dev.pare.testkit.DirectExecutorService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compression passes hold a bounded window of weights at once and put their results in the tensor store. */
class StreamingCompressionTest {

    private static final int WEIGHTS = 12;

    @TempDir Path dir;

    /** {@code WEIGHTS} Gemms with 64x128 f32 weights (4-bit codes of 4 KiB: large enough for the file store). */
    private static Graph manyWeights() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 1, 128));
        for (int i = 0; i < WEIGHTS; i++) {
            Value w = rw.addConstant("w" + i, Tensors.ofFloats(DType.FLOAT32, new long[] {64, 128},
                    WeightGraphs.randomWeights(64 * 128, 300 + i, Precision.FLOAT32)));
            Value y = rw.createNode("gemm" + i, "onnx.Gemm", List.of(x, w), List.of("y" + i), List.of(TensorType.of(DType.FLOAT32, 1, 64)),
                    Attributes.of(Map.of("transB", Attribute.of(1L))), Location.UNKNOWN).result(0);
            rw.addOutput(y);
        }
        return g;
    }

    private static final Palettize.Options PALETTIZE = new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(4), Palettize.Granularity.PER_TENSOR,
            32, Optional.empty(), false, 1, List.of(), 2048);

    private static final QuantizeWeights.Options INT4_BLOCK = new QuantizeWeights.Options(QuantizeWeights.Mode.LINEAR_SYMMETRIC,
            QuantizeWeights.Dtype.INT4, QuantizeWeights.Granularity.PER_BLOCK, 32, 2048);

    private record Context(ExecutorService executor, RandomGenerator random, TensorStore tensorStore) implements PassContext {
        Context(ExecutorService executor, TensorStore store) { this(executor, new SplittableRandom(7), store); }

        @Override public Diagnostics diagnostics() { return d -> { }; }

        @Override public Statistics statistics() { return (c, d) -> { }; }

        @Override public <T> Optional<T> service(Class<T> type) { return Optional.empty(); }
    }

    private static <O extends Record> WeightCompressionPass<?> pass(PassProvider<O> provider, O options) {
        return (WeightCompressionPass<?>) provider.create(ScopedOptions.uniform(options));
    }

    @Test
    void withTasksRunAtOnceExactlyTheWindowOfWeightsIsAliveNotEveryWeight() throws PassFailure {
        // A direct executor runs each task as it is submitted, so everything submitted ahead is alive at once.
        for (WeightCompressionPass<?> p : List.of(pass(new Palettize(), PALETTIZE), pass(new QuantizeWeights(), INT4_BLOCK))) {
            Graph g = manyWeights();
            assertTrue(p.run(g, new Context(new DirectExecutorService(), TensorStore.heap())).changed());
            int window = p.lastWindow();
            assertEquals(WeightCompressionPass.window(Runtime.getRuntime().availableProcessors()), window);
            assertTrue(window < WEIGHTS, "the test needs more weights than the window (" + window + ")");
            assertEquals(window, p.peakLiveWeights());
        }
    }

    @Test
    void aThreadPoolKeepsAtMostThreadsPlusOneWeightsAlive() throws PassFailure {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (WeightCompressionPass<?> p : List.of(pass(new Palettize(), PALETTIZE), pass(new QuantizeWeights(), INT4_BLOCK))) {
                p.run(manyWeights(), new Context(pool, TensorStore.heap()));
                assertEquals(3, p.lastWindow());
                int peak = p.peakLiveWeights();
                assertTrue(peak >= 1 && peak <= 3, "peak " + peak);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void weightsThatWouldNotFitTheHeapTogetherRunOneAtATime() throws PassFailure {
        WeightCompressionPass<?> p = pass(new Palettize(), PALETTIZE);
        p.inFlightBudget = 64 * 128; // one weight's elements
        p.run(manyWeights(), new Context(new DirectExecutorService(), TensorStore.heap()));
        assertEquals(1, p.peakLiveWeights());
    }

    /** The printed graph and every constant's bytes. */
    private static String snapshot(Graph g) {
        StringBuilder sb = new StringBuilder(IrPrinter.print(g));
        List<String> names = new ArrayList<>();
        for (Value c : g.constants()) names.add(c.name() + "=" + c.data().sha256());
        return sb.append(names).toString();
    }

    @Test
    void payloadsGoToTheStoreAndTheResultIsTheSameForAnyThreadsAndStore() throws PassFailure {
        ExecutorService one = Executors.newFixedThreadPool(1);
        ExecutorService three = Executors.newFixedThreadPool(3);
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            for (PassProvider<?> provider : List.<PassProvider<?>>of(new Palettize(), new QuantizeWeights())) {
                Graph heap = manyWeights();
                Graph file = manyWeights();
                run(provider, heap, new Context(one, TensorStore.heap()));
                long before = store.storedBytes();
                run(provider, file, new Context(three, store));
                assertEquals(snapshot(heap), snapshot(file));
                DenseData codes = (DenseData) file.value(provider instanceof Palettize ? "w0_indices" : "w0_quantized").orElseThrow().data();
                assertTrue(codes.origin().startsWith("store@"), codes.origin());
                assertEquals(WEIGHTS * 64 * 128 / 2, store.storedBytes() - before, "4-bit codes of every weight, nothing else");
            }
        } finally {
            one.shutdownNow();
            three.shutdownNow();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void run(PassProvider provider, Graph g, PassContext context) throws PassFailure {
        Record options = provider instanceof Palettize ? PALETTIZE : INT4_BLOCK;
        provider.create(ScopedOptions.uniform(options)).run(g, context);
    }
}
