package dev.pare.compiler.data;

import dev.pare.ir.Dim;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The part every reader shares: turns the arrays of one sample (read by a subclass) into tensors
 * checked against the model's inputs. Every required input (one without a default) must be
 * present; a symbolic dim used by several inputs must have one size within a sample.
 */
abstract class ModelSamples implements SampleSource {

    /** An array and the file (or file and position) it came from, for messages. */
    record Located(Sample sample, String where) {}

    private final String source;
    protected final List<Value> inputs;
    private final Map<String, Value> byName = new LinkedHashMap<>();

    ModelSamples(String source, List<Value> inputs) {
        this.source = source;
        this.inputs = List.copyOf(inputs);
        for (Value v : inputs) byName.put(v.name(), v);
    }

    @Override public final String source() { return source; }

    /** The arrays of sample {@code index}, keyed by input name. */
    protected abstract Map<String, Located> read(int index) throws IOException;

    /** A name for sample {@code index} in messages about a missing input, e.g. its folder. */
    protected abstract String sampleName(int index);

    /** The sample's name (its file or folder); readers of batch arrays add the array and the position. */
    @Override public String describe(int index, String input) { return sampleName(index); }

    @Override public final Map<String, TensorData> sample(int index) throws IOException {
        Objects.checkIndex(index, size());
        Map<String, Located> arrays = read(index);
        for (String name : arrays.keySet()) {
            if (!byName.containsKey(name)) {
                throw new DataException(arrays.get(name).where() + ": no model input is named '" + name
                        + "' (inputs: " + String.join(", ", byName.keySet()) + ")");
            }
        }
        Map<String, TensorData> out = new LinkedHashMap<>();
        Map<String, long[]> symbols = new HashMap<>();
        Map<String, String> symbolOwner = new HashMap<>();
        for (Value input : inputs) {
            Located a = arrays.get(input.name());
            if (a == null) {
                if (input.data() != null) continue; // optional: the model's default is used
                throw new DataException(sampleName(index) + ": no data for input '" + input.name() + "'");
            }
            Sample s = a.sample();
            long[] shape = InputMatcher.fit(a.where(), input, s.dtype(), s.shape());
            bindSymbols(a.where(), input, shape, symbols, symbolOwner);
            out.put(input.name(), TensorData.ofBuffer(TensorType.of(s.dtype(), shape), ByteBuffer.wrap(s.bytes())));
        }
        return out;
    }

    /** A symbolic dim shared by two inputs (e.g. {@code seq}) must have the same size in both. */
    private static void bindSymbols(String where, Value input, long[] shape, Map<String, long[]> sizes,
            Map<String, String> owner) throws DataException {
        TensorType t = input.tensorType();
        if (!t.hasRank()) return;
        List<Dim> dims = t.dims();
        for (int i = 0; i < dims.size(); i++) {
            if (!(dims.get(i) instanceof Dim.Symbolic sym)) continue;
            long[] seen = sizes.get(sym.name());
            if (seen == null) {
                sizes.put(sym.name(), new long[] {shape[i]});
                owner.put(sym.name(), input.name());
            } else if (seen[0] != shape[i]) {
                throw new DataException(where + ": input '" + input.name() + "' has " + sym.name() + "=" + shape[i]
                        + " but input '" + owner.get(sym.name()) + "' has " + sym.name() + "=" + seen[0]);
            }
        }
    }

    @Override public void close() throws IOException {}

    /** The inputs a sample must provide. */
    static List<Value> required(List<Value> inputs) {
        List<Value> r = new ArrayList<>();
        for (Value v : inputs) if (v.data() == null) r.add(v);
        return r;
    }

    /** The single required input, for layouts that feed only one. */
    static Value single(List<Value> inputs, String source, String layout) throws DataException {
        List<Value> r = required(inputs);
        if (r.size() == 1) return r.get(0);
        List<String> names = r.stream().map(Value::name).toList();
        throw new DataException(source + ": " + layout + " feeds a model with one input, but the model has "
                + r.size() + " (" + String.join(", ", names) + "); use DIR/<sample>/<input>.npy or an .npz with one array per input");
    }
}
