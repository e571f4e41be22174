package dev.pare.compiler.coreml.eval;

import com.sun.management.OperatingSystemMXBean;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Measures the interpreter's {@code conv} on IS-Net's layer shapes (not a test: run by
 * scripts/measure-mil-conv.sh). Each layer is one MIL conv run through {@link MilInterpreter}
 * as {@code pare compare} runs it; prints wall and process CPU seconds per run (best of the runs
 * after a warm-up) and the multiply-adds per second.
 *
 * <p>Arguments: {@code [runs] [fp32|fp16]}.
 */
public final class ConvMeasure {

    /** One conv layer: channels, input size, kernel, stride, dilation, groups (padding keeps "same" size / stride). */
    record Layer(String name, int cin, int cout, int size, int k, int stride, int dilation, int groups) {
        long macs() {
            long out = (long) (size / stride) * (size / stride);
            return out * cout * (cin / groups) * k * k;
        }
    }

    static final Layer[] LAYERS = {
        new Layer("64->64 3x3 @512", 64, 64, 512, 3, 1, 1, 1),
        new Layer("64->32 3x3 @512", 64, 32, 512, 3, 1, 1, 1),
        new Layer("3->64 3x3 s2 @1024", 3, 64, 1024, 3, 2, 1, 1),
        new Layer("64->1 3x3 @1024", 64, 1, 1024, 3, 1, 1, 1),
        new Layer("128->64 1x1 @256", 128, 64, 256, 1, 1, 1, 1),
        new Layer("64->64 3x3 d2 @64", 64, 64, 64, 3, 1, 2, 1),
        new Layer("64 dw 3x3 @512", 64, 64, 512, 3, 1, 1, 64),
    };

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        DType dtype = args.length > 1 && args[1].equals("fp16") ? DType.FLOAT16 : DType.FLOAT32;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.out.printf(Locale.ROOT, "%s, %d threads, load average %.2f%n", dtype.shortName(),
                Runtime.getRuntime().availableProcessors(), os.getSystemLoadAverage());
        for (Layer l : LAYERS) {
            Random random = new Random(7);
            int pad = l.dilation() * (l.k() - 1) / 2;
            MilGraphs g = new MilGraphs();
            Value x = g.input("x", dtype, 1, l.cin(), l.size(), l.size());
            float[] w = new float[l.cout() * (l.cin() / l.groups()) * l.k() * l.k()];
            for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian() * 0.1f;
            float[] b = new float[l.cout()];
            for (int i = 0; i < b.length; i++) b[i] = (float) random.nextGaussian();
            long[] ws = {l.cout(), l.cin() / l.groups(), l.k(), l.k()};
            Value y = g.node("conv", "x", x,
                    "weight", dtype == DType.FLOAT16 ? MilGraphs.f16(ws, w) : MilGraphs.f32(ws, w),
                    "bias", dtype == DType.FLOAT16 ? MilGraphs.f16(new long[] {l.cout()}, b) : MilGraphs.f32(new long[] {l.cout()}, b),
                    "strides", MilGraphs.ints(l.stride(), l.stride()), "pad_type", MilGraphs.str("custom"),
                    "pad", MilGraphs.ints(pad, pad, pad, pad), "dilations", MilGraphs.ints(l.dilation(), l.dilation()),
                    "groups", MilGraphs.i32(l.groups()));
            g.output(y);
            float[] xv = new float[l.cin() * l.size() * l.size()];
            for (int i = 0; i < xv.length; i++) xv[i] = random.nextFloat();
            MilTensor input = MilTensor.floats(dtype, new int[] {1, l.cin(), l.size(), l.size()}, xv);
            MilInterpreter interpreter = new MilInterpreter(g.graph());
            double bestWall = Double.MAX_VALUE;
            double bestCpu = Double.MAX_VALUE;
            double checksum = 0;
            for (int r = 0; r <= runs; r++) {
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                MilTensor out = interpreter.runTensors(Map.of("x", input)).values().iterator().next();
                double wall = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                if (r == 0) {
                    checksum = 0;
                    for (int i = 0; i < out.size(); i++) checksum += out.get(i);
                    continue; // warm-up
                }
                bestWall = Math.min(bestWall, wall);
                bestCpu = Math.min(bestCpu, cpu);
            }
            System.out.printf(Locale.ROOT, "%-22s wall %7.3f s  cpu %7.3f s  %6.2f GMAC/s (wall)  checksum %.6e%n",
                    l.name(), bestWall, bestCpu, l.macs() / bestWall / 1e9, checksum);
        }
    }
}
