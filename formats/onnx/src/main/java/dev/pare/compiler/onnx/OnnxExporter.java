package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.ir.Attribute;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds a {@code ModelProto} from the IR. The static "canonical" builders produce what the IR
 * says, without the read-time patches; the reader uses them to compute those patches, and
 * {@link #export} applies them, so reading and writing an unchanged model gives back the input.
 */
final class OnnxExporter {

    static final String IR_VERSION = "ir_version";
    static final String PRODUCER_NAME = "producer_name";
    static final String PRODUCER_VERSION = "producer_version";
    static final String DOMAIN = "domain";
    static final String MODEL_VERSION = "model_version";
    static final String DOC_STRING = "doc_string";

    private final TensorCodec.Sink sink;

    OnnxExporter(TensorCodec.Sink sink) { this.sink = sink; }

    ModelProto export(Model model) {
        if (!"onnx".equals(model.format())) {
            // Other formats' opaque fields and properties mean nothing here.
            ModelProto.Builder b = ModelProto.newBuilder().setIrVersion(10);
            for (Model.OpsetImport o : model.opsets()) {
                b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(o.domain()).setVersion(o.version()));
            }
            return b.setGraph(graph(model.graph())).build();
        }
        ModelProto.Builder b = header(model);
        b.setGraph(graph(model.graph()));
        ProtoPatch.apply(b, model.properties().get(OnnxKeys.PATCH));
        for (Model.OpaqueField f : model.opaqueFields()) {
            try {
                b.mergeFrom(f.encoded());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("opaque field " + f.fieldNumber() + " is not ModelProto encoding", e);
            }
        }
        return b.build();
    }

    // ---- canonical builders -------------------------------------------------------------------

    static ModelProto.Builder header(Model model) {
        ModelProto.Builder b = ModelProto.newBuilder();
        Map<String, String> p = model.properties();
        if (p.containsKey(IR_VERSION)) b.setIrVersion(parseLong(p.get(IR_VERSION), IR_VERSION));
        if (p.containsKey(PRODUCER_NAME)) b.setProducerName(p.get(PRODUCER_NAME));
        if (p.containsKey(PRODUCER_VERSION)) b.setProducerVersion(p.get(PRODUCER_VERSION));
        if (p.containsKey(DOMAIN)) b.setDomain(p.get(DOMAIN));
        if (p.containsKey(MODEL_VERSION)) b.setModelVersion(parseLong(p.get(MODEL_VERSION), MODEL_VERSION));
        if (p.containsKey(DOC_STRING)) b.setDocString(p.get(DOC_STRING));
        // Exporters differ on whether the default domain is written as "" or left out.
        boolean explicitDefault = p.containsKey(OnnxKeys.OPSET_EXPLICIT_DEFAULT_DOMAIN);
        for (Model.OpsetImport o : model.opsets()) {
            OperatorSetIdProto.Builder ob = OperatorSetIdProto.newBuilder().setVersion(o.version());
            if (!o.domain().isEmpty() || explicitDefault) ob.setDomain(o.domain());
            b.addOpsetImport(ob);
        }
        for (Map.Entry<String, String> e : model.metadataProps().entrySet()) {
            b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return b;
    }

    private static long parseLong(String s, String key) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model property " + key + " = '" + s + "' is not an integer");
        }
    }

    static GraphProto.Builder graphHeader(Graph g) {
        GraphProto.Builder b = GraphProto.newBuilder();
        if (!g.name().isEmpty()) b.setName(g.name());
        String doc = g.metadata().get(OnnxKeys.DOC_STRING);
        if (doc != null) b.setDocString(doc);
        return b;
    }

    static NodeProto.Builder nodeHeader(Node n) {
        NodeProto.Builder b = NodeProto.newBuilder();
        if (!"onnx".equals(n.dialect())) {
            throw new IllegalArgumentException("node '" + n.name() + "' has op " + n.op() + ", which is not an ONNX op");
        }
        for (Value v : n.operands()) b.addInput(v.isAbsent() ? "" : v.name());
        for (Value v : n.results()) b.addOutput(v.isAbsent() ? "" : v.name());
        Map<String, String> m = n.metadata();
        String name = m.getOrDefault(OnnxKeys.ORIGINAL_NAME, n.name());
        if (!name.isEmpty()) b.setName(name);
        String opType = n.opType();
        String domain = n.domain();
        String verbatimType = m.get(OnnxKeys.OP_TYPE);
        if (verbatimType != null) {
            String verbatimDomain = m.getOrDefault(OnnxKeys.DOMAIN, "");
            if (n.op().equals(opName(verbatimDomain, verbatimType))) {
                opType = verbatimType;
                domain = verbatimDomain;
            }
        }
        b.setOpType(opType);
        if (!domain.isEmpty()) b.setDomain(domain);
        if (m.containsKey(OnnxKeys.OVERLOAD)) b.setOverload(m.get(OnnxKeys.OVERLOAD));
        if (m.containsKey(OnnxKeys.DOC_STRING)) b.setDocString(m.get(OnnxKeys.DOC_STRING));
        return b;
    }

    /** The IR op name of an ONNX op. */
    static String opName(String domain, String opType) {
        return domain.isEmpty() ? "onnx." + opType : "onnx." + domain + "." + opType;
    }

    /**
     * An attribute without its patch. With {@code shallow}, tensor and graph contents are left
     * out (the reader compares those through their own patches).
     */
    AttributeProto.Builder attribute(String name, Attribute a, boolean shallow) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
        if (a instanceof Attribute.RefAttr r) {
            b.setRefAttrName(r.refName());
            AttributeProto.AttributeType t = AttributeProto.AttributeType.forNumber(r.refKindCode());
            if (t != null) b.setType(t);
            return b;
        }
        b.setType(AttributeProto.AttributeType.forNumber(a.kindCode()));
        if (a instanceof Attribute.FloatAttr f) b.setF(f.value());
        else if (a instanceof Attribute.IntAttr i) b.setI(i.value());
        else if (a instanceof Attribute.StringAttr s) b.setS(ByteString.copyFrom(s.value(), StandardCharsets.UTF_8));
        else if (a instanceof Attribute.FloatsAttr fs) b.addAllFloats(fs.values());
        else if (a instanceof Attribute.IntsAttr is) b.addAllInts(is.values());
        else if (a instanceof Attribute.StringsAttr ss) {
            for (String s : ss.values()) b.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8));
        } else if (a instanceof Attribute.TypeAttr t) {
            TypeProto tp = TypeCodec.encode(t.value());
            b.setTp(tp == null ? TypeProto.getDefaultInstance() : tp);
        } else if (a instanceof Attribute.TypesAttr ts) {
            for (Type t : ts.values()) {
                TypeProto tp = TypeCodec.encode(t);
                b.addTypeProtos(tp == null ? TypeProto.getDefaultInstance() : tp);
            }
        } else if (shallow) {
            return b;
        } else if (a instanceof Attribute.TensorAttr t) {
            b.setT(tensor(t.value(), null));
        } else if (a instanceof Attribute.TensorsAttr ts) {
            for (TensorData t : ts.values()) b.addTensors(tensor(t, null));
        } else if (a instanceof Attribute.GraphAttr g) {
            b.setG(graph(g.value()));
        } else if (a instanceof Attribute.GraphsAttr gs) {
            for (Graph g : gs.values()) b.addGraphs(graph(g));
        } else if (a instanceof Attribute.SparseTensorAttr s) {
            b.setSparseTensor(sparse(s.value(), null));
        } else if (a instanceof Attribute.SparseTensorsAttr ss) {
            for (SparseData s : ss.values()) b.addSparseTensors(sparse(s, null));
        }
        return b;
    }

    /** The field holding an attribute's value, if it is a tensor or graph kind (compared by its own patches). */
    static int nestedValueField(Attribute a) {
        if (a instanceof Attribute.TensorAttr) return AttributeProto.T_FIELD_NUMBER;
        if (a instanceof Attribute.TensorsAttr) return AttributeProto.TENSORS_FIELD_NUMBER;
        if (a instanceof Attribute.GraphAttr) return AttributeProto.G_FIELD_NUMBER;
        if (a instanceof Attribute.GraphsAttr) return AttributeProto.GRAPHS_FIELD_NUMBER;
        if (a instanceof Attribute.SparseTensorAttr) return AttributeProto.SPARSE_TENSOR_FIELD_NUMBER;
        if (a instanceof Attribute.SparseTensorsAttr) return AttributeProto.SPARSE_TENSORS_FIELD_NUMBER;
        return -1;
    }

    /** A ValueInfoProto without its patch; {@code prefix} selects the entry's keys in {@code meta}. */
    static ValueInfoProto.Builder valueInfo(String name, Type type, Map<String, String> meta, String prefix) {
        ValueInfoProto.Builder b = ValueInfoProto.newBuilder();
        if (!name.isEmpty()) b.setName(name);
        boolean typed = false;
        String stored = meta.get(prefix + OnnxKeys.TYPE);
        if (stored != null) {
            TypeProto original = stored.isEmpty() ? null : parseType(stored);
            Type originalType = original == null ? TensorType.unknown() : TypeCodec.decode(original);
            if (meta.containsKey(prefix + OnnxKeys.TYPE_OWN) || originalType.equals(type)) {
                if (original != null) b.setType(original);
                typed = true;
            }
        }
        if (!typed) {
            TypeProto tp = TypeCodec.encode(type);
            if (tp != null) b.setType(tp);
        }
        String doc = meta.get(prefix + "doc_string");
        if (doc != null) b.setDocString(doc);
        return b;
    }

    static SparseTensorProto.Builder sparseHeader(SparseData s) {
        SparseTensorProto.Builder b = SparseTensorProto.newBuilder();
        for (long d : s.type().shape()) b.addDims(d);
        return b;
    }

    private static TypeProto parseType(String base64) {
        try {
            return TypeProto.parseFrom(Base64.getDecoder().decode(base64));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed stored ONNX type", e);
        }
    }

    // ---- full builders (canonical + patches) -----------------------------------------------------

    TensorProto tensor(TensorData data, String name) {
        return tensor(data, name, false);
    }

    /** The tensor; an {@code initializer} may be moved to external data by the sink. */
    TensorProto tensor(TensorData data, String name, boolean initializer) {
        TensorProto t = TensorCodec.finish(TensorCodec.encode(data, name, sink, initializer), data);
        // A read-time patch may carry the name the tensor had where it was read (e.g. an explicit ""
        // on a Constant node's value); once the tensor is an initializer its value's name must win.
        if (name != null && !name.equals(t.getName())) t = t.toBuilder().setName(name).build();
        return t;
    }

    SparseTensorProto sparse(SparseData s, String name) {
        SparseTensorProto.Builder b = sparseHeader(s);
        b.setValues(tensor(s.values(), name));
        b.setIndices(tensor(s.indices(), null));
        ProtoPatch.apply(b, s.annotation(OnnxKeys.PATCH));
        return b.build();
    }

    NodeProto node(Node n) {
        NodeProto.Builder b = nodeHeader(n);
        for (Map.Entry<String, Attribute> e : n.attributes().asMap().entrySet()) {
            AttributeProto.Builder ab = attribute(e.getKey(), e.getValue(), false);
            ProtoPatch.apply(ab, n.metadata().get(OnnxKeys.ATTR_PREFIX + e.getKey() + ".patch"));
            b.addAttribute(ab);
        }
        ProtoPatch.apply(b, n.metadata().get(OnnxKeys.PATCH));
        return b.build();
    }

    GraphProto graph(Graph g) {
        GraphProto.Builder b = graphHeader(g);
        // Initializers first, so external data is laid out in initializer order.
        List<TensorProto> dense = new ArrayList<>();
        List<SparseTensorProto> sparse = new ArrayList<>();
        for (Value c : g.constants()) {
            if (c.data() instanceof SparseData s) sparse.add(sparse(s, c.name()));
            else dense.add(tensor(c.data(), c.name(), true));
        }
        List<Value> defaults = new ArrayList<>();
        for (Value v : g.inputs()) if (v.data() != null) defaults.add(v);
        insertDefaults(defaults, OnnxKeys.INITIALIZER_INDEX, false, dense, v -> tensor(v.data(), v.name(), true));
        insertDefaults(defaults, OnnxKeys.SPARSE_INITIALIZER_INDEX, true, sparse,
                v -> sparse((SparseData) v.data(), v.name()));
        b.addAllInitializer(dense);
        b.addAllSparseInitializer(sparse);
        for (Node n : g.nodes()) b.addNode(node(n));

        for (Value v : g.inputs()) {
            ValueInfoProto.Builder vb = valueInfo(v.name(), v.type(), v.metadata(), OnnxKeys.INPUT_PREFIX);
            ProtoPatch.apply(vb, v.metadata().get(OnnxKeys.INPUT_PREFIX + "patch"));
            b.addInput(vb);
        }
        for (int i = 0; i < g.outputs().size(); i++) {
            Value v = g.outputs().get(i);
            String prefix = OnnxKeys.OUTPUT_PREFIX + i + ".";
            ValueInfoProto.Builder vb = valueInfo(v.isAbsent() ? "" : v.name(), v.type(), g.metadata(), prefix);
            ProtoPatch.apply(vb, g.metadata().get(prefix + "patch"));
            b.addOutput(vb);
        }
        b.addAllValueInfo(valueInfos(g));
        ProtoPatch.apply(b, g.metadata().get(OnnxKeys.PATCH));
        return b.build();
    }

    private interface Encoder<T> { T encode(Value v); }

    private static <T> void insertDefaults(List<Value> defaults, String key, boolean sparse, List<T> into,
                                           Encoder<T> encoder) {
        List<Value> mine = new ArrayList<>();
        for (Value v : defaults) if ((v.data() instanceof SparseData) == sparse) mine.add(v);
        mine.sort(Comparator.comparingLong(v -> index(v.metadata().get(key), Long.MAX_VALUE)));
        for (Value v : mine) {
            long at = Math.min(index(v.metadata().get(key), Long.MAX_VALUE), into.size());
            into.add((int) at, encoder.encode(v));
        }
    }

    private static long index(String s, long fallback) {
        if (s == null) return fallback;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private record IndexedInfo(long index, ValueInfoProto info) {}

    private static List<ValueInfoProto> valueInfos(Graph g) {
        List<IndexedInfo> out = new ArrayList<>();
        List<Value> candidates = new ArrayList<>(g.inputs());
        candidates.addAll(g.constants());
        for (Node n : g.nodes()) for (Value r : n.results()) if (!r.isAbsent()) candidates.add(r);
        for (Value v : candidates) {
            String idx = v.metadata().get(OnnxKeys.VALUE_INFO_INDEX);
            if (idx == null) continue;
            ValueInfoProto.Builder vb = valueInfo(v.name(), v.type(), v.metadata(), OnnxKeys.VALUE_INFO_PREFIX);
            ProtoPatch.apply(vb, v.metadata().get(OnnxKeys.VALUE_INFO_PREFIX + "patch"));
            out.add(new IndexedInfo(index(idx, Long.MAX_VALUE), vb.build()));
        }
        for (Map.Entry<String, String> e : g.metadata().entrySet()) {
            if (!e.getKey().startsWith(OnnxKeys.VALUE_INFO_EXTRA)) continue;
            long idx = index(e.getKey().substring(OnnxKeys.VALUE_INFO_EXTRA.length()), Long.MAX_VALUE);
            try {
                out.add(new IndexedInfo(idx, ValueInfoProto.parseFrom(Base64.getDecoder().decode(e.getValue()))));
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalArgumentException("malformed " + e.getKey() + " metadata", ex);
            }
        }
        out.sort(Comparator.comparingLong(IndexedInfo::index));
        List<ValueInfoProto> list = new ArrayList<>(out.size());
        for (IndexedInfo i : out) list.add(i.info());
        return list;
    }
}
