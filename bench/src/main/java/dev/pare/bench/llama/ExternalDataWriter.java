package dev.pare.bench.llama;

import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Streams weights into one external data file and returns the {@link TensorProto} that points at
 * each. Values are generated chunk by chunk into one reusable buffer, so the heap stays small
 * whatever the model size. Every tensor starts at a multiple of {@link #ALIGNMENT}: 4096 lets
 * ONNX Runtime memory-map it, and 64 KiB covers Windows too (ONNX's external-data rule: the offset
 * SHOULD be a multiple of 4096 for mmap, of 64 KB on Windows).
 */
final class ExternalDataWriter implements AutoCloseable {

    static final long ALIGNMENT = 65_536;
    private static final int CHUNK_ELEMENTS = 1 << 21;

    private final FileChannel channel;
    private final String location;
    private final ByteBuffer buffer;
    private long end;

    ExternalDataWriter(Path file) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        this.location = file.getFileName().toString();
        this.buffer = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Bytes written so far, padding included. */
    long size() { return end; }

    /**
     * Writes a tensor of seeded pseudo-normal values times {@code std}, or all {@code constant} when
     * {@code std} is 0, and returns its external initializer.
     */
    TensorProto write(String name, long[] dims, WeightType type, long seed, float std, float constant)
            throws IOException {
        long count = 1;
        for (long d : dims) count = Math.multiplyExact(count, d);
        long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        long position = offset;
        Gaussian rng = new Gaussian(seed);
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(CHUNK_ELEMENTS, count - done);
            buffer.clear();
            for (int i = 0; i < n; i++) {
                float v = std == 0f ? constant : std * rng.next();
                if (type == WeightType.FP16) buffer.putShort(WeightType.toHalf(v));
                else buffer.putFloat(v);
            }
            buffer.flip();
            while (buffer.hasRemaining()) position += channel.write(buffer, position);
            done += n;
        }
        long length = count * type.bytes;
        end = offset + length;
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.onnxType)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL);
        for (long d : dims) t.addDims(d);
        t.addExternalData(entry("location", location));
        t.addExternalData(entry("offset", Long.toString(offset)));
        t.addExternalData(entry("length", Long.toString(length)));
        return t.build();
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    @Override public void close() throws IOException {
        channel.close();
    }

    /**
     * An approximately standard normal stream: SplitMix64, and the sum of the four 16-bit parts of
     * each output (Irwin–Hall, n = 4), centred and scaled to variance 1. Bounded at ±3.46σ, and a few
     * times faster than {@code nextGaussian}, which matters for 6.7 billion values.
     */
    static final class Gaussian {
        private static final double MEAN = 4 * 65535 / 2.0;
        private static final float INV_SD = (float) (1 / Math.sqrt(4 * (65536.0 * 65536.0 - 1) / 12));
        private long state;

        Gaussian(long seed) { this.state = seed; }

        float next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            long sum = (z & 0xffff) + ((z >>> 16) & 0xffff) + ((z >>> 32) & 0xffff) + (z >>> 48);
            return (float) (sum - MEAN) * INV_SD;
        }
    }
}
