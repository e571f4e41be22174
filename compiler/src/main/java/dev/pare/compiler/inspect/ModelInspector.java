package dev.pare.compiler.inspect;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.SparseData;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds a {@link ModelReport}: walks the main graph and, depth first, every subgraph, and
 * collects each weight wherever the format put it (initializers, sparse initializers, external
 * files, input defaults, Constant nodes, tensor attributes), and which of them are decoded from a
 * compressed form ({@link CompressionAnalysis}). Reads no weight bytes except sparsity masks, so it
 * is cheap on large models whose weights stay mapped. The other functions of a multi-function Core
 * ML model are walked after the main graph (graph column {@code function NAME}); a blob that several
 * functions read is listed under each and counted once in the totals.
 */
public final class ModelInspector {

    private static final String CONSTANT_OP = "onnx.Constant";

    private final Map<String, Long> opCounts = new TreeMap<>();
    private final List<WeightReport> weights = new ArrayList<>();
    /** Per weight: where its bytes are stored when other weights may share them (a Core ML blob), else null. */
    private final List<String> storedAt = new ArrayList<>();
    private final List<CompressedWeight> compressed = new ArrayList<>();
    private long nodes;
    private long subgraphNodes;

    private ModelInspector() {}

    public static ModelReport inspect(Model model) {
        ModelInspector in = new ModelInspector();
        Graph main = model.graph();
        in.walk(main, "", false);
        for (Graph f : model.functions()) in.walk(f, "function " + f.name(), false);
        List<OpCount> ops = new ArrayList<>();
        in.opCounts.forEach((op, n) -> ops.add(new OpCount(op, n)));
        ops.sort(Comparator.comparingLong(OpCount::count).reversed().thenComparing(OpCount::op));
        long parameters = 0;
        long bytes = 0;
        Map<DType, long[]> byType = new EnumMap<>(DType.class);
        java.util.Set<String> counted = new java.util.HashSet<>();
        for (int i = 0; i < in.weights.size(); i++) {
            WeightReport w = in.weights.get(i);
            String at = in.storedAt.get(i);
            if (at != null && !counted.add(at)) continue; // another function's copy of the same blob
            parameters += w.elements();
            bytes += w.bytes();
            long[] t = byType.computeIfAbsent(w.dtype(), d -> new long[3]);
            t[0]++;
            t[1] += w.elements();
            t[2] += w.bytes();
        }
        List<DTypeTotal> totals = new ArrayList<>();
        byType.forEach((d, t) -> totals.add(new DTypeTotal(d, t[0], t[1], t[2])));
        totals.sort(Comparator.comparingLong(DTypeTotal::bytes).reversed()
                .thenComparing(t -> t.dtype().shortName()));
        return new ModelReport(model.format(), main.name(), ports(main.inputs()), ports(main.outputs()),
                userProperties(model), model.metadataProps(), model.opsets(), in.nodes, in.subgraphNodes, ops,
                in.weights, totals, parameters, bytes, in.compressed,
                model.functions().stream().map(f -> new FunctionPorts(f.name(), ports(f.inputs()), ports(f.outputs()))).toList());
    }

    /** Core ML model fields shown without their {@code coreml.} prefix. */
    private static final Set<String> CORE_ML_SHOWN = Set.of(CoreMlKeys.SPECIFICATION_VERSION, CoreMlKeys.OPSET,
            CoreMlKeys.SHORT_DESCRIPTION, CoreMlKeys.VERSION_STRING, CoreMlKeys.AUTHOR, CoreMlKeys.LICENSE);

