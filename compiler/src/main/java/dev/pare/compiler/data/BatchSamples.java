package dev.pare.compiler.data;

import dev.pare.ir.Value;
import java.io.Closeable;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples taken along the first axis of one array per input: a batch {@code .npy}, the members of
 * an {@code .npz}, or raw float32. All arrays must count the same number of samples.
 */
final class BatchSamples extends ModelSamples {

    private final Map<String, BatchArray> arrays;
    private final Closeable resource;
    private final int count;

    /**
     * @param arrays the array per input name
     * @param resource closed with this source (the zip file), or null
     */
    BatchSamples(String source, Map<String, BatchArray> arrays, Closeable resource, List<Value> inputs) throws DataException {
        super(source, inputs);
        this.arrays = new LinkedHashMap<>(arrays);
        this.resource = resource;
        int n = -1;
        String first = null;
        for (BatchArray a : arrays.values()) {
            if (n < 0) {
                n = a.count();
                first = a.where();
            } else if (a.count() != n) {
                throw new DataException(a.where() + ": " + a.count() + " samples on the first axis, but "
                        + first + " has " + n);
            }
        }
        this.count = Math.max(n, 0);
    }

    @Override public int size() { return count; }

    @Override protected Map<String, Located> read(int index) throws IOException {
        Map<String, Located> out = new LinkedHashMap<>();
        for (Map.Entry<String, BatchArray> e : arrays.entrySet()) {
            BatchArray a = e.getValue();
            out.put(e.getKey(), new Located(new Sample(a.dtype(), a.sliceShape(), a.read(index)),
                    a.where() + " (sample " + index + ")"));
        }
        return out;
    }

    @Override protected String sampleName(int index) { return source() + " (sample " + index + ")"; }

    /** The array the input comes from (an {@code .npz} member as {@code file.npz:x.npy}) and the position in it. */
    @Override public String describe(int index, String input) {
        BatchArray a = arrays.get(input);
        return a == null ? sampleName(index) : a.where() + " (sample " + index + ")";
    }

    @Override public void close() throws IOException {
        for (BatchArray a : arrays.values()) a.close();
        if (resource != null) resource.close();
    }
}
