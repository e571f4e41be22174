package dev.pare.compiler.analyze;

import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import dev.pare.ir.Attribute;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * How the bytes of a compressed weight are counted, so that a size budget is what the output
 * file will hold. The {@code pare} dialect and the ONNX file store a weight differently: the ONNX
 * lowering (compiler/src/main/java/dev/pare/compiler/onnx/lower/LutLowering.java, BitUnpack.java)
 * pads 2/3/6-bit indices to whole unpack groups and adds its unpack constants, reshape shapes and,
 * for LUTs grouped along an axis other than the first, an int64 index offset per group row.
 */
public enum WeightSizes {

    /**
     * The constants the {@code pare.*} decode reads (indices, LUTs, scales, zero points, masks):
     * what a Core ML package's {@code constexpr_*} ops hold, before the blob file's per-entry header
     * and alignment.
     */
    IR("ir"),

    /**
     * As a written {@code .onnx} file stores the weight: the model is lowered with the ONNX
     * format's own lowering ({@code lower_to_onnx}) and every constant of the weight's decode is
     * counted, as {@code pare inspect} counts the stored bytes of a compressed weight in a file.
     */
    ONNX("onnx");

    /**
     * Model property naming the output's format ({@code onnx}, {@code coreml}); the compilation
     * sets it before the pipeline runs ({@link Compilation#OUTPUT_FORMAT_PROPERTY}, declared there so
     * that the driver does not depend on this package). Without it the model's own format is assumed.
     */
    public static final String OUTPUT_FORMAT_PROPERTY = Compilation.OUTPUT_FORMAT_PROPERTY;

    private final String key;

    WeightSizes(String key) { this.key = key; }

    /** The name in JSON and on the command line. */
    public String key() { return key; }

    /** The sizes named {@code key}, if any. */
    public static Optional<WeightSizes> of(String key) {
        return Arrays.stream(values()).filter(s -> s.key.equals(key.toLowerCase(Locale.ROOT))).findFirst();
    }

    /** The choices, for messages: {@code onnx or ir}. */
    public static String choices() { return "onnx or ir"; }

    /** The sizes of the format {@code model} is written in: ONNX for an ONNX output, else the pare dialect's. */
    public static WeightSizes forOutput(Model model) {
        String format = model.properties().getOrDefault(OUTPUT_FORMAT_PROPERTY, model.format());
        return "onnx".equals(format) ? ONNX : IR;
    }

    /**
     * The stored bytes of compressed weight {@code weight} of {@code model}. For {@link #ONNX} the
     * model's pare ops are lowered in place, so pass a scratch copy.
     */
    public long bytes(Model model, String weight) {
        Value v = model.graph().value(weight).orElseThrow(() -> new IllegalArgumentException("no value '" + weight + "'"));
        if (this == IR) return pareDecodeBytes(v);
        OnnxLowering.lowerInPlace(model);
        Value lowered = model.graph().value(weight).orElseThrow(() -> new IllegalStateException("lowering lost the weight '" + weight + "'"));
        return coneBytes(lowered);
    }

    /** Bytes of the constants a compressed weight's {@code pare.*} decode reads. */
    static long pareDecodeBytes(Value v) {
        long total = 0;
        Set<Value> seen = new HashSet<>();
        Deque<Value> todo = new ArrayDeque<>(List.of(v));
        while (!todo.isEmpty()) {
            Value x = todo.pop();
            if (x.isAbsent() || !seen.add(x)) continue;
            if (x.isConstant()) {
                total += dataBytes(x.data());
            } else if (x.producer() != null && PareDialectEvaluator.isPareWeightOp(x.producer().op())) {
                todo.addAll(x.producer().operands());
            }
        }
        return total;
    }

    /**
     * Bytes of every constant the value is computed from (initializers, {@code Constant} nodes),
     * as compiler/src/main/java/dev/pare/compiler/inspect/CompressionAnalysis.java counts a
     * compressed weight's "stored" bytes.
     */
    static long coneBytes(Value v) {
        long total = 0;
        Set<Value> seenValues = new HashSet<>();
        Set<Node> seenNodes = new HashSet<>();
        Deque<Value> todo = new ArrayDeque<>(List.of(v));
        while (!todo.isEmpty()) {
            Value x = todo.pop();
            if (x.isAbsent() || !seenValues.add(x)) continue;
            if (x.isConstant()) {
                total += dataBytes(x.data());
                continue;
            }
            Node p = x.producer();
            if (p == null || !seenNodes.add(p)) continue;
            if (p.op().equals("onnx.Constant")) {
                for (Attribute a : p.attributes().asMap().values()) {
                    if (a instanceof Attribute.TensorAttr t) total += t.value().byteSize();
                }
            }
            todo.addAll(p.operands());
        }
        return total;
    }

    private static long dataBytes(TensorData d) {
        return d instanceof SparseData s ? s.values().byteSize() + s.indices().byteSize() : d.byteSize();
    }
}
