package dev.pare.compiler.compare;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.EnumeratedShapes;
import dev.pare.compiler.data.DTypeNames;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random inputs that respect each input's dtype and shape, the same for a given seed. Symbolic
 * dims take their size from {@code --input-shape} (a dim name shared by several inputs gets one
 * size) or 1. Floats are uniform in [0, 1); bools are fair coin flips; an integer input used as
 * {@code Gather} indices (possibly through Cast, Reshape, Unsqueeze, ...) is uniform over the rows
 * of the table it indexes (token ids within the vocabulary); other integer inputs named like a
 * mask are all 1; the rest are uniform in [0, 10) (uint8: [0, 256)).
 */
final class InputGenerator {

    private static final Set<String> PASS_THROUGH = Set.of("Cast", "Reshape", "Unsqueeze", "Squeeze", "Flatten",
            "Identity", "Expand", "Transpose");

    /** How one input is filled: uniform integers in [low, high), or floats/bools when {@code low == high}. */
    record InputSpec(Value input, long[] shape, long low, long high) {
        String describe() {
            String t = DTypeNames.describe(input.tensorType().dtype(), shape);
            DType d = input.tensorType().dtype();
            if (d.isFloatingPoint()) return input.name() + ": " + t + " uniform [0, 1)";
            if (d == DType.BOOL) return input.name() + ": " + t + " random true/false";
            return input.name() + ": " + t + (high - low == 1 ? " all " + low : " uniform integers [" + low + ", " + high + ")");
        }
    }

    private final long seed;
    private final List<InputSpec> specs = new ArrayList<>();

