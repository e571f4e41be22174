package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.FunctionProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TrainingInfoProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds the {@code onnx} dialect IR from a parsed {@code ModelProto}. Everything the IR does not
 * model is kept as metadata, annotations, patches or opaque fields (see {@link OnnxKeys}).
 */
final class OnnxImporter {

    /**
     * Deepest nesting of subgraphs (If/Loop/Scan bodies inside each other) a model may have. Every
     * walk over a graph recurses into subgraphs; refusing deeper input here keeps all of them
     * far from the end of the stack. Real models nest a handful deep.
     */
    static final int MAX_SUBGRAPH_DEPTH = 64;

    private final String fileName;
    private final TensorCodec.Sources sources;
    private final OnnxExporter canonical = new OnnxExporter(TensorCodec.NO_DATA);

    OnnxImporter(String fileName, TensorCodec.Sources sources) {
        this.fileName = fileName;
        this.sources = sources;
    }

    Model importModel(ModelProto mp) {
        if (!mp.hasGraph()) throw new OnnxInputError("not an ONNX model: it has no graph");
        if (!mp.hasIrVersion()) throw new OnnxInputError("not an ONNX model: ir_version is missing");
        GraphProto gp = mp.getGraph();
        Graph graph = new Graph(gp.getName());
        importGraph(gp, graph);
        Model model = new Model("onnx", graph);
        if (mp.hasIrVersion()) model.setProperty(OnnxExporter.IR_VERSION, Long.toString(mp.getIrVersion()));
        if (mp.hasProducerName()) model.setProperty(OnnxExporter.PRODUCER_NAME, mp.getProducerName());
        if (mp.hasProducerVersion()) model.setProperty(OnnxExporter.PRODUCER_VERSION, mp.getProducerVersion());
        if (mp.hasDomain()) model.setProperty(OnnxExporter.DOMAIN, mp.getDomain());
        if (mp.hasModelVersion()) model.setProperty(OnnxExporter.MODEL_VERSION, Long.toString(mp.getModelVersion()));
        if (mp.hasDocString()) model.setProperty(OnnxExporter.DOC_STRING, mp.getDocString());
        List<Model.OpsetImport> opsets = new ArrayList<>();
        for (OperatorSetIdProto o : mp.getOpsetImportList()) {
            opsets.add(new Model.OpsetImport(o.getDomain(), o.getVersion()));
            if (o.hasDomain() && o.getDomain().isEmpty()) model.setProperty(OnnxKeys.OPSET_EXPLICIT_DEFAULT_DOMAIN, "true");
        }
        model.setOpsets(opsets);
        for (StringStringEntryProto e : mp.getMetadataPropsList()) model.setMetadataProp(e.getKey(), e.getValue());

        for (TrainingInfoProto t : mp.getTrainingInfoList()) {
            model.addOpaqueField(new Model.OpaqueField(ModelProto.TRAINING_INFO_FIELD_NUMBER,
                    ModelProto.newBuilder().addTrainingInfo(t).build().toByteArray()));
        }
        for (FunctionProto f : mp.getFunctionsList()) {
            model.addOpaqueField(new Model.OpaqueField(ModelProto.FUNCTIONS_FIELD_NUMBER,
                    ModelProto.newBuilder().addFunctions(f).build().toByteArray()));
        }
        for (Map.Entry<Integer, UnknownFieldSet.Field> e : mp.getUnknownFields().asMap().entrySet()) {
            UnknownFieldSet one = UnknownFieldSet.newBuilder().addField(e.getKey(), e.getValue()).build();
            model.addOpaqueField(new Model.OpaqueField(e.getKey(), one.toByteArray()));
        }
        ModelProto header = mp.toBuilder().clearGraph().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build();
        String patch = ProtoPatch.diff(header, OnnxExporter.header(model).build(),
                Set.of(ModelProto.GRAPH_FIELD_NUMBER, ModelProto.TRAINING_INFO_FIELD_NUMBER,
                        ModelProto.FUNCTIONS_FIELD_NUMBER));
        if (patch != null) model.setProperty(OnnxKeys.PATCH, patch);
        return model;
    }

    // ---- graphs ------------------------------------------------------------------------------

    private String graphLabel(Graph g) {
        return g.parent() == null ? "graph" : "subgraph '" + g.name() + "'";
    }

