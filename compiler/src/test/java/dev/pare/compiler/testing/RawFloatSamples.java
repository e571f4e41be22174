package dev.pare.compiler.testing;

import dev.pare.ir.TensorData;
import dev.pare.spi.CalibrationData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Calibration samples from a raw little-endian float32 file holding N samples back to back (such as
 * the MNIST {@code calib_x.f32}), each fed to one input with {@code sampleShape}; sample i is read
 * from the file when asked for, so memory does not grow with N.
 */
public final class RawFloatSamples implements CalibrationData {

    private final Path file;
    private final String input;
    private final long[] sampleShape;
    private final int floatsPerSample;
    private final int size;

    public RawFloatSamples(Path file, String input, long[] sampleShape, int size) {
        this.file = file;
        this.input = input;
        this.sampleShape = sampleShape.clone();
        long n = 1;
        for (long d : sampleShape) n *= d;
        this.floatsPerSample = Math.toIntExact(n);
        this.size = size;
    }

    @Override public String source() { return file.toString(); }

    @Override public int size() { return size; }

    @Override public Map<String, TensorData> sample(int index) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(floatsPerSample * 4).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long offset = (long) index * b.capacity();
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) throw new IOException(file + ": sample " + index + " is past the end");
            }
        }
        return Map.of(input, TensorData.ofBuffer(dev.pare.ir.TensorType.of(dev.pare.ir.DType.FLOAT32, sampleShape), b.flip()));
    }
}
