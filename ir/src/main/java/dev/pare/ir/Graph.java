package dev.pare.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A graph (or a subgraph held by a node attribute): inputs, constants, nodes in topological
 * order, outputs. A subgraph may use values of its enclosing graphs. Read-only here; every
 * mutation goes through {@link #rewriter()}.
 */
public final class Graph {

    private String name;
    private final Graph parent;
    final List<Value> inputs = new ArrayList<>();
    final List<Value> outputs = new ArrayList<>();
    final List<Value> constants = new ArrayList<>();
    final ArrayList<Node> nodes = new ArrayList<>();
    final Map<String, Value> valuesByName = new HashMap<>();
    final Map<String, Node> nodesByName = new HashMap<>();
    Map<String, String> metadata = Map.of();

    public Graph(String name) { this(name, null); }

    /** A subgraph scoped inside {@code parent}: its nodes may use parent values. */
    public Graph(String name, Graph parent) {
        this.name = name;
        this.parent = parent;
    }

    public String name() { return name; }

    public Graph parent() { return parent; }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    /** Constants (initializers) in their stable order. */
    public List<Value> constants() { return Collections.unmodifiableList(constants); }

    /** Nodes in topological order. */
    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    public Map<String, String> metadata() { return metadata; }

    /** A value defined in this graph (not its parents) by name. */
    public Optional<Value> value(String valueName) { return Optional.ofNullable(valuesByName.get(valueName)); }

    /** Looks a name up in this graph, then in the enclosing graphs. */
    public Optional<Value> resolve(String valueName) {
        for (Graph g = this; g != null; g = g.parent) {
            Value v = g.valuesByName.get(valueName);
            if (v != null) return Optional.of(v);
        }
        return Optional.empty();
    }

    public Optional<Node> node(String nodeName) { return Optional.ofNullable(nodesByName.get(nodeName)); }

    public boolean isOutput(Value v) { return outputs.contains(v); }

    /** Every node of this graph and, depth first, of its subgraphs. */
    public List<Node> allNodes() {
        List<Node> out = new ArrayList<>();
        collect(this, out);
        return out;
    }

    private static void collect(Graph g, List<Node> out) {
        for (Node n : g.nodes) {
            out.add(n);
            for (Graph sub : n.subgraphs()) collect(sub, out);
        }
    }

    /** Whether a name is taken in this graph or any enclosing one. */
    public boolean isNameTaken(String valueName) { return resolve(valueName).isPresent(); }

    public Rewriter rewriter() { return new Rewriter(this); }

    void setName(String n) { this.name = n; }

    @Override public String toString() { return "graph " + name + " (" + nodes.size() + " nodes)"; }
}