    private void importGraph(GraphProto gp, Graph g) {
        Rewriter rw = g.rewriter();
        Map<Value, Map<String, String>> valueMeta = new LinkedHashMap<>();
        Map<String, String> graphMeta = new LinkedHashMap<>();
        if (gp.hasDocString()) graphMeta.put(OnnxKeys.DOC_STRING, gp.getDocString());
        String where = g.parent() == null ? "" : " in subgraph '" + g.name() + "'";

        // Names defined in this graph, for duplicate checks.
        Set<String> defined = new HashSet<>();
        Map<String, Integer> initIndex = new LinkedHashMap<>();
        for (int i = 0; i < gp.getInitializerCount(); i++) {
            String n = gp.getInitializer(i).getName();
            if (n.isEmpty()) throw new OnnxInputError("initializer #" + i + where + " has no name");
            if (initIndex.putIfAbsent(n, i) != null) throw duplicate(n, where);
        }
        Map<String, Integer> sparseIndex = new LinkedHashMap<>();
        for (int i = 0; i < gp.getSparseInitializerCount(); i++) {
            String n = gp.getSparseInitializer(i).getValues().getName();
            if (n.isEmpty()) throw new OnnxInputError("sparse initializer #" + i + where + " has no name");
            if (initIndex.containsKey(n) || sparseIndex.putIfAbsent(n, i) != null) throw duplicate(n, where);
        }

        // Inputs, with their defaults.
        Set<String> inputNames = new HashSet<>();
        for (int i = 0; i < gp.getInputCount(); i++) {
            ValueInfoProto vi = gp.getInput(i);
            if (vi.getName().isEmpty()) throw new OnnxInputError(graphLabel(g) + " input #" + i + " has no name");
            if (!inputNames.add(vi.getName())) throw duplicate(vi.getName(), where);
            defined.add(vi.getName());
            Value v = rw.addInput(vi.getName(), TypeCodec.decode(vi.getType()));
            Map<String, String> meta = meta(valueMeta, v);
            recordValueInfo(vi, v.type(), meta, OnnxKeys.INPUT_PREFIX);
            Integer di = initIndex.get(vi.getName());
            Integer si = sparseIndex.get(vi.getName());
            if (di != null) {
                rw.setInputDefault(v, initializer(gp.getInitializer(di)));
                meta.put(OnnxKeys.INITIALIZER_INDEX, Integer.toString(di));
            } else if (si != null) {
                rw.setInputDefault(v, sparseInitializer(gp.getSparseInitializer(si)));
                meta.put(OnnxKeys.SPARSE_INITIALIZER_INDEX, Integer.toString(si));
            }
        }
        for (Map.Entry<String, Integer> e : initIndex.entrySet()) {
            if (inputNames.contains(e.getKey())) continue;
            defined.add(e.getKey());
            rw.addConstant(e.getKey(), initializer(gp.getInitializer(e.getValue())));
        }
        for (Map.Entry<String, Integer> e : sparseIndex.entrySet()) {
            if (inputNames.contains(e.getKey())) continue;
            defined.add(e.getKey());
            rw.addConstant(e.getKey(), sparseInitializer(gp.getSparseInitializer(e.getValue())));
        }

        // Node results must be new names.
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < gp.getNodeCount(); i++) {
            for (String out : gp.getNode(i).getOutputList()) {
                if (out.isEmpty()) continue;
                if (!defined.add(out)) throw duplicate(out, where);
                producer.put(out, i);
            }
        }

        // value_info: first entry per name of this graph attaches to the value; others stay aside.
        Map<String, Integer> infoByName = new HashMap<>();
        for (int i = 0; i < gp.getValueInfoCount(); i++) {
            String n = gp.getValueInfo(i).getName();
            if (defined.contains(n) && !infoByName.containsKey(n)) {
                infoByName.put(n, i);
            } else {
                graphMeta.put(OnnxKeys.VALUE_INFO_EXTRA + i,
                        Base64.getEncoder().encodeToString(gp.getValueInfo(i).toByteArray()));
            }
        }
        Map<String, ValueInfoProto> outputInfo = new HashMap<>();
        for (ValueInfoProto o : gp.getOutputList()) outputInfo.putIfAbsent(o.getName(), o);

