package dev.pare.compiler.driver;

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
 * {@code --input-shape NAME=D0,D1,...}: fixes the dimensions of graph inputs before the pipeline
 * runs, e.g. for a Core ML output, which needs ranked inputs, or for a conversion that folds shape
 * arithmetic. Fixed dimensions must agree; a symbolic dimension takes the size, and every other
 * input using the same symbol follows.
 */
public final class InputShapeOverrides {

    private InputShapeOverrides() {}

    /**
     * Parses one {@code NAME=D0,D1,...} argument.
     *
     * @throws IllegalArgumentException naming the malformed argument
     */
    public static Map.Entry<String, List<Long>> parse(String argument) {
        int eq = argument.lastIndexOf('=');
        if (eq <= 0 || eq == argument.length() - 1) {
            throw new IllegalArgumentException("--input-shape '" + argument + "' must be NAME=D0,D1,... (e.g. input_ids=1,128)");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : argument.substring(eq + 1).split(",", -1)) {
            long d;
            try {
                d = Long.parseLong(part.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--input-shape '" + argument + "': '" + part + "' is not a dimension size");
            }
            if (d < 1) throw new IllegalArgumentException("--input-shape '" + argument + "': dimension " + d + " must be at least 1");
            dims.add(d);
        }
        return Map.entry(argument.substring(0, eq), List.copyOf(dims));
    }

    /**
     * Gives the named inputs of {@code graph} these shapes.
     *
     * @throws IllegalArgumentException for an unknown input, a rank mismatch or a conflicting size
     */
    public static void apply(Graph graph, Map<String, List<Long>> shapes) {
        if (shapes.isEmpty()) return;
        Map<String, Long> symbols = new HashMap<>();
        Map<Value, List<Long>> given = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : shapes.entrySet()) {
            Value input = graph.inputs().stream().filter(v -> v.name().equals(e.getKey())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--input-shape: the model has no input '" + e.getKey()
                            + "' (inputs: " + String.join(", ", graph.inputs().stream().map(Value::name).toList()) + ")"));
            TensorType t = input.tensorType();
            List<Long> s = e.getValue();
            if (t.hasRank() && t.rank() != s.size()) {
                throw new IllegalArgumentException("--input-shape: input '" + e.getKey() + "' has rank " + t.rank() + " (" + t
                        + "), the given shape has " + s.size() + " dimensions");
            }
            for (int i = 0; t.hasRank() && i < s.size(); i++) {
                Dim d = t.dims().get(i);
                if (d instanceof Dim.Fixed f && f.size() != s.get(i)) {
                    throw new IllegalArgumentException("--input-shape: input '" + e.getKey() + "' dimension " + i + " is fixed to "
                            + f.size() + ", not " + s.get(i));
                }
                if (d instanceof Dim.Symbolic sym) {
                    Long prev = symbols.put(sym.name(), s.get(i));
                    if (prev != null && !prev.equals(s.get(i))) {
                        throw new IllegalArgumentException("--input-shape: symbolic dimension '" + sym.name() + "' is given as "
                                + prev + " and " + s.get(i));
                    }
                }
            }
            given.put(input, s);
        }
        Rewriter rw = graph.rewriter();
        for (Value input : graph.inputs()) {
            TensorType t = input.tensorType();
            List<Long> s = given.get(input);
            if (s != null) {
                rw.setType(input, TensorType.of(t.dtype(), s.stream().mapToLong(Long::longValue).toArray()));
            } else if (t.hasRank() && t.dims().stream().anyMatch(d -> d instanceof Dim.Symbolic sym && symbols.containsKey(sym.name()))) {
                List<Dim> dims = new ArrayList<>();
                for (Dim d : t.dims()) {
                    dims.add(d instanceof Dim.Symbolic sym && symbols.containsKey(sym.name()) ? new Dim.Fixed(symbols.get(sym.name())) : d);
                }
                rw.setType(input, new TensorType(t.dtype(), dims));
            }
        }
    }
}
