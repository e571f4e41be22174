package dev.pare.passes.mil;

import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixes the symbolic dimensions of graph inputs to static sizes ({@code --input-shape}), so that
 * convert_to_mil can fold shape arithmetic and give every result a static type. A symbolic name
 * fixed on one input is fixed to the same size on every other input that uses it.
 */
public final class InputShapes {

    private InputShapes() {}

    /**
     * Parses {@code name:1,3,224,224} entries.
     *
     * @throws IllegalArgumentException naming the entry that is malformed
     */
    public static Map<String, long[]> parse(List<String> entries) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String entry : entries) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("input shape '" + entry + "' must be NAME:D0,D1,...");
            String[] parts = entry.substring(colon + 1).split(",");
            long[] shape = new long[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) shape[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("input shape '" + entry + "' has a dimension that is not a number");
            }
            for (long d : shape) if (d < 0) throw new IllegalArgumentException("input shape '" + entry + "' has a negative dimension");
            out.put(entry.substring(0, colon), shape);
        }
        return out;
    }

    /**
     * Gives the named inputs these shapes. Fixed dimensions must agree; symbolic ones take the
     * size (and other inputs sharing the symbol follow).
     *
     * @return whether any type changed
     * @throws IllegalArgumentException for an unknown input, a rank mismatch or a conflicting size
     */
    public static boolean apply(Graph graph, Map<String, long[]> shapes) {
        Map<String, Long> symbols = new HashMap<>();
        Map<Value, TensorType> fixed = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            Value input = graph.inputs().stream().filter(v -> v.name().equals(e.getKey())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the graph has no input '" + e.getKey() + "'; its inputs are "
                            + String.join(", ", graph.inputs().stream().map(v -> v.name() + " " + v.type()).toList())));
            TensorType t = input.tensorType();
            long[] s = e.getValue();
            if (t.hasRank() && t.rank() != s.length) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' has rank " + t.rank() + ", the given shape has " + s.length);
            }
            for (int i = 0; t.hasRank() && i < s.length; i++) {
                Dim d = t.dims().get(i);
                if (d instanceof Dim.Fixed f && f.size() != s[i]) {
                    throw new IllegalArgumentException("input '" + e.getKey() + "' dimension " + i + " is " + f.size() + ", not " + s[i]);
                }
                if (d instanceof Dim.Symbolic sym) {
                    Long prev = symbols.put(sym.name(), s[i]);
                    if (prev != null && prev != s[i]) {
                        throw new IllegalArgumentException("symbolic dimension '" + sym.name() + "' is given as " + prev + " and " + s[i]);
                    }
                }
            }
            fixed.put(input, TensorType.of(t.dtype(), s));
        }
        Rewriter rw = graph.rewriter();
        for (Value input : graph.inputs()) {
            TensorType t = fixed.get(input);
            if (t == null && input.tensorType().hasRank()) {
                List<Dim> dims = new ArrayList<>();
                for (Dim d : input.tensorType().dims()) {
                    Long size = d instanceof Dim.Symbolic sym ? symbols.get(sym.name()) : null;
                    dims.add(size != null ? Dim.of(size) : d);
                }
                t = new TensorType(input.tensorType().dtype(), dims);
            }
            if (t != null) rw.setType(input, t);
        }
        return rw.changed();
    }

    /**
     * Parses {@code name:16000} / {@code name:1,2,3} entries (integers or decimals).
     *
     * @throws IllegalArgumentException naming the entry that is malformed
     */
    public static Map<String, double[]> parseValues(List<String> entries) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String entry : entries) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("input value '" + entry + "' must be NAME:V0,V1,...");
            String[] parts = entry.substring(colon + 1).split(",");
            double[] v = new double[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("input value '" + entry + "' has an entry that is not a number");
            }
            out.put(entry.substring(0, colon), v);
        }
        return out;
    }

    /**
     * Replaces the uses of the named inputs by constants of these values (the input's dtype and
     * static shape), so that what depends on them folds: e.g. an If that tests a sample rate
     * keeps only the branch taken. The inputs stay (unused) so the model's interface is unchanged.
     *
     * @return whether any use changed
     * @throws IllegalArgumentException for an unknown input, a shape that is not static or a count mismatch
     */
    public static boolean applyValues(Graph graph, Map<String, double[]> values) {
        Rewriter rw = graph.rewriter();
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            Value input = graph.inputs().stream().filter(v -> v.name().equals(e.getKey())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the graph has no input '" + e.getKey() + "'; its inputs are "
                            + String.join(", ", graph.inputs().stream().map(v -> v.name() + " " + v.type()).toList())));
            TensorType t = input.tensorType();
            if (!t.isStatic()) throw new IllegalArgumentException("input '" + e.getKey() + "' (" + t + ") needs a static shape for a value; give input_shapes for it");
            double[] v = e.getValue();
            if (t.elementCount() != v.length) {
                throw new IllegalArgumentException("input '" + e.getKey() + "' (" + t + ") holds " + t.elementCount() + " values, given " + v.length);
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(Math.max(1, v.length * 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                switch (t.dtype()) {
                    case INT64 -> b.putLong((long) x);
                    case INT32 -> b.putInt((int) x);
                    case FLOAT32 -> b.putFloat((float) x);
                    case FLOAT64 -> b.putDouble(x);
                    case BOOL -> b.put((byte) (x != 0 ? 1 : 0));
                    default -> throw new IllegalArgumentException("input '" + e.getKey() + "' has dtype " + t.dtype().shortName() + ", which input_values does not support");
                }
            }
            b.flip();
            Value c = rw.addConstant(rw.uniqueValueName(e.getKey() + "_value"), dev.pare.ir.TensorData.ofBuffer(t, b));
            rw.replaceAllUsesWith(input, c);
        }
        return rw.changed();
    }
}
