package dev.pare.bench;

import dev.pare.ir.DType;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.QuantGranularity;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole per-weight job of the compression passes on one 4096×4096 weight (16.7M values), through
 * the same math API the passes call: 4-bit k-means palettization per tensor (clustering, LUT and
 * index assignment) of the float32 weight and of its float16-rounded copy, and int8 per-channel
 * symmetric quantization (scales and codes). The palettizer gets a 2-thread executor, as the
 * passes' {@code PassContext#executor()} has on a 2-core machine.
 *
 * <p>The weight is "real-looking": Gaussian with σ = 0.02, plus 1% of values drawn with 8σ (the
 * heavy tails trained weights have), from a fixed seed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class WeightCompressionBenchmark {

    static final int ROWS = 4096;
    static final int COLUMNS = 4096;
    static final long SEED = 20_240_601L;

    private ExecutorService executor;
    private WeightTensor fp32;
    private WeightTensor fp16;
    private PalettizerOptions kmeans4;
    private LinearQuantizerOptions int8PerChannel;

    @Setup(Level.Trial)
    public void setUp() {
        executor = Executors.newFixedThreadPool(2);
        fp32 = realLookingWeight(Precision.FLOAT32);
        fp16 = realLookingWeight(Precision.FLOAT16);
        kmeans4 = PalettizerOptions.kmeans(4);
        int8PerChannel = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT8,
                new QuantGranularity.PerChannel(0));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        executor.shutdownNow();
    }

    /** A seeded Gaussian-ish [4096, 4096] weight, rounded to {@code precision}. */
    static WeightTensor realLookingWeight(Precision precision) {
        SplittableRandom random = new SplittableRandom(SEED);
        float[] values = new float[ROWS * COLUMNS];
        for (int i = 0; i < values.length; i++) {
            double sigma = random.nextInt(100) == 0 ? 0.16 : 0.02;
            values[i] = precision.round((float) (sigma * gaussian(random)));
        }
        return WeightTensor.of(values, new long[] {ROWS, COLUMNS}, precision);
    }

    /** Marsaglia's polar method (SplittableRandom has no nextGaussian on JDK 17). */
    private static double gaussian(SplittableRandom random) {
        while (true) {
            double u = 2 * random.nextDouble() - 1;
            double v = 2 * random.nextDouble() - 1;
            double s = u * u + v * v;
            if (s > 0 && s < 1) return u * Math.sqrt(-2 * Math.log(s) / s);
        }
    }

    @Benchmark
    public Palettization palettizeKMeans4BitFloat32() {
        return new Palettizer(executor).palettize(fp32, kmeans4, new SplittableRandom(1));
    }

    @Benchmark
    public Palettization palettizeKMeans4BitFloat16() {
        return new Palettizer(executor).palettize(fp16, kmeans4, new SplittableRandom(1));
    }

    @Benchmark
    public LinearQuantization quantizeInt8PerChannel() {
        return LinearQuantizer.quantize(fp32, int8PerChannel);
    }
}
