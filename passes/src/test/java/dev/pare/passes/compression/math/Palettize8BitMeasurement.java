package dev.pare.passes.compression.math;

import dev.pare.ir.Float16;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * Not a unit test: times per-tensor k-means palettization of one seeded float16 weight (Gaussian
 * σ = 0.02, 1% at 8σ, as {@link GroupKMeansMeasurement}) with {@code NBITS} bits on one thread
 * (CPU time of that thread), e.g. the 256-cluster {@code PALETTIZE_8BIT} of a 1.5B model's
 * 2048×8192 MLP weight. Run with
 * {@code java -cp passes/target/classes:passes/target/test-classes:ir/target/classes:spi/target/classes
 * dev.pare.passes.compression.math.Palettize8BitMeasurement ROWS COLS NBITS [ROUNDS]}.
 */
public final class Palettize8BitMeasurement {

    private Palettize8BitMeasurement() {}

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int cols = Integer.parseInt(args[1]);
        int nbits = Integer.parseInt(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        SplittableRandom r = new SplittableRandom(42);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            double sigma = r.nextInt(100) == 0 ? 0.16 : 0.02;
            w[i] = Float16.toFloat(Float16.fromFloat((float) (r.nextGaussian() * sigma)));
        }
        WeightTensor weight = new WeightTensor(w, new long[] {rows, cols}, Precision.FLOAT16);
        Palettizer palettizer = new Palettizer(null);
        PalettizerOptions options = PalettizerOptions.kmeans(nbits);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int round = 0; round < rounds; round++) {
            long start = threads.getCurrentThreadCpuTime();
            Palettization p = palettizer.palettize(weight, options, new SplittableRandom(1));
            double ns = threads.getCurrentThreadCpuTime() - start;
            System.out.printf("round %d: %d-bit k-means of %d×%d float16: %.2f s CPU, %.1f ns per value, LUT[0..2] %s %s %s%n", round,
                    nbits, rows, cols, ns / 1e9, ns / w.length, p.lut(0)[0], p.lut(0)[1], p.lut(0)[2]);
        }
    }
}