    InputGenerator(List<Value> inputs, long seed, Map<String, long[]> shapes) throws CompareException {
        this.seed = seed;
        Map<String, Value> byName = new LinkedHashMap<>();
        for (Value v : inputs) if (v.data() == null) byName.put(v.name(), v);
        for (String name : shapes.keySet()) {
            if (!byName.containsKey(name)) {
                throw new CompareException(CompareException.Kind.BAD_REQUEST, "--input-shape " + name
                        + ": the model has no input '" + name + "' (inputs: " + String.join(", ", byName.keySet()) + ")");
            }
        }
        // sizes of symbolic dims: first from the given shapes, then 1
        Map<String, Long> symbols = new HashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            Value v = byName.get(e.getKey());
            long[] given = e.getValue();
            TensorType t = v.tensorType();
            String bad = "--input-shape " + e.getKey() + "=" + join(given) + ": input '" + v.name() + "' is " + DTypeNames.describe(t);
            if (t.hasRank() && t.rank() != given.length) throw new CompareException(CompareException.Kind.BAD_REQUEST, bad);
            for (int i = 0; i < given.length; i++) {
                if (given[i] < 1) throw new CompareException(CompareException.Kind.BAD_REQUEST, bad + "; dims must be at least 1");
                Dim d = t.hasRank() ? t.dims().get(i) : Dim.UNKNOWN;
                if (d instanceof Dim.Fixed f && f.size() != given[i]) throw new CompareException(CompareException.Kind.BAD_REQUEST, bad);
                if (d instanceof Dim.Symbolic s) {
                    Long seen = symbols.putIfAbsent(s.name(), given[i]);
                    if (seen != null && seen != given[i]) {
                        throw new CompareException(CompareException.Kind.BAD_REQUEST, bad + "; dim '" + s.name()
                                + "' is already " + seen + " from another --input-shape");
                    }
                }
            }
        }
        for (Value v : byName.values()) {
            TensorType t = v.tensorType();
            long[] shape;
            if (shapes.containsKey(v.name())) {
                shape = shapes.get(v.name()).clone();
            } else if (v.metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES)) {
                // A Core ML input with enumerated shapes accepts only those: take the default (first).
                shape = EnumeratedShapes.parse(v.metadata().get(CoreMlKeys.ENUMERATED_SHAPES)).get(0);
            } else if (!t.hasRank()) {
                throw new CompareException(CompareException.Kind.BAD_REQUEST, "input '" + v.name()
                        + "' has no known rank; give its shape with --input-shape " + v.name() + "=DIMS");
            } else {
                shape = new long[t.rank()];
                for (int i = 0; i < shape.length; i++) {
                    Dim d = t.dims().get(i);
                    shape[i] = d instanceof Dim.Fixed f ? f.size() : d instanceof Dim.Symbolic s ? symbols.getOrDefault(s.name(), 1L) : 1;
                }
            }
            specs.add(range(v, shape));
        }
    }

    List<InputSpec> specs() { return List.copyOf(specs); }

    private static InputSpec range(Value v, long[] shape) throws CompareException {
        DType d = v.tensorType().dtype();
        if (d.isFloatingPoint() || d == DType.BOOL) {
            if (d != DType.FLOAT32 && d != DType.FLOAT64 && d != DType.FLOAT16 && d != DType.BOOL) {
                throw new CompareException(CompareException.Kind.BAD_INPUT, "input '" + v.name() + "' is "
                        + DTypeNames.name(d) + "; generated inputs are float32, float64, float16, bool or integers: pass --data");
            }
            return new InputSpec(v, shape, 0, 0);
        }
        if (!d.isInteger() || d.isSubByte()) {
            throw new CompareException(CompareException.Kind.BAD_INPUT, "input '" + v.name() + "' is " + DTypeNames.name(d)
                    + "; inputs of this type cannot be generated: pass --data");
        }
        long rows = gatherRows(v, 0);
        if (rows > 0) return new InputSpec(v, shape, 0, rows);
        if (v.name().toLowerCase(Locale.ROOT).contains("mask")) return new InputSpec(v, shape, 1, 2);
        if (d == DType.UINT8) return new InputSpec(v, shape, 0, 256);
        return new InputSpec(v, shape, 0, 10);
    }

    /** The smallest table size over the Gathers that {@code v} indexes (through shape-only ops), or -1. */
    private static long gatherRows(Value v, int depth) {
        if (depth > 8) return -1;
        long best = -1;
        for (Value.Use u : v.uses()) {
            Node n = u.user();
            long rows = -1;
            if (n.dialect().equals("onnx") && n.opType().equals("Gather") && u.operandIndex() == 1) {
                TensorType table = n.operand(0).isConstant() ? n.operand(0).data().type() : n.operand(0).tensorType();
                if (table.hasRank() && table.rank() > 0) {
                    int axis = (int) n.attributes().getInt("axis", 0);
                    if (axis < 0) axis += table.rank();
                    if (axis >= 0 && axis < table.rank() && table.dims().get(axis) instanceof Dim.Fixed f) rows = f.size();
                }
            } else if (n.dialect().equals("onnx") && PASS_THROUGH.contains(n.opType()) && u.operandIndex() == 0) {
                rows = gatherRows(n.result(0), depth + 1);
            }
            if (rows > 0 && (best < 0 || rows < best)) best = rows;
        }
        return best;
    }

    /** Sample {@code index}: the same for the same seed and index. */
    Map<String, TensorData> sample(int index) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (InputSpec s : specs) {
            DType d = s.input().tensorType().dtype();
            long n = 1;
            for (long x : s.shape()) n = Math.multiplyExact(n, x);
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(d.byteSize(n))).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                switch (d) {
                    case FLOAT32 -> b.putFloat((float) r.nextDouble());
                    case FLOAT64 -> b.putDouble(r.nextDouble());
                    case FLOAT16 -> b.putShort(Float16.fromFloat((float) r.nextDouble()));
                    case BOOL -> b.put((byte) (r.nextBoolean() ? 1 : 0));
                    default -> putInteger(b, d, r.nextLong(s.low(), s.high()));
                }
            }
            out.put(s.input().name(), TensorData.ofBuffer(TensorType.of(d, s.shape()), b.flip()));
        }
        return out;
    }

    private static void putInteger(ByteBuffer b, DType d, long v) {
        switch (d.bits()) {
            case 8 -> b.put((byte) v);
            case 16 -> b.putShort((short) v);
            case 32 -> b.putInt((int) v);
            default -> b.putLong(v);
        }
    }

    private static String join(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ",").append(shape[i]);
        return sb.toString();
    }
}
