package dev.pare.passes.compression.math;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * Not a unit test: times the streamed linear quantization of one seeded weight (the path
 * {@code quantize_weights} takes for a weight over 16 MiB: pieces of 2^20 elements) on one thread
 * (CPU time of that thread), int8 per channel along the last axis (a MatMul weight's output
 * channels, {@code QUANTIZE_INT8}) and int4 in blocks of 32 along the first ({@code QUANTIZE_INT4_BLOCK32}),
 * and prints a checksum of the codes so that two builds can be compared; for fp16 also the same
 * through {@link HalfLinearQuantizer} on the float16 bits (checksum of the packed codes). Run with
 * {@code java -cp passes/target/classes:passes/target/test-classes:ir/target/classes
 * dev.pare.passes.compression.math.LinearQuantizerMeasurement ROWS COLS fp16|fp32}.
 */
public final class LinearQuantizerMeasurement {

    private LinearQuantizerMeasurement() {}

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int cols = Integer.parseInt(args[1]);
        boolean half = args[2].equals("fp16");
        Precision p = half ? Precision.FLOAT16 : Precision.FLOAT32;
        float[] w = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < w.length; i++) {
            float v = (float) (r.nextGaussian() * 0.02);
            w[i] = half ? Float16.toFloat(Float16.fromFloat(v)) : v;
        }
        short[] bits = new short[w.length];
        for (int i = 0; i < w.length; i++) bits[i] = Float16.fromFloat(w[i]);
        long[] shape = {rows, cols};
        LinearQuantizerOptions int8 = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT8,
                new QuantGranularity.PerChannel(1));
        LinearQuantizerOptions int4 = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT4,
                new QuantGranularity.PerBlock(1, 0, 32));
        for (int round = 0; round < 5; round++) {
            long[] sum8 = {0};
            double t8 = time(() -> run(w, shape, p, int8, sum8));
            long[] sum4 = {0};
            double t4 = time(() -> run(w, shape, p, int4, sum4));
            System.out.printf("round %d: int8 per channel %.1f ns/value (codes %x), int4 block 32 %.1f ns/value (codes %x)%n", round,
                    t8 / w.length, sum8[0], t4 / w.length, sum4[0]);
            if (half) {
                long[] h8 = {0};
                double b8 = time(() -> runHalf(bits, shape, int8, h8));
                long[] h4 = {0};
                double b4 = time(() -> runHalf(bits, shape, int4, h4));
                System.out.printf("round %d: float16 bits (HalfLinearQuantizer): int8 per channel %.1f ns/value (packed %x), int4 block 32 %.1f ns/value (packed %x)%n",
                        round, b8 / w.length, h8[0], b4 / w.length, h4[0]);
            }
        }
    }

    private static void run(float[] w, long[] shape, Precision p, LinearQuantizerOptions o, long[] checksum) {
        LinearQuantizer.quantize(shape, p, (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count), o, 1 << 20,
                (q, count) -> {
                    long h = checksum[0];
                    for (int i = 0; i < count; i++) h = h * 31 + q[i];
                    checksum[0] = h;
                });
    }

    private static void runHalf(short[] bits, long[] shape, LinearQuantizerOptions o, long[] checksum) {
        int[] pairs = new int[bits.length / 2]; // as a stored tensor's little-endian bytes read as ints
        for (int i = 0; i < pairs.length; i++) pairs[i] = (bits[2 * i] & 0xFFFF) | (bits[2 * i + 1] << 16);
        HalfLinearQuantizer.HalfSource source = new HalfLinearQuantizer.HalfSource() {
            @Override public void read(long first, short[] into, int count) {
                System.arraycopy(bits, (int) first, into, 0, count);
            }

            @Override public void readPairs(long first, int[] into, int count) {
                System.arraycopy(pairs, (int) (first / 2), into, 0, count);
            }
        };
        HalfLinearQuantizer.quantize(shape, source, o, 1 << 20,
                (packed, count) -> {
                    long h = checksum[0];
                    for (int i = 0; i < count; i++) h = h * 31 + packed[i];
                    checksum[0] = h;
                }, SplitWork.INLINE);
    }

    private static double time(Runnable task) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long start = threads.getCurrentThreadCpuTime();
        task.run();
        return threads.getCurrentThreadCpuTime() - start;
    }
}
