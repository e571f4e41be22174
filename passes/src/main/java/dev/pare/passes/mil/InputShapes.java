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
}
