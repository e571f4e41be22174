package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Statistics;
import dev.pare.testkit.DirectExecutorService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grouped palettization, and per-tensor palettization with a per-channel scale, of a memory-mapped
 * float16 weight of 32M values (64 MiB; read whole it needs about 16 bytes a value, 512 MiB) in a
 * child JVM with a 64 MiB heap: the weight is read a band of groups or a piece at a time and its
 * indices go to the file store.
 */
class PalettizeGroupsSmallHeapTest {

    private static final int IN = 4096;
    private static final int OUT = 8192;

    @TempDir Path dir;

    @Test
    void aWeightEightTimesTheHeapIsPalettizedByGroups() throws Exception {
        // 512 LUTs of 16 entries; 4-bit indices of every value in the file store, not on the heap
        assertEquals("compressed 1, lut [1, 512, 16, 1], indices " + ((long) IN * OUT / 2) + " bytes from store@", runChild("grouped"));
    }

    @Test
    void aWeightEightTimesTheHeapIsPalettizedWithAPerChannelScale() throws Exception {
        // enable_per_channel_scale: the scales in one pass, then per-tensor k-means of the scaled values by pieces
        assertEquals("compressed 1, lut [1, 1, 16, 1], indices " + ((long) IN * OUT / 2) + " bytes from store@, scale [1, 8192]",
                runChild("scaled"));
    }

    private String runChild(String how) throws Exception {
        Path weights = dir.resolve("w.f16");
        writeHalves(weights, (long) IN * OUT, 21);
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), weights.toString(), dir.toString(), how)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "child JVM did not finish");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        return output.trim();
    }

    /** Seeded float16 values, σ ≈ 0.02, written a chunk at a time. */
    private static void writeHalves(Path file, long count, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < count; i++) {
                b.putShort(dev.pare.ir.Float16.fromFloat((float) (r.nextGaussian() * 0.02)));
                if (!b.hasRemaining()) {
                    b.flip();
                    while (b.hasRemaining()) ch.write(b);
                    b.clear();
                }
            }
            b.flip();
            while (b.hasRemaining()) ch.write(b);
        }
    }

    /** Runs in the child JVM: {@code y = x · W} with W mapped from the file, palettized 4-bit, 16 output channels per LUT. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            Graph g = new Graph("g");
            Rewriter rw = g.rewriter();
            Value x = rw.addInput("x", TensorType.of(DType.FLOAT16, 1, IN));
            Value w = rw.addConstant("w", DenseData.ofFileRegion(TensorType.of(DType.FLOAT16, IN, OUT), file, 0, 2L * IN * OUT, Map.of()));
            rw.addOutput(rw.createNode("mm", "onnx.MatMul", List.of(x, w), List.of("y"), List.of(TensorType.of(DType.FLOAT16, 1, OUT)),
                    Attributes.empty(), Location.UNKNOWN).result(0));
            boolean scaled = args[2].equals("scaled");
            Palettize.Options o = new Palettize.Options(Palettize.Mode.KMEANS, Optional.of(4),
                    scaled ? Palettize.Granularity.PER_TENSOR : Palettize.Granularity.PER_GROUPED_CHANNEL, 16,
                    Optional.empty(), scaled, 1, List.of(), 2048, false);
            try (FileTensorStore store = FileTensorStore.in(Path.of(args[1]))) {
                StoreContext c = new StoreContext(new DirectExecutorService(), new SplittableRandom(3), store, new TreeMap<>());
                new Palettize().create(ScopedOptions.uniform(o)).run(g, c);
                DenseData indices = (DenseData) g.value("w_indices").orElseThrow().data();
                System.out.println("compressed " + c.counters().get("weights_compressed") + ", lut "
                        + java.util.Arrays.toString(g.value("w_lut").orElseThrow().data().type().shape()) + ", indices "
                        + indices.byteSize() + " bytes from " + indices.origin().replaceAll("@.*", "@")
                        + (scaled ? ", scale " + java.util.Arrays.toString(g.value("w_scale").orElseThrow().data().type().shape()) : ""));
            }
        }
    }

}