        List<Integer> order = NodeOrder.sort(gp, producer, graphLabel(g));
        String[] names = NodeOrder.uniqueNames(gp);
        for (int idx : order) {
            NodeProto np = gp.getNode(idx);
            createNode(np, idx, names[idx], g, rw, infoByName, outputInfo, gp);
        }

        for (int i = 0; i < gp.getOutputCount(); i++) {
            ValueInfoProto vi = gp.getOutput(i);
            Value v;
            if (vi.getName().isEmpty()) {
                v = Value.ABSENT;
            } else {
                v = g.resolve(vi.getName()).orElseThrow(() -> new OnnxInputError(graphLabel(g) + " output '"
                        + vi.getName() + "' is not defined by any node, initializer or graph input"));
            }
            rw.addOutput(v);
            recordValueInfo(vi, v.type(), graphMeta, OnnxKeys.OUTPUT_PREFIX + i + ".");
        }
        for (Map.Entry<String, Integer> e : infoByName.entrySet()) {
            Value v = g.value(e.getKey()).orElseThrow();
            Map<String, String> meta = meta(valueMeta, v);
            meta.put(OnnxKeys.VALUE_INFO_INDEX, Integer.toString(e.getValue()));
            recordValueInfo(gp.getValueInfo(e.getValue()), v.type(), meta, OnnxKeys.VALUE_INFO_PREFIX);
        }
        for (Map.Entry<Value, Map<String, String>> e : valueMeta.entrySet()) rw.setMetadata(e.getKey(), e.getValue());
        rw.setGraphMetadata(graphMeta);
        String patch = ProtoPatch.diff(gp, OnnxExporter.graphHeader(g).build(),
                Set.of(GraphProto.NODE_FIELD_NUMBER, GraphProto.INITIALIZER_FIELD_NUMBER,
                        GraphProto.SPARSE_INITIALIZER_FIELD_NUMBER, GraphProto.INPUT_FIELD_NUMBER,
                        GraphProto.OUTPUT_FIELD_NUMBER, GraphProto.VALUE_INFO_FIELD_NUMBER));
        if (patch != null) {
            graphMeta.put(OnnxKeys.PATCH, patch);
            rw.setGraphMetadata(graphMeta);
        }
    }

    private static Map<String, String> meta(Map<Value, Map<String, String>> all, Value v) {
        return all.computeIfAbsent(v, k -> new LinkedHashMap<>());
    }

    private static OnnxInputError duplicate(String name, String where) {
        return new OnnxInputError("value '" + name + "' is defined more than once" + where);
    }

    private TensorData initializer(TensorProto t) {
        return TensorCodec.decode(t, "initializer '" + t.getName() + "'", sources, false);
    }

    private TensorData sparseInitializer(SparseTensorProto sp) {
        return sparse(sp, "sparse initializer '" + sp.getValues().getName() + "'");
    }

    private SparseData sparse(SparseTensorProto sp, String label) {
        TensorData values = TensorCodec.decode(sp.getValues(), label + " values", sources, true);
        TensorData indices = TensorCodec.decode(sp.getIndices(), label + " indices", sources, true);
        if (!(values instanceof DenseData dv) || !(indices instanceof DenseData di)) {
            throw new OnnxInputError(label + " has string values or indices, which are not supported");
        }
        long[] dims = new long[sp.getDimsCount()];
        for (int i = 0; i < dims.length; i++) dims[i] = sp.getDims(i);
        TensorCodec.checkedByteSize(dv.dtype(), dims, label);
        SparseData s;
        try {
            s = new SparseData(TensorType.of(dv.dtype(), dims), dv, di, Map.of());
            s.checkIndices();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new OnnxInputError(label + ": " + e.getMessage());
        }
        SparseTensorProto canonicalForm = OnnxExporter.sparseHeader(s).build();
        String patch = ProtoPatch.diff(sp, canonicalForm,
                Set.of(SparseTensorProto.VALUES_FIELD_NUMBER, SparseTensorProto.INDICES_FIELD_NUMBER));
        return patch == null ? s : s.withAnnotations(Map.of(OnnxKeys.PATCH, patch));
    }

    /**
     * Records how a ValueInfoProto differs from the canonical one for {@code valueType}: its own
     * TypeProto when the encodings differ, its doc string, and a patch for the rest.
     */
    private static void recordValueInfo(ValueInfoProto vi, Type valueType, Map<String, String> meta, String prefix) {
        TypeProto original = vi.hasType() ? vi.getType() : null;
        TypeProto canonicalType = TypeCodec.encode(valueType);
        if (!Objects.equals(original, canonicalType)) {
            meta.put(prefix + OnnxKeys.TYPE, original == null ? "" : Base64.getEncoder().encodeToString(original.toByteArray()));
            Type decoded = original == null ? TensorType.unknown() : TypeCodec.decode(original);
            if (!decoded.equals(valueType)) meta.put(prefix + OnnxKeys.TYPE_OWN, "true");
        }
        if (vi.hasDocString()) meta.put(prefix + "doc_string", vi.getDocString());
        String patch = ProtoPatch.diff(vi, OnnxExporter.valueInfo(vi.getName(), valueType, meta, prefix).build(), Set.of());
        if (patch != null) meta.put(prefix + "patch", patch);
    }

    // ---- nodes -------------------------------------------------------------------------------

    private void createNode(NodeProto np, int index, String name, Graph g, Rewriter rw,
                            Map<String, Integer> infoByName, Map<String, ValueInfoProto> outputInfo, GraphProto gp) {
        String shown = np.getName().isEmpty() ? name : np.getName();
        String label = "node '" + shown + "' (" + np.getOpType() + ")";
        if (np.getOpType().isEmpty()) throw new OnnxInputError("node '" + shown + "' has no op_type");
        List<Value> operands = new ArrayList<>();
        for (String in : np.getInputList()) {
            if (in.isEmpty()) {
                operands.add(Value.ABSENT);
            } else {
                operands.add(g.resolve(in).orElseThrow(() -> new OnnxInputError(label + " input '" + in
                        + "' is not defined by any node, initializer or graph input")));
            }
        }
        Map<String, String> meta = new HashMap<>();
        Attributes.Builder attrs = Attributes.builder();
        Set<String> attrNames = new HashSet<>();
        for (AttributeProto ap : np.getAttributeList()) {
            if (!attrNames.add(ap.getName())) {
                throw new OnnxInputError(label + " has attribute '" + ap.getName() + "' more than once");
            }
            Attribute a = attribute(ap, g, label);
            attrs.put(ap.getName(), a);
            Set<Integer> ignored = new HashSet<>();
            int nested = OnnxExporter.nestedValueField(a);
            if (nested > 0) ignored.add(nested);
            String patch = ProtoPatch.diff(ap, canonical.attribute(ap.getName(), a, true).build(), ignored);
            if (patch != null) meta.put(OnnxKeys.ATTR_PREFIX + ap.getName() + ".patch", patch);
        }
        List<String> resultNames = new ArrayList<>(np.getOutputList());
        List<Type> resultTypes = new ArrayList<>();
        for (String out : resultNames) {
            Type t = TensorType.unknown();
            Integer vi = infoByName.get(out);
            if (vi != null && gp.getValueInfo(vi).hasType()) {
                t = TypeCodec.decode(gp.getValueInfo(vi).getType());
            } else if (outputInfo.containsKey(out) && outputInfo.get(out).hasType()) {
                t = TypeCodec.decode(outputInfo.get(out).getType());
            }
            resultTypes.add(t);
        }
        String op = OnnxExporter.opName(np.getDomain(), np.getOpType());
        if (np.getOpType().contains(".")) {
            meta.put(OnnxKeys.OP_TYPE, np.getOpType());
            meta.put(OnnxKeys.DOMAIN, np.getDomain());
        }
        if (!name.equals(np.getName())) meta.put(OnnxKeys.ORIGINAL_NAME, np.getName());
        if (np.hasOverload()) meta.put(OnnxKeys.OVERLOAD, np.getOverload());
        if (np.hasDocString()) meta.put(OnnxKeys.DOC_STRING, np.getDocString());
        Node n = rw.createNode(name, op, operands, resultNames, resultTypes, attrs.build(),
                new Location(fileName, shown, index));
        rw.setMetadata(n, meta);
        String patch = ProtoPatch.diff(np, OnnxExporter.nodeHeader(n).build(), Set.of(NodeProto.ATTRIBUTE_FIELD_NUMBER));
        if (patch != null) {
            meta.put(OnnxKeys.PATCH, patch);
            rw.setMetadata(n, meta);
        }
    }

    private Attribute attribute(AttributeProto a, Graph g, String nodeLabel) {
        String label = nodeLabel + " attribute '" + a.getName() + "'";
        if (a.hasRefAttrName()) return new Attribute.RefAttr(a.getRefAttrName(), a.getType().getNumber());
        AttributeProto.AttributeType type = a.hasType() ? a.getType() : inferType(a);
        switch (type) {
            case FLOAT: return new Attribute.FloatAttr(a.getF());
            case INT: return new Attribute.IntAttr(a.getI());
            case STRING: return new Attribute.StringAttr(a.getS().toStringUtf8());
            case TENSOR: return new Attribute.TensorAttr(TensorCodec.decode(a.getT(), label, sources, true));
            case GRAPH: return new Attribute.GraphAttr(subgraph(a.getG(), g));
            case SPARSE_TENSOR: return new Attribute.SparseTensorAttr(sparse(a.getSparseTensor(), label));
            case TYPE_PROTO: return new Attribute.TypeAttr(TypeCodec.decode(a.getTp()));
            case FLOATS: return new Attribute.FloatsAttr(a.getFloatsList());
            case INTS: return new Attribute.IntsAttr(a.getIntsList());
            case STRINGS: {
                List<String> s = new ArrayList<>();
                for (ByteString b : a.getStringsList()) s.add(b.toStringUtf8());
                return new Attribute.StringsAttr(s);
            }
            case TENSORS: {
                List<TensorData> ts = new ArrayList<>();
                for (int i = 0; i < a.getTensorsCount(); i++) {
                    ts.add(TensorCodec.decode(a.getTensors(i), label + " tensor #" + i, sources, true));
                }
                return new Attribute.TensorsAttr(ts);
            }
            case GRAPHS: {
                List<Graph> gs = new ArrayList<>();
                for (GraphProto sub : a.getGraphsList()) gs.add(subgraph(sub, g));
                return new Attribute.GraphsAttr(gs);
            }
            case SPARSE_TENSORS: {
                List<SparseData> ss = new ArrayList<>();
                for (int i = 0; i < a.getSparseTensorsCount(); i++) {
                    ss.add(sparse(a.getSparseTensors(i), label + " sparse tensor #" + i));
                }
                return new Attribute.SparseTensorsAttr(ss);
            }
            case TYPE_PROTOS: {
                List<Type> ts = new ArrayList<>();
                for (TypeProto tp : a.getTypeProtosList()) ts.add(TypeCodec.decode(tp));
                return new Attribute.TypesAttr(ts);
            }
            default:
                return new Attribute.IntsAttr(List.of());
        }
    }

    /** The kind of an attribute without a type field (IR version 1 files): the field that is set. */
    private static AttributeProto.AttributeType inferType(AttributeProto a) {
        if (a.hasF()) return AttributeProto.AttributeType.FLOAT;
        if (a.hasI()) return AttributeProto.AttributeType.INT;
        if (a.hasS()) return AttributeProto.AttributeType.STRING;
        if (a.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (a.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (a.hasSparseTensor()) return AttributeProto.AttributeType.SPARSE_TENSOR;
        if (a.hasTp()) return AttributeProto.AttributeType.TYPE_PROTO;
        if (a.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (a.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (a.getTensorsCount() > 0) return AttributeProto.AttributeType.TENSORS;
        if (a.getGraphsCount() > 0) return AttributeProto.AttributeType.GRAPHS;
        if (a.getSparseTensorsCount() > 0) return AttributeProto.AttributeType.SPARSE_TENSORS;
        if (a.getTypeProtosCount() > 0) return AttributeProto.AttributeType.TYPE_PROTOS;
        return AttributeProto.AttributeType.INTS;
    }

    private Graph subgraph(GraphProto gp, Graph parent) {
        int depth = 1;
        for (Graph g = parent; g.parent() != null; g = g.parent()) depth++;
        if (depth > MAX_SUBGRAPH_DEPTH) {
            throw new OnnxInputError("subgraph '" + gp.getName() + "' is nested deeper than the limit of " + MAX_SUBGRAPH_DEPTH
                    + " graphs (If/Loop/Scan bodies inside each other)");
        }
        Graph sub = new Graph(gp.getName(), parent);
        importGraph(gp, sub);
        return sub;
    }
}