    /** Model fields a user recognises; namespaced keys (e.g. {@code onnx.*}) are a reader's bookkeeping. */
    private static java.util.Map<String, String> userProperties(Model model) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        model.properties().forEach((k, v) -> {
            if (!k.contains(".")) out.put(k, v);
            else if (CORE_ML_SHOWN.contains(k)) out.put(k.substring(k.indexOf('.') + 1), v);
        });
        return out;
    }

    private static List<GraphPort> ports(List<Value> values) {
        List<GraphPort> out = new ArrayList<>();
        for (Value v : values) {
            // A Core ML input with enumerated shapes: its type has the varying dims as '?'; show the shapes too.
            String shapes = v.metadata().get(CoreMlKeys.ENUMERATED_SHAPES);
            out.add(new GraphPort(v.name(), v.type() + (shapes == null ? "" : " shapes " + shapes)));
        }
        return out;
    }

    private void walk(Graph g, String path, boolean nested) {
        compressed.addAll(CompressionAnalysis.find(g, path));
        for (Value v : g.inputs()) {
            if (v.data() != null) {
                addWeight(weight(path, v.name(), v.data(), Storage.INPUT_DEFAULT, "", users(v)));
            }
        }
        boolean mil = g.nodes().stream().anyMatch(n -> n.dialect().equals("mil"));
        for (Value c : g.constants()) {
            TensorData d = c.data();
            if (d == null) continue; // the verifier reports this; inspect shows what is there
            // MIL passes every op parameter (strides, axes, pad types) as a constant; only the
            // ones an op reads as weights are listed.
            if (mil && !isMilWeight(c)) continue;
            Storage s = d instanceof SparseData ? Storage.SPARSE_INITIALIZER
                    : "blob".equals(d.annotation(CoreMlKeys.STORAGE)) ? Storage.BLOB_FILE
                    : "immediate".equals(d.annotation(CoreMlKeys.STORAGE)) ? Storage.IMMEDIATE
                    : externalLocation(d) != null ? Storage.EXTERNAL_FILE : Storage.INITIALIZER;
            addWeight(weight(path, c.name(), d, s, "", users(c)), d);
        }
        for (Node n : g.nodes()) {
            nodes++;
            if (nested) subgraphNodes++;
            opCounts.merge(n.op(), 1L, Long::sum);
            if (n.op().equals(CONSTANT_OP)) {
                constantNode(n, path);
            } else {
                tensorAttributes(n, path);
            }
            for (Map.Entry<String, Attribute> e : n.attributes().asMap().entrySet()) {
                String prefix = (path.isEmpty() ? "" : path + "/") + label(n) + "/" + e.getKey();
                if (e.getValue() instanceof Attribute.GraphAttr ga) {
                    walk(ga.value(), prefix, true);
                } else if (e.getValue() instanceof Attribute.GraphsAttr gs) {
                    for (int i = 0; i < gs.values().size(); i++) walk(gs.values().get(i), prefix + "[" + i + "]", true);
                }
            }
        }
    }

    /** The one value attribute of a Constant node becomes a weight named after the node's output. */
    private void constantNode(Node n, String path) {
        Value out = n.results().isEmpty() ? Value.ABSENT : n.result(0);
        String name = out.isAbsent() ? label(n) : out.name();
        List<String> users = out.isAbsent() ? List.of() : users(out);
        for (Map.Entry<String, Attribute> e : n.attributes().asMap().entrySet()) {
            Attribute a = e.getValue();
            if (a instanceof Attribute.TensorAttr t) {
                addWeight(weight(path, name, t.value(), Storage.CONSTANT_NODE, label(n), users));
            } else if (a instanceof Attribute.SparseTensorAttr s) {
                addWeight(weight(path, name, s.value(), Storage.CONSTANT_NODE, label(n), users));
            } else if (a instanceof Attribute.FloatAttr) {
                addWeight(literal(path, name, List.of(), DType.FLOAT32, 1, 4, label(n), users));
            } else if (a instanceof Attribute.FloatsAttr fs) {
                long k = fs.values().size();
                addWeight(literal(path, name, List.of(k), DType.FLOAT32, k, 4 * k, label(n), users));
            } else if (a instanceof Attribute.IntAttr) {
                addWeight(literal(path, name, List.of(), DType.INT64, 1, 8, label(n), users));
            } else if (a instanceof Attribute.IntsAttr is) {
                long k = is.values().size();
                addWeight(literal(path, name, List.of(k), DType.INT64, k, 8 * k, label(n), users));
            } else if (a instanceof Attribute.StringAttr s) {
                long len = s.value().getBytes(StandardCharsets.UTF_8).length;
                addWeight(literal(path, name, List.of(), DType.STRING, 1, len, label(n), users));
            } else if (a instanceof Attribute.StringsAttr ss) {
                long len = 0;
                for (String s : ss.values()) len += s.getBytes(StandardCharsets.UTF_8).length;
                long k = ss.values().size();
                addWeight(literal(path, name, List.of(k), DType.STRING, k, len, label(n), users));
            }
        }
    }

    /** Tensors held in attributes of other nodes, named {@code node.attribute}. */
    private void tensorAttributes(Node n, String path) {
        List<String> users = List.of(label(n));
        for (Map.Entry<String, Attribute> e : n.attributes().asMap().entrySet()) {
            String name = label(n) + "." + e.getKey();
            Attribute a = e.getValue();
            if (a instanceof Attribute.TensorAttr t) {
                addWeight(weight(path, name, t.value(), Storage.NODE_ATTRIBUTE, label(n), users));
            } else if (a instanceof Attribute.SparseTensorAttr s) {
                addWeight(weight(path, name, s.value(), Storage.NODE_ATTRIBUTE, label(n), users));
            } else if (a instanceof Attribute.TensorsAttr ts) {
                for (int i = 0; i < ts.values().size(); i++) {
                    addWeight(weight(path, name + "[" + i + "]", ts.values().get(i), Storage.NODE_ATTRIBUTE, label(n), users));
                }
            } else if (a instanceof Attribute.SparseTensorsAttr ss) {
                for (int i = 0; i < ss.values().size(); i++) {
                    addWeight(weight(path, name + "[" + i + "]", ss.values().get(i), Storage.NODE_ATTRIBUTE, label(n), users));
                }
            }
        }
    }

    private void addWeight(WeightReport w) {
        weights.add(w);
        storedAt.add(null);
    }

    /** A weight whose bytes are a Core ML blob: listed under each function that reads it, counted once. */
    private void addWeight(WeightReport w, TensorData d) {
        weights.add(w);
        String offset = d.annotation(CoreMlKeys.BLOB_OFFSET);
        storedAt.add(offset == null ? null : d.annotation(CoreMlKeys.BLOB_FILE) + "@" + offset);
    }

    private static WeightReport weight(String path, String name, TensorData d, Storage storage, String node,
                                       List<String> users) {
        List<Long> shape = new ArrayList<>();
        for (long s : d.type().shape()) shape.add(s);
        long bytes;
        long nonZeros = -1;
        if (d instanceof SparseData s) {
            bytes = s.values().byteSize() + s.indices().byteSize();
            nonZeros = s.nonZeroCount();
        } else if (d instanceof StringData s) {
            bytes = s.byteSize() - 4L * s.size(); // byteSize() counts a 4-byte length per element
        } else {
            bytes = d.byteSize();
        }
        String location = storage == Storage.EXTERNAL_FILE ? externalLocation(d)
                : storage == Storage.BLOB_FILE ? blobLocation(d) : "";
        return new WeightReport(path, name, shape, d.dtype(), d.elementCount(), bytes, storage, node,
                location, nonZeros, users);
    }

    private static WeightReport literal(String path, String name, List<Long> shape, DType dtype, long elements,
                                        long bytes, String node, List<String> users) {
        return new WeightReport(path, name, shape, dtype, elements, bytes, Storage.CONSTANT_NODE, node, "", -1, users);
    }

    /**
     * The external data file of a tensor, from the reader's annotations: a key {@code location}
     * or any key naming external data and ending in {@code location}
     * (e.g. {@code onnx.external.location}); {@code ?} when only a storage annotation says
     * {@code external}; null if the bytes are inline.
     */
    static String externalLocation(TensorData d) {
        for (Map.Entry<String, String> e : new TreeMap<>(d.annotations()).entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals("location") || (k.contains("external") && k.endsWith("location"))) return e.getValue();
        }
        for (Map.Entry<String, String> e : d.annotations().entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).endsWith("storage") && e.getValue().equals("external")) return "?";
        }
        return null;
    }

    /** The weight file of a Core ML blob, relative to the model's folder ({@code weights/weight.bin}). */
    private static String blobLocation(TensorData d) {
        String file = d.annotation(CoreMlKeys.BLOB_FILE);
        if (file == null) return "";
        return file.startsWith(MlPackage.MODEL_PATH_PREFIX) ? file.substring(MlPackage.MODEL_PATH_PREFIX.length()) : file;
    }

    /** Operands of MIL ops that hold learned parameters, by parameter name. */
    private static final Map<String, Set<String>> MIL_WEIGHT_PARAMS = Map.of(
            "mil.conv", Set.of("weight", "bias"),
            "mil.conv_transpose", Set.of("weight", "bias"),
            "mil.linear", Set.of("weight", "bias"),
            "mil.matmul", Set.of("x", "y"),
            "mil.gather", Set.of("x"),
            "mil.layer_norm", Set.of("gamma", "beta"),
            "mil.batch_norm", Set.of("mean", "variance", "gamma", "beta"),
            "mil.instance_norm", Set.of("gamma", "beta"));

    /**
     * A constant of a MIL graph is a weight when a conv / conv_transpose / linear / matmul / gather
     * (or a normalization) reads it as a weight parameter, when a constexpr op decodes it (except
     * layout parameters such as {@code axis} or {@code shape}), or when a {@code pare.*} op does.
     */
    static boolean isMilWeight(Value c) {
        for (Value.Use u : c.uses()) {
            Node n = u.user();
            if (n.dialect().equals("pare")) return true;
            List<String> params = MilParams.names(n);
            String param = u.operandIndex() < params.size() ? params.get(u.operandIndex()) : "";
            if (n.op().startsWith("mil.constexpr_")) {
                if (!MilCompression.LAYOUT_PARAMS.contains(param)) return true;
            } else if (MIL_WEIGHT_PARAMS.getOrDefault(n.op(), Set.of()).contains(param)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> users(Value v) {
        Set<String> names = new LinkedHashSet<>();
        for (Value.Use u : v.uses()) names.add(label(u.user()));
        return List.copyOf(names);
    }

    /** A node's name, or {@code <OpType>} for an unnamed node. */
    private static String label(Node n) {
        return n.name().isEmpty() ? "<" + n.opType() + ">" : n.name();
    }
}
