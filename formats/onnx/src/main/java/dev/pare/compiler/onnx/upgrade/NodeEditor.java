package dev.pare.compiler.onnx.upgrade;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites single nodes for the upgrader: replaces a node by one of another form that keeps the
 * node's name and its results' names, types and metadata (so the written file differs only where
 * the schema changed), adds constants for attributes that became inputs, and inserts helper nodes.
 * New names never clash with a name anywhere in the model (subgraphs included).
 */
final class NodeEditor {

    static final Location CREATED = Location.created("opset-upgrade");

    private final Set<String> names = new HashSet<>();
    private final Map<Value, DType> elementTypes = new HashMap<>();
    private final long fromOpset;
    private final long toOpset;

    NodeEditor(Model model, long fromOpset, long toOpset) {
        this.fromOpset = fromOpset;
        this.toOpset = toOpset;
        collect(model.graph());
    }

    private void collect(Graph g) {
        for (Value v : g.inputs()) names.add(v.name());
        for (Value v : g.constants()) names.add(v.name());
        for (Node n : g.nodes()) {
            names.add(n.name());
            for (Value r : n.results()) if (!r.isAbsent()) names.add(r.name());
            for (Graph sub : n.subgraphs()) collect(sub);
        }
    }

    /** A one-line error about {@code node}. */
    UpgradeException error(Node node, String what) {
        return new UpgradeException("node '" + node.name() + "' (" + node.opType() + "): " + what
                + " (upgrading opset " + fromOpset + " to " + toOpset + ")");
    }

    String fresh(String base) {
        String n = base;
        for (int i = 1; names.contains(n); i++) n = base + "_" + i;
        names.add(n);
        return n;
    }

    /** A new initializer in {@code node}'s graph, named after the node. */
    Value constant(Node node, String suffix, TensorData data) {
        return node.graph().rewriter().addConstant(fresh(node.name() + "_" + suffix), data);
    }

    Value longs(Node node, String suffix, List<Long> values) {
        long[] v = new long[values.size()];
        for (int i = 0; i < v.length; i++) v[i] = values.get(i);
        return constant(node, suffix, TensorData.ofLongs(new long[] {v.length}, v));
    }

