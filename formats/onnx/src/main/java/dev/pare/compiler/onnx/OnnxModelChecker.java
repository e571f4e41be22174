package dev.pare.compiler.onnx;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a {@code ModelProto} the way a consumer (ONNX Runtime, the ONNX checker) reads it, so that
 * Pare never writes a model they refuse. The rules:
 * <ul>
 *   <li>an opset import for every operator domain a node uses, and an {@code ir_version};</li>
 *   <li>initializers and graph inputs have non-empty names, unique in their graph; node outputs are
 *       assigned once (single static assignment) and do not redefine an input or initializer;</li>
 *   <li>nodes are in topological order: every input names a graph input, an initializer, an output of
 *       an earlier node, or (in a subgraph) a value of an enclosing graph visible at the node that
 *       holds the subgraph;</li>
 *   <li>every graph output is defined (a subgraph output may name an enclosing graph's value);</li>
 *   <li>the main graph's inputs have a type with an element type (ONNX Runtime infers an untyped
 *       output's type, so outputs may omit it); an initializer agrees
 *       with any tensor type declared for its name (input, output or value_info), and one name is not
 *       declared with two element types.</li>
 * </ul>
 * Tensor payloads are not read: the check runs on the proto skeleton {@link OnnxWriter} builds.
 */
public final class OnnxModelChecker {

    private OnnxModelChecker() {}

    /** The problems found, each one line naming the graph, node and value; empty when the model is valid. */
    public static List<String> check(ModelProto model) {
        Run run = new Run(model);
        run.checkModel();
        return run.problems;
    }

    /** Names visible to a graph from the graphs enclosing it, innermost first. */
    private record Scope(Set<String> names, Scope outer) {
        boolean contains(String name) {
            for (Scope s = this; s != null; s = s.outer) if (s.names.contains(name)) return true;
            return false;
        }
    }

    private static final class Run {
        final ModelProto model;
        final List<String> problems = new ArrayList<>();
        final Set<String> importedDomains = new HashSet<>();
        final Set<String> reportedDomains = new HashSet<>();

        Run(ModelProto model) { this.model = model; }

        void checkModel() {
            if (model.getIrVersion() <= 0) problems.add("model has no ir_version");
            for (OperatorSetIdProto o : model.getOpsetImportList()) importedDomains.add(canonicalDomain(o.getDomain()));
            if (!model.hasGraph()) {
                problems.add("model has no graph");
                return;
            }
            checkGraph(model.getGraph(), "graph '" + model.getGraph().getName() + "'", null, true);
        }

        private void checkGraph(GraphProto g, String where, Scope outer, boolean main) {
            Set<String> defined = new HashSet<>();
            Map<String, TensorProto> initializers = new HashMap<>();
            for (int i = 0; i < g.getInitializerCount(); i++) {
                TensorProto t = g.getInitializer(i);
                if (t.getName().isEmpty()) {
                    problems.add(where + ": initializer #" + i + " has no name");
                } else if (!defined.add(t.getName())) {
                    problems.add(where + ": initializer '" + t.getName() + "' is defined twice");
                } else {
                    initializers.put(t.getName(), t);
                }
            }
            for (int i = 0; i < g.getSparseInitializerCount(); i++) {
                SparseTensorProto s = g.getSparseInitializer(i);
                String name = s.getValues().getName();
                if (name.isEmpty()) problems.add(where + ": sparse initializer #" + i + " has no name");
                else if (!defined.add(name)) problems.add(where + ": sparse initializer '" + name + "' is defined twice");
            }
            Set<String> inputs = new HashSet<>();
            for (int i = 0; i < g.getInputCount(); i++) {
                ValueInfoProto in = g.getInput(i);
                if (in.getName().isEmpty()) {
                    problems.add(where + ": input #" + i + " has no name");
                    continue;
                }
                if (!inputs.add(in.getName())) problems.add(where + ": input '" + in.getName() + "' is declared twice");
                defined.add(in.getName()); // an initializer may share an input's name: it is the input's default
                if (main) requireType(in, where + ": input '" + in.getName() + "'");
            }
            checkDeclaredTypes(g, where, initializers);

            // Producers, to tell "defined by a later node" from "defined nowhere".
            Map<String, Integer> producer = new HashMap<>();
            for (int i = 0; i < g.getNodeCount(); i++) {
                for (String out : g.getNode(i).getOutputList()) if (!out.isEmpty()) producer.putIfAbsent(out, i);
            }
            Scope scope = new Scope(defined, outer);
            for (int i = 0; i < g.getNodeCount(); i++) {
                NodeProto n = g.getNode(i);
                String node = where + ": node " + nodeLabel(n, i);
                checkDomain(n, node);
                for (String in : n.getInputList()) {
                    if (in.isEmpty() || scope.contains(in)) continue;
                    Integer later = producer.get(in);
                    if (later != null && later >= i) {
                        problems.add(node + " input '" + in + "' is produced by node " + nodeLabel(g.getNode(later), later)
                                + ", which comes later (nodes are not in topological order)");
                    } else {
                        problems.add(node + " input '" + in + "' is not a graph input, initializer or output of an earlier node"
                                + (outer == null ? "" : " here or in an enclosing graph"));
                    }
                }
                // Subgraphs see what is defined before this node, in this graph and the enclosing ones.
                for (AttributeProto a : n.getAttributeList()) {
                    List<GraphProto> subgraphs = new ArrayList<>();
                    if (a.hasG()) subgraphs.add(a.getG());
                    subgraphs.addAll(a.getGraphsList());
                    for (GraphProto sub : subgraphs) {
                        checkGraph(sub, where + " > node " + nodeLabel(n, i) + " attribute '" + a.getName()
                                + "' subgraph '" + sub.getName() + "'", scope, false);
                    }
                }
                for (String out : n.getOutputList()) {
                    if (out.isEmpty()) continue;
                    if (!defined.add(out)) {
                        problems.add(node + " output '" + out + "' is already defined (by an input, an initializer or an earlier node)");
                    }
                }
            }
            for (int i = 0; i < g.getOutputCount(); i++) {
                ValueInfoProto out = g.getOutput(i);
                if (out.getName().isEmpty()) {
                    problems.add(where + ": output #" + i + " has no name");
                    continue;
                }
                if (!scope.contains(out.getName())) {
                    problems.add(where + ": output '" + out.getName() + "' is not produced by any node, input or initializer");
                }
            }
        }

        private void requireType(ValueInfoProto v, String label) {
            if (!v.hasType() || v.getType().getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET) {
                problems.add(label + " has no type");
            } else if (v.getType().hasTensorType() && v.getType().getTensorType().getElemType() == 0) {
                problems.add(label + " has no element type");
            }
        }

        /** An initializer agrees with the tensor types declared for its name; a name has one element type. */
        private void checkDeclaredTypes(GraphProto g, String where, Map<String, TensorProto> initializers) {
            Map<String, Integer> elemTypes = new HashMap<>();
            List<ValueInfoProto> declared = new ArrayList<>(g.getInputList());
            declared.addAll(g.getOutputList());
            declared.addAll(g.getValueInfoList());
            for (ValueInfoProto v : declared) {
                if (v.getName().isEmpty() || !v.getType().hasTensorType()) continue;
                TypeProto.Tensor t = v.getType().getTensorType();
                int elem = t.getElemType();
                if (elem == 0) continue;
                Integer before = elemTypes.putIfAbsent(v.getName(), elem);
                if (before != null && before != elem) {
                    problems.add(where + ": value '" + v.getName() + "' is declared with element types "
                            + elemName(before) + " and " + elemName(elem));
                }
                TensorProto init = initializers.get(v.getName());
                if (init == null) continue;
                if (init.getDataType() != elem) {
                    problems.add(where + ": initializer '" + v.getName() + "' is " + elemName(init.getDataType())
                            + " but its declared type is " + elemName(elem));
                }
                if (t.hasShape() && !shapeAgrees(t.getShape(), init)) {
                    problems.add(where + ": initializer '" + v.getName() + "' has shape " + init.getDimsList()
                            + " but its declared shape is " + shapeText(t.getShape()));
                }
            }
        }

        private void checkDomain(NodeProto n, String node) {
            String domain = canonicalDomain(n.getDomain());
            if (importedDomains.contains(domain) || !reportedDomains.add(domain)) return;
            problems.add(node + " uses domain '" + (domain.isEmpty() ? "ai.onnx" : domain) + "', which has no opset import");
        }
    }

    private static String canonicalDomain(String d) { return d.equals("ai.onnx") ? "" : d; }

    private static String nodeLabel(NodeProto n, int index) {
        String op = n.getDomain().isEmpty() ? n.getOpType() : n.getDomain() + "." + n.getOpType();
        return (n.getName().isEmpty() ? "#" + index : "'" + n.getName() + "'") + " (" + op + ")";
    }

    private static boolean shapeAgrees(TensorShapeProto shape, TensorProto t) {
        if (shape.getDimCount() != t.getDimsCount()) return false;
        for (int d = 0; d < shape.getDimCount(); d++) {
            TensorShapeProto.Dimension dim = shape.getDim(d);
            if (dim.hasDimValue() && dim.getDimValue() != t.getDims(d)) return false;
        }
        return true;
    }

    private static String shapeText(TensorShapeProto shape) {
        List<String> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : shape.getDimList()) {
            dims.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() ? d.getDimParam() : "?");
        }
        return dims.toString();
    }

    private static String elemName(int code) {
        return dev.pare.ir.DType.fromOnnx(code).map(dev.pare.ir.DType::shortName).orElse("element type " + code);
    }
}
