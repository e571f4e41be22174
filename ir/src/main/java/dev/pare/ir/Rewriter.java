package dev.pare.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The only way to change a {@link Graph}. It keeps use lists and name tables consistent and
 * remembers whether anything changed, so a pass can report it truthfully.
 */
public final class Rewriter {

    private final Graph graph;
    private boolean changed;
    private int insertionIndex = -1; // -1 = append at the end

    Rewriter(Graph graph) { this.graph = graph; }

    public Graph graph() { return graph; }

    /** True once any mutation went through this rewriter. */
    public boolean changed() { return changed; }

    // ---- insertion point ---------------------------------------------------------------------

    public Rewriter setInsertionPointBefore(Node anchor) {
        int i = graph.nodes.indexOf(anchor);
        if (i < 0) throw new IllegalArgumentException(anchor + " is not in " + graph);
        insertionIndex = i;
        return this;
    }

    public Rewriter setInsertionPointToEnd() {
        insertionIndex = -1;
        return this;
    }

    // ---- names -------------------------------------------------------------------------------

    /** A value name not yet used in this scope: {@code hint}, else {@code hint_1}, {@code hint_2}, … */
    public String uniqueValueName(String hint) {
        String base = hint == null || hint.isEmpty() ? "v" : hint;
        if (!graph.isNameTaken(base)) return base;
        for (int i = 1; ; i++) {
            String c = base + "_" + i;
            if (!graph.isNameTaken(c)) return c;
        }
    }

    /** A node name not yet used in this graph. */
    public String uniqueNodeName(String hint) {
        String base = hint == null || hint.isEmpty() ? "node" : hint;
        if (!graph.nodesByName.containsKey(base)) return base;
        for (int i = 1; ; i++) {
            String c = base + "_" + i;
            if (!graph.nodesByName.containsKey(c)) return c;
        }
    }

    // ---- definitions -------------------------------------------------------------------------

    public Value addInput(String name, Type type) {
        Value v = define(name, type, Value.Kind.INPUT);
        graph.inputs.add(v);
        return mark(v);
    }

    /** Removes an unused input of this graph (e.g. a subgraph input whose value is computed inside instead). */
    public void removeInput(Value input) {
        requireOwn(input);
        if (input.kind() != Value.Kind.INPUT) throw new IllegalArgumentException(input + " is not an input");
        if (input.hasUses() || graph.outputs.contains(input)) {
            throw new IllegalStateException("cannot remove input " + input + ": still used");
        }
        graph.inputs.remove(input);
        graph.valuesByName.remove(input.name());
        changed = true;
    }

    /** Reorders the inputs; {@code order} must be a permutation of the current inputs. */
    public void reorderInputs(List<Value> order) {
        if (order.size() != graph.inputs.size() || !new HashSet<>(order).equals(new HashSet<>(graph.inputs))) {
            throw new IllegalArgumentException("not a permutation of the graph's inputs");
        }
        if (!order.equals(graph.inputs)) {
            graph.inputs.clear();
            graph.inputs.addAll(order);
            changed = true;
        }
    }

    /** Gives a graph input a default value (an ONNX initializer that is also an input). */
    public void setInputDefault(Value input, TensorData data) {
        if (input.kind() != Value.Kind.INPUT || input.graph() != graph) {
            throw new IllegalArgumentException(input + " is not an input of " + graph);
        }
        input.data = data;
        mark(input);
    }

    public Value addConstant(String name, TensorData data) {
        Value v = define(name, data.type(), Value.Kind.CONSTANT);
        v.data = Objects.requireNonNull(data);
        graph.constants.add(v);
        return mark(v);
    }

    /** Replaces a constant's payload; its type follows the new data. */
    public void setConstantData(Value constant, TensorData data) {
        requireOwn(constant);
        if (constant.kind() != Value.Kind.CONSTANT && constant.kind() != Value.Kind.INPUT) {
            throw new IllegalArgumentException(constant + " is not a constant");
        }
        constant.data = data;
        constant.setType(data.type());
        mark(constant);
    }

