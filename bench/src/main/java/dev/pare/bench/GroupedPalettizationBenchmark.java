package dev.pare.bench;

import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.WeightTensor;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 4-bit k-means palettization of the same values per tensor and per grouped channel (16 output
 * channels per LUT), to compare the time per value: a [rows, 4096] slice of the weight of
 * {@link WeightCompressionBenchmark} (rows = 1024 gives 64 groups of 65,536 values). Each fp32
 * group has at most 65,536 distinct values, so it takes the exact DP, while the whole tensor takes
 * the binned path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class GroupedPalettizationBenchmark {

    @Param({"1024"})
    int rows;

    private ExecutorService executor;
    private WeightTensor weight;

    @Setup(Level.Trial)
    public void setUp() {
        executor = Executors.newFixedThreadPool(2);
        WeightTensor full = WeightCompressionBenchmark.realLookingWeight(Precision.FLOAT32);
        float[] values = java.util.Arrays.copyOf(full.values(), rows * WeightCompressionBenchmark.COLUMNS);
        weight = WeightTensor.of(values, new long[] {rows, WeightCompressionBenchmark.COLUMNS}, Precision.FLOAT32);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        executor.shutdownNow();
    }

    @Benchmark
    public Palettization perTensor() {
        return new Palettizer(executor).palettize(weight, PalettizerOptions.kmeans(4), new SplittableRandom(1));
    }

    @Benchmark
    public Palettization perGroupedChannel16() {
        return new Palettizer(executor).palettize(weight, PalettizerOptions.kmeans(4).withGroups(16, 0), new SplittableRandom(1));
    }
}
