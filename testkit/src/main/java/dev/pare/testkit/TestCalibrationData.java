package dev.pare.testkit;

import dev.pare.ir.TensorData;
import dev.pare.spi.CalibrationData;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * {@link CalibrationData} for tests: samples held in memory, or made on demand by a function (so a
 * test can feed many large samples without keeping them). Counts the samples read.
 */
public final class TestCalibrationData implements CalibrationData {

    private final String source;
    private final int size;
    private final IntFunction<Map<String, TensorData>> samples;
    private final AtomicInteger reads = new AtomicInteger();

    private TestCalibrationData(String source, int size, IntFunction<Map<String, TensorData>> samples) {
        this.source = source;
        this.size = size;
        this.samples = samples;
    }

    public static TestCalibrationData of(String source, List<Map<String, TensorData>> samples) {
        List<Map<String, TensorData>> copy = List.copyOf(samples);
        return new TestCalibrationData(source, copy.size(), copy::get);
    }

    /** {@code size} samples, sample {@code i} made by {@code sample.apply(i)} each time it is read. */
    public static TestCalibrationData generated(String source, int size, IntFunction<Map<String, TensorData>> sample) {
        return new TestCalibrationData(source, size, sample);
    }

    /** How many samples were read so far. */
    public int reads() { return reads.get(); }

    @Override public String source() { return source; }

    @Override public int size() { return size; }

    @Override public Map<String, TensorData> sample(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("sample " + index + " of " + size);
        reads.incrementAndGet();
        return samples.apply(index);
    }
}