    public Node createNode(String name, String op, List<Value> operands, List<String> resultNames,
                           List<? extends Type> resultTypes, Attributes attributes, Location location) {
        if (resultNames.size() != resultTypes.size()) {
            throw new IllegalArgumentException("result names and types differ in length");
        }
        if (graph.nodesByName.containsKey(name)) {
            throw new IllegalArgumentException("node name '" + name + "' already used in " + graph);
        }
        for (Value o : operands) {
            Objects.requireNonNull(o, "operand");
            if (!o.isAbsent() && !visible(o)) {
                throw new IllegalArgumentException("operand " + o + " of '" + name + "' is not visible in " + graph);
            }
        }
        List<Value> results = new ArrayList<>();
        for (int i = 0; i < resultNames.size(); i++) {
            String rn = resultNames.get(i);
            if (rn.isEmpty()) {
                results.add(Value.ABSENT);
            } else {
                results.add(define(rn, resultTypes.get(i), Value.Kind.RESULT));
            }
        }
        Node n = new Node(graph, name, op, operands, results, attributes, location);
        for (int i = 0; i < results.size(); i++) {
            Value r = results.get(i);
            if (!r.isAbsent()) {
                r.producer = n;
                r.resultIndex = i;
            }
        }
        for (int i = 0; i < operands.size(); i++) addUse(operands.get(i), n, i);
        if (insertionIndex < 0) {
            graph.nodes.add(n);
        } else {
            graph.nodes.add(insertionIndex++, n);
        }
        graph.nodesByName.put(name, n);
        changed = true;
        return n;
    }

    /** Convenience: one result, named uniquely after the node. */
    public Node createNode(String op, List<Value> operands, Type resultType, Attributes attributes, Location location) {
        String nodeName = uniqueNodeName(op.substring(op.lastIndexOf('.') + 1));
        return createNode(nodeName, op, operands, List.of(uniqueValueName(nodeName + "_out")),
                List.of(resultType), attributes, location);
    }

    public void addOutput(Value v) {
        if (!v.isAbsent() && !visible(v)) throw new IllegalArgumentException(v + " is not visible in " + graph);
        graph.outputs.add(v);
        changed = true;
    }

    public void setOutput(int index, Value v) {
        graph.outputs.set(index, v);
        changed = true;
    }

    // ---- edits -------------------------------------------------------------------------------

    public void setOperand(Node node, int index, Value v) {
        requireOwn(node);
        Value old = node.operands.get(index);
        if (old == v) return;
        removeUse(old, node, index);
        node.operands.set(index, v);
        addUse(v, node, index);
        changed = true;
    }

    /** Replaces every use of {@code from} (including as a graph output of this graph) by {@code to}. */
    public void replaceAllUsesWith(Value from, Value to) {
        if (from == to) return;
        for (Value.Use u : List.copyOf(from.uses)) {
            u.user().graph().rewriter().setOperand(u.user(), u.operandIndex(), to);
        }
        for (int i = 0; i < graph.outputs.size(); i++) {
            if (graph.outputs.get(i) == from) graph.outputs.set(i, to);
        }
        changed = true;
    }

    public void setAttributes(Node node, Attributes attributes) {
        requireOwn(node);
        if (!node.attributes.equals(attributes)) {
            node.attributes = attributes;
            changed = true;
        }
    }

    public void setType(Value v, Type type) {
        if (!Objects.equals(v.type(), type)) {
            v.setType(type);
            changed = true;
        }
    }

    public void setMetadata(Node node, Map<String, String> metadata) {
        node.metadata = Map.copyOf(new LinkedHashMap<>(metadata));
    }