    /** A scalar of {@code type} (float16, float32 or float64) holding {@code value}. */
    Value floatScalar(Node node, String suffix, DType type, float value) {
        ByteBuffer b;
        switch (type) {
            case FLOAT16:
                b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(Float16.fromFloat(value));
                break;
            case FLOAT64:
                b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value);
                break;
            case FLOAT32:
                b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
                break;
            default:
                throw error(node, "needs a float scalar of type " + type.shortName());
        }
        return constant(node, suffix, TensorData.ofBuffer(TensorType.of(type), b.flip()));
    }

    /** Inserts a one-result default-domain node before {@code anchor}. */
    Value insertBefore(Node anchor, String opType, List<Value> operands, Attributes attributes, Type resultType) {
        Rewriter rw = anchor.graph().rewriter();
        rw.setInsertionPointBefore(anchor);
        String name = fresh(anchor.name() + "/" + opType);
        return rw.createNode(name, "onnx." + opType, operands, List.of(fresh(name + "_output")),
                List.of(resultType), attributes, CREATED).result(0);
    }

    /** Replaces {@code old} by a node of the same name and results with another op, operands and attributes. */
    Node replace(Node old, String opType, List<Value> operands, Attributes attributes) {
        return replace(old, opType, operands, attributes, old.results().size());
    }

    /**
     * As {@link #replace(Node, String, List, Attributes)}, keeping only the first {@code resultCount}
     * results; the dropped ones must be unused.
     */
    Node replace(Node old, String opType, List<Value> operands, Attributes attributes, int resultCount) {
        Graph g = old.graph();
        Rewriter rw = g.rewriter();
        String op = "onnx." + opType;
        List<String> resultNames = new ArrayList<>();
        List<String> tempNames = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        for (int i = 0; i < resultCount; i++) {
            Value r = old.result(i);
            resultNames.add(r.isAbsent() ? "" : r.name());
            tempNames.add(r.isAbsent() ? "" : fresh(r.name() + "_upgrading"));
            types.add(r.type());
        }
        for (int i = resultCount; i < old.results().size(); i++) {
            Value r = old.result(i);
            if (!r.isAbsent() && (r.hasUses() || g.isOutput(r))) throw error(old, "result " + i + " is used");
        }
        // Node and result names are unique, so the replacement is built under temporary names,
        // takes over the uses, and is then rebuilt under the original names once the old node is gone.
        rw.setInsertionPointBefore(old);
        Node temp = rw.createNode(fresh(old.name() + "_upgrading"), op, operands, tempNames, types, attributes, old.location());
        for (int i = 0; i < resultCount; i++) {
            if (!old.result(i).isAbsent()) rw.replaceAllUsesWith(old.result(i), temp.result(i));
        }
        List<Map<String, String>> metadata = new ArrayList<>();
        for (int i = 0; i < resultCount; i++) metadata.add(old.result(i).metadata());
        Map<String, String> nodeMetadata = old.metadata();
        String name = old.name();
        rw.erase(old);
        rw.setInsertionPointBefore(temp);
        Node fin = rw.createNode(name, op, operands, resultNames, types, attributes, temp.location());
        rw.setMetadata(fin, nodeMetadata);
        for (int i = 0; i < resultCount; i++) {
            if (fin.result(i).isAbsent()) continue;
            rw.replaceAllUsesWith(temp.result(i), fin.result(i));
            rw.setMetadata(fin.result(i), metadata.get(i));
        }
        rw.erase(temp);
        rw.setInsertionPointToEnd();
        return fin;
    }

    /** The value of a constant operand (an initializer or the output of a Constant node), or null. */
    static TensorData constantValue(Value v) {
        if (v.isAbsent()) return null;
        if (v.isConstant()) return v.data(); // a graph input's default can be overridden: not a constant
        Node p = v.producer();
        if (p != null && p.op().equals("onnx.Constant") && p.attributes().get("value").orElse(null) instanceof Attribute.TensorAttr t) {
            return t.value();
        }
        return null;
    }

    /**
     * The element type of {@code v}: its declared type, else followed back through ops whose
     * result has the element type of their first operand (elementwise math, layout ops), Cast and
     * Constant; {@link DType#UNDEFINED} if that does not lead anywhere.
     */
    DType elementType(Value v) {
        for (int depth = 0; depth < 10_000 && !v.isAbsent(); depth++) {
            DType known = elementTypes.get(v);
            if (known != null) return known;
            DType declared = v.tensorType().dtype();
            if (declared != DType.UNDEFINED) return remember(v, declared);
            Node p = v.producer();
            if (p == null || !p.dialect().equals("onnx")) return DType.UNDEFINED;
            String op = p.opType();
            if (op.equals("Cast")) {
                return remember(v, DType.fromOnnx((int) p.attributes().getInt("to", 0)).orElse(DType.UNDEFINED));
            }
            if (op.equals("Constant")) {
                TensorData c = constantValue(v);
                return remember(v, c == null ? DType.UNDEFINED : c.dtype());
            }
            if (op.equals("Shape") || op.equals("Size") || op.equals("NonZero") || op.equals("ArgMax") || op.equals("ArgMin")) {
                return remember(v, DType.INT64);
            }
            if (!TYPE_PRESERVING.contains(op) || p.operands().isEmpty()) return DType.UNDEFINED;
            v = op.equals("Where") ? p.operand(1) : p.operand(0);
        }
        return DType.UNDEFINED;
    }

    private DType remember(Value v, DType t) {
        elementTypes.put(v, t);
        return t;
    }

    /** Ops whose first result has the element type of their first operand (Where: of its second). */
    private static final Set<String> TYPE_PRESERVING = Set.of(
            "Abs", "Add", "AveragePool", "BatchNormalization", "Ceil", "Clip", "Concat", "Conv", "ConvTranspose",
            "DepthToSpace", "Div", "Dropout", "Elu", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather",
            "GatherElements", "GatherND", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish",
            "Identity", "InstanceNormalization", "LRN", "LeakyRelu", "Log", "LogSoftmax", "MatMul", "Max",
            "MaxPool", "Mean", "Min", "Mul", "Neg", "PRelu", "Pad", "Pow", "Reciprocal", "ReduceL1", "ReduceL2",
            "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
            "ReduceSumSquare", "Relu", "Reshape", "Resize", "Selu", "Sigmoid", "Slice", "Softmax", "Softplus",
            "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile", "Transpose",
            "Unsqueeze", "Upsample", "Where", "Hardmax", "LayerNormalization");
}
