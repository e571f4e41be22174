package dev.pare.compiler.analyze;

import dev.pare.compiler.inspect.CompressedWeight;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.OpTraits;
import dev.pare.spi.WeightOperand;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The weights mixed precision plans over, and over which bits per weight are counted: every
 * float (f32, f16, bf16) weight operand of an op of the main graph, as the {@link OpTraits}
 * services name them (the same traits the compression passes use; plugins first, the built-in
 * ones last, as passes/src/main/java/dev/pare/passes/compression/WeightTraits.java orders them),
 * whatever its size: small weights that a pass's {@code weight_threshold} leaves dense count too,
 * at their stored size. A weight already compressed (a {@code pare.*} or Core ML
 * {@code constexpr_*} decode) counts at the bytes its decode reads.
 */
public final class CompressibleWeights {

    /**
     * One weight.
     *
     * @param name        the value name
     * @param shape       its dense shape
     * @param dtype       its dense element type
     * @param elements    dense element count
     * @param storedBytes bytes it takes as stored now
     * @param nodes       the names of the nodes reading it as a weight, in graph order
     */
    public record Weight(String name, List<Long> shape, DType dtype, long elements, long storedBytes, List<String> nodes) {
        public Weight {
            shape = List.copyOf(shape);
            nodes = List.copyOf(nodes);
        }
    }

    private CompressibleWeights() {}

    /** The weights of {@code model}'s main graph, in graph order. */
    public static List<Weight> of(Model model) {
        Graph g = model.graph();
        List<OpTraits> traits = traits();
        Map<Value, List<String>> found = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            for (WeightOperand w : operands(traits, n)) {
                if (w.operand() >= n.operands().size()) continue;
                Value v = n.operand(w.operand());
                if (!isWeight(v)) continue;
                List<String> nodes = found.computeIfAbsent(v, k -> new ArrayList<>());
                if (!nodes.contains(n.name())) nodes.add(n.name());
            }
        }
        Map<String, Long> compressed = new LinkedHashMap<>();
        boolean needInspect = found.keySet().stream().anyMatch(v -> !v.isConstant() && !isConstantNode(v));
        if (needInspect) {
            for (CompressedWeight c : ModelInspector.inspect(model).compressedWeights()) {
                if (c.graphPath().isEmpty()) compressed.put(c.name(), c.storedBytes());
            }
        }
        List<Weight> out = new ArrayList<>();
        found.forEach((v, nodes) -> {
            long[] shape = v.tensorType().shape();
            List<Long> dims = new ArrayList<>();
            for (long d : shape) dims.add(d);
            long elements = v.tensorType().elementCount();
            long stored = v.isConstant() ? v.data().byteSize()
                    : isConstantNode(v) ? constantNodeValue(v.producer()).byteSize()
                    : compressed.getOrDefault(v.name(), v.tensorType().byteSize().orElse(0));
            out.add(new Weight(v.name(), dims, v.tensorType().dtype(), elements, stored, nodes));
        });
        return out;
    }

    /** Total dense elements of {@code weights}. */
    public static long elements(List<Weight> weights) {
        return weights.stream().mapToLong(Weight::elements).sum();
    }

    /** Bits per weight of {@code bytes} stored for {@code elements} weights. */
    public static double bitsPerWeight(long bytes, long elements) {
        return elements == 0 ? 0 : bytes * 8.0 / elements;
    }

    private static boolean isWeight(Value v) {
        if (v.isAbsent() || !v.tensorType().isStatic() || !isFloat(v.tensorType().dtype())) return false;
        if (v.isConstant()) return v.data() instanceof DenseData;
        Node p = v.producer();
        if (p == null) return false;
        if (isConstantNode(v)) return true;
        return PareDialectEvaluator.isPareWeightOp(p.op()) || MilConstexprEvaluator.isConstexpr(p.op());
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16 || t == DType.BFLOAT16;
    }

    private static boolean isConstantNode(Value v) {
        Node p = v.producer();
        return p != null && p.op().equals("onnx.Constant") && p.results().size() == 1 && constantNodeValue(p) instanceof DenseData;
    }

    private static TensorData constantNodeValue(Node n) {
        if (n.attributes().size() != 1) return null;
        return n.attributes().get("value").orElse(null) instanceof Attribute.TensorAttr t ? t.value() : null;
    }

    private static List<WeightOperand> operands(List<OpTraits> traits, Node n) {
        for (OpTraits t : traits) {
            List<WeightOperand> w = t.weightOperands(n);
            if (w != null && !w.isEmpty()) return w;
        }
        return List.of();
    }

    /** The installed op traits: plugins sorted by class name, then the built-in ones of the passes module. */
    private static List<OpTraits> traits() {
        Map<String, OpTraits> byClass = new LinkedHashMap<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, CompressibleWeights.class.getClassLoader()}) {
            if (loader == null) continue;
            for (OpTraits t : ServiceLoader.load(OpTraits.class, loader)) byClass.putIfAbsent(t.getClass().getName(), t);
        }
        List<OpTraits> list = new ArrayList<>(byClass.values());
        list.sort(Comparator.comparing((OpTraits t) -> t.getClass().getName().startsWith(BUILTIN_PACKAGE))
                .thenComparing(t -> t.getClass().getName()));
        return list;
    }

    private static final String BUILTIN_PACKAGE = "dev.pare.passes.";
}
