package dev.pare.compiler.driver;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.EnumeratedShapes;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --input-shape NAME=D0,D1,...}: fixes the dimensions of graph inputs before the pipeline
 * runs, e.g. for a Core ML output, which needs ranked inputs, or for a conversion that folds shape
 * arithmetic. Fixed dimensions must agree; a symbolic dimension takes the size, and every other
 * input using the same symbol follows.
 *
 * <p>{@code NAME=S1|S2|...} gives enumerated shapes (Core ML only; S1 is the default). The
 * dimensions equal in every listed shape become fixed; the others stay symbolic, so the program
 * stays valid for each shape. Inputs sharing a symbolic dimension that varies follow: they get
 * one shape per listed shape (the k-th shapes of all inputs go together), recorded as
 * {@link CoreMlKeys#ENUMERATED_SHAPES} on each input for the Core ML writer.
 */
public final class InputShapeOverrides {

    private InputShapeOverrides() {}

    /**
     * Parses one {@code NAME=D0,D1,...} argument.
     *
     * @throws IllegalArgumentException naming the malformed argument, or if it lists several shapes
     */
    public static Map.Entry<String, List<Long>> parse(String argument) {
        Map.Entry<String, List<List<Long>>> e = parseShapes(argument);
        if (e.getValue().size() > 1) {
            throw new IllegalArgumentException("--input-shape '" + argument + "': expected one shape, not " + e.getValue().size());
        }
        return Map.entry(e.getKey(), e.getValue().get(0));
    }

    /**
     * Parses one {@code NAME=D0,D1,...} or {@code NAME=S1|S2|...} argument: the listed shapes in
     * order (one for a static shape).
     *
     * @throws IllegalArgumentException naming the malformed argument
     */
    public static Map.Entry<String, List<List<Long>>> parseShapes(String argument) {
        int eq = argument.lastIndexOf('=');
        if (eq <= 0 || eq == argument.length() - 1) {
            throw new IllegalArgumentException("--input-shape '" + argument
                    + "' must be NAME=D0,D1,... (e.g. input_ids=1,128) or NAME=S1|S2|... (e.g. input_ids=1,64|1,128)");
        }
        String[] alternatives = argument.substring(eq + 1).split("\\|", -1);
        List<List<Long>> shapes = new ArrayList<>();
        for (int k = 0; k < alternatives.length; k++) {
            if (alternatives[k].isBlank()) {
                throw new IllegalArgumentException("--input-shape '" + argument + "': shape " + (k + 1) + " is empty");
            }
            List<Long> dims = new ArrayList<>();
            for (String part : alternatives[k].split(",", -1)) {
                long d;
                try {
                    d = Long.parseLong(part.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--input-shape '" + argument + "': '" + part + "' is not a dimension size");
                }
                if (d < 1) throw new IllegalArgumentException("--input-shape '" + argument + "': dimension " + d + " must be at least 1");
                dims.add(d);
            }
            if (!shapes.isEmpty() && shapes.get(0).size() != dims.size()) {
                throw new IllegalArgumentException("--input-shape '" + argument + "': shape " + (k + 1) + " has rank " + dims.size()
                        + ", shape 1 has rank " + shapes.get(0).size() + "; enumerated shapes share one rank");
            }
            if (shapes.contains(dims)) {
                throw new IllegalArgumentException("--input-shape '" + argument + "': shape " + text(dims) + " is listed twice");
            }
            shapes.add(List.copyOf(dims));
        }
        if (shapes.size() > EnumeratedShapes.MAX_SHAPES) {
            throw new IllegalArgumentException("--input-shape '" + argument + "' lists " + shapes.size()
                    + " shapes; Core ML allows at most " + EnumeratedShapes.MAX_SHAPES);
        }
        return Map.entry(argument.substring(0, eq), List.copyOf(shapes));
    }

    /**
     * Gives the named inputs of {@code graph} these shapes.
     *
     * @throws IllegalArgumentException for an unknown input, a rank mismatch or a conflicting size
     */
    public static void apply(Graph graph, Map<String, List<Long>> shapes) {
        apply(graph, shapes, Map.of());
    }

    /**
     * Gives the named inputs of {@code graph} these static shapes and these enumerated shapes
     * (each list has at least two shapes, all lists the same number).
     *
     * @throws IllegalArgumentException for an unknown input, a rank mismatch, a conflicting size,
     *                                  or inputs whose linked shapes cannot be enumerated
     */
    public static void apply(Graph graph, Map<String, List<Long>> shapes, Map<String, List<List<Long>>> enumerated) {
        if (shapes.isEmpty() && enumerated.isEmpty()) return;
        int count = configurations(enumerated);
        // Every given input as one shape per configuration (a static shape repeats).
        Map<String, List<List<Long>>> given = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : shapes.entrySet()) given.put(e.getKey(), java.util.Collections.nCopies(count, e.getValue()));
        for (Map.Entry<String, List<List<Long>>> e : enumerated.entrySet()) {
            if (given.put(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("--input-shape: input '" + e.getKey() + "' is given twice");
            }
        }
        Map<String, long[]> symbols = new HashMap<>();
        Map<String, String> setBy = new HashMap<>();
        Map<Value, List<long[]>> configs = new LinkedHashMap<>();
        for (Map.Entry<String, List<List<Long>>> e : given.entrySet()) {
            String name = e.getKey();
            boolean isEnumerated = enumerated.containsKey(name);
            Value input = graph.inputs().stream().filter(v -> v.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--input-shape: the model has no input '" + name
                            + "' (inputs: " + String.join(", ", graph.inputs().stream().map(Value::name).toList()) + ")"));
            TensorType t = input.tensorType();
            List<long[]> perConfig = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                List<Long> s = e.getValue().get(k);
                String in = isEnumerated ? " in shape " + text(s) : "";
                if (t.hasRank() && t.rank() != s.size()) {
                    throw new IllegalArgumentException("--input-shape: input '" + name + "' has rank " + t.rank() + " (" + t
                            + "), the given shape " + (isEnumerated ? text(s) + " " : "") + "has " + s.size() + " dimensions");
                }
                for (int i = 0; t.hasRank() && i < s.size(); i++) {
                    Dim d = t.dims().get(i);
                    if (d instanceof Dim.Fixed f && f.size() != s.get(i)) {
                        throw new IllegalArgumentException("--input-shape: input '" + name + "' dimension " + i + " is fixed to "
                                + f.size() + ", not " + s.get(i) + in);
                    }
                    if (d instanceof Dim.Symbolic sym) bind(symbols, setBy, sym.name(), k, count, s.get(i), name, isEnumerated, s);
                }
                perConfig.add(s.stream().mapToLong(Long::longValue).toArray());
            }
            configs.put(input, perConfig);
        }
        // Inputs not given follow the symbols they share with given ones.
        for (Value input : graph.inputs()) {
            TensorType t = input.tensorType();
            if (configs.containsKey(input) || !t.hasRank()) continue;
            if (t.dims().stream().noneMatch(d -> d instanceof Dim.Symbolic sym && symbols.containsKey(sym.name()))) continue;
            List<long[]> perConfig = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                long[] s = new long[t.rank()];
                for (int i = 0; i < s.length; i++) {
                    Dim d = t.dims().get(i);
                    long[] sizes = d instanceof Dim.Symbolic sym ? symbols.get(sym.name()) : null;
                    s[i] = d instanceof Dim.Fixed f ? f.size() : sizes != null ? sizes[k] : -1;
                }
                perConfig.add(s);
            }
            configs.put(input, perConfig);
        }
        Rewriter rw = graph.rewriter();
        for (Map.Entry<Value, List<long[]>> e : configs.entrySet()) {
            Value input = e.getKey();
            List<long[]> perConfig = e.getValue();
            TensorType t = input.tensorType();
            int rank = perConfig.get(0).length;
            List<Dim> dims = new ArrayList<>();
            boolean varies = false;
            for (int i = 0; i < rank; i++) {
                long first = perConfig.get(0)[i];
                boolean same = true;
                for (long[] s : perConfig) same &= s[i] == first;
                Dim was = t.hasRank() ? t.dims().get(i) : new Dim.Unknown();
                if (same && first >= 0) {
                    dims.add(new Dim.Fixed(first));
                } else {
                    dims.add(was);
                    varies |= !same;
                }
            }
            if (varies) {
                for (int i = 0; i < rank; i++) {
                    if (perConfig.get(0)[i] < 0) {
                        throw new IllegalArgumentException("--input-shape: input '" + input.name() + "' shares a symbolic dimension with "
                                + "inputs given enumerated shapes, but its dimension " + i + " (" + t.dims().get(i)
                                + ") is not given; give its shapes with --input-shape " + input.name() + "=...");
                    }
                }
            }
            rw.setType(input, new TensorType(t.dtype(), dims));
            // New shapes replace the enumerated shapes a package was read with.
            Map<String, String> meta = new LinkedHashMap<>(input.metadata());
            if (varies) meta.put(CoreMlKeys.ENUMERATED_SHAPES, EnumeratedShapes.format(perConfig));
            else meta.remove(CoreMlKeys.ENUMERATED_SHAPES);
            if (!meta.equals(input.metadata())) rw.setMetadata(input, meta);
        }
    }

    /** The graph inputs that got enumerated shapes, in graph order. */
    public static List<String> enumeratedInputs(Graph graph) {
        return graph.inputs().stream().filter(v -> v.metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES)).map(Value::name).toList();
    }

    /** How many configurations the enumerated shapes describe: every list must be equally long. */
    private static int configurations(Map<String, List<List<Long>>> enumerated) {
        int count = 1;
        String first = null;
        for (Map.Entry<String, List<List<Long>>> e : enumerated.entrySet()) {
            int n = e.getValue().size();
            if (first == null) {
                first = e.getKey();
                count = n;
            } else if (n != count) {
                throw new IllegalArgumentException("--input-shape: input '" + first + "' lists " + count + " shapes and '" + e.getKey()
                        + "' " + n + "; inputs with enumerated shapes list the same number (the k-th shapes go together)");
            }
        }
        return count;
    }

    /** Binds a symbolic dimension's size in configuration {@code k}, refusing a different size given earlier. */
    private static void bind(Map<String, long[]> symbols, Map<String, String> setBy, String symbol, int k, int count, long size,
                             String input, boolean isEnumerated, List<Long> shape) {
        long[] sizes = symbols.computeIfAbsent(symbol, s -> {
            long[] a = new long[count];
            Arrays.fill(a, -1);
            return a;
        });
        String previous = setBy.putIfAbsent(symbol, input);
        if (sizes[k] >= 0 && sizes[k] != size) {
            if (count == 1) {
                throw new IllegalArgumentException("--input-shape: symbolic dimension '" + symbol + "' is given as " + sizes[k] + " and " + size);
            }
            String who = previous == null || previous.equals(input) ? "input '" + input + "'" : "inputs '" + previous + "' and '" + input + "'";
            throw new IllegalArgumentException("--input-shape: " + who + " give symbolic dimension '" + symbol + "' sizes " + sizes[k]
                    + " and " + size + (isEnumerated ? " in shape " + text(shape) : "") + "; shapes of linked inputs must agree");
        }
        sizes[k] = size;
    }

    private static String text(List<Long> dims) {
        return String.join(",", dims.stream().map(String::valueOf).toList());
    }
}