    /** Value metadata keeps insertion order (writers rely on it). */
    public void setMetadata(Value v, Map<String, String> metadata) {
        v.metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public void setGraphMetadata(Map<String, String> metadata) {
        graph.metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    public void setGraphName(String name) { graph.setName(name); }

    /**
     * Renames a constant or node result of this graph, e.g. so that a folded or forwarded value
     * can take over the name of a graph output it replaces. Graph inputs keep their names.
     */
    public void renameValue(Value v, String newName) {
        requireOwn(v);
        if (v.kind() == Value.Kind.INPUT) throw new IllegalArgumentException("graph input " + v + " cannot be renamed");
        if (v.name().equals(newName)) return;
        if (newName == null || newName.isEmpty()) throw new IllegalArgumentException("value name is empty");
        if (graph.valuesByName.containsKey(newName)) {
            throw new IllegalArgumentException("value name '" + newName + "' is already defined in " + graph);
        }
        graph.valuesByName.remove(v.name());
        v.rename(newName);
        graph.valuesByName.put(newName, v);
        changed = true;
    }

    /**
     * Replaces a single-result node by a constant holding {@code data} (a folded or decompressed
     * value): the constant takes over the result's uses, graph outputs and name, and the node goes.
     */
    public Value replaceWithConstant(Node node, TensorData data) {
        requireOwn(node);
        if (node.results.size() != 1 || node.results.get(0).isAbsent()) {
            throw new IllegalArgumentException(node + " must have exactly one result to be replaced by a constant");
        }
        Value result = node.results.get(0);
        String name = result.name();
        Value c = addConstant(uniqueValueName(name + "_constant"), data);
        replaceAllUsesWith(result, c);
        erase(node);
        renameValue(c, name);
        return c;
    }

    /** Erases a node whose results are unused and are not graph outputs. */
    public void erase(Node node) {
        requireOwn(node);
        for (Value r : node.results) {
            if (r.isAbsent()) continue;
            if (r.hasUses() || graph.outputs.contains(r)) {
                throw new IllegalStateException("cannot erase " + node + ": result " + r + " is still used");
            }
        }
        for (int i = 0; i < node.operands.size(); i++) removeUse(node.operands.get(i), node, i);
        int idx = graph.nodes.indexOf(node);
        graph.nodes.remove(idx);
        if (insertionIndex > idx) insertionIndex--;
        graph.nodesByName.remove(node.name());
        for (Value r : node.results) if (!r.isAbsent()) graph.valuesByName.remove(r.name());
        changed = true;
    }

    /** Erases an unused constant. */
    public void eraseConstant(Value constant) {
        requireOwn(constant);
        if (constant.kind() != Value.Kind.CONSTANT) throw new IllegalArgumentException(constant + " is not a constant");
        if (constant.hasUses() || graph.outputs.contains(constant)) {
            throw new IllegalStateException("cannot erase constant " + constant + ": still used");
        }
        graph.constants.remove(constant);
        graph.valuesByName.remove(constant.name());
        changed = true;
    }

    /** Reorders the nodes; {@code order} must be a permutation of the current nodes. */
    public void reorder(List<Node> order) {
        if (order.size() != graph.nodes.size() || !new HashSet<>(order).equals(new HashSet<>(graph.nodes))) {
            throw new IllegalArgumentException("not a permutation of the graph's nodes");
        }
        if (!order.equals(graph.nodes)) {
            graph.nodes.clear();
            graph.nodes.addAll(order);
            changed = true;
        }
        insertionIndex = -1;
    }

    /** Reorders the constants; {@code order} must be a permutation of the current constants. */
    public void reorderConstants(List<Value> order) {
        Set<Value> a = new HashSet<>(order);
        if (order.size() != graph.constants.size() || !a.equals(new HashSet<>(graph.constants))) {
            throw new IllegalArgumentException("not a permutation of the graph's constants");
        }
        if (!order.equals(graph.constants)) {
            graph.constants.clear();
            graph.constants.addAll(order);
            changed = true;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Value define(String name, Type type, Value.Kind kind) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("value name is empty");
        if (graph.valuesByName.containsKey(name)) {
            throw new IllegalArgumentException("value name '" + name + "' is already defined in " + graph);
        }
        Value v = new Value(graph, name, type, kind);
        graph.valuesByName.put(name, v);
        return v;
    }

    private Value mark(Value v) {
        changed = true;
        return v;
    }

    private boolean visible(Value v) {
        for (Graph g = graph; g != null; g = g.parent()) if (v.graph() == g) return true;
        return false;
    }

    private void requireOwn(Node n) {
        if (n.graph() != graph) throw new IllegalArgumentException(n + " belongs to another graph");
    }

    private void requireOwn(Value v) {
        if (v.graph() != graph) throw new IllegalArgumentException(v + " belongs to another graph");
    }

    private static void addUse(Value v, Node user, int index) {
        if (!v.isAbsent()) v.uses.add(new Value.Use(user, index));
    }

    private static void removeUse(Value v, Node user, int index) {
        if (!v.isAbsent()) v.uses.remove(new Value.Use(user, index));
    }
}
