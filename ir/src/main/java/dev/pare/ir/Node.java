package dev.pare.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An operation. {@code op} is {@code dialect.name}, e.g. {@code onnx.Conv}, {@code mil.conv},
 * {@code pare.lut_to_dense}; ONNX ops from another domain keep it in the middle:
 * {@code onnx.com.microsoft.MatMulNBits}. Mutated only through a {@link Rewriter}.
 */
public final class Node {

    private final Graph graph;
    private final String name;
    private final String op;
    final ArrayList<Value> operands;
    final List<Value> results;
    Attributes attributes;
    private final Location location;
    Map<String, String> metadata = Map.of();

    Node(Graph graph, String name, String op, List<Value> operands, List<Value> results,
         Attributes attributes, Location location) {
        int dot = op.indexOf('.');
        if (dot <= 0 || dot == op.length() - 1) {
            throw new IllegalArgumentException("op must be dialect.name, got '" + op + "'");
        }
        this.graph = graph;
        this.name = name;
        this.op = op;
        this.operands = new ArrayList<>(operands);
        this.results = List.copyOf(results);
        this.attributes = attributes;
        this.location = location;
    }

    public Graph graph() { return graph; }

    public String name() { return name; }

    /** Full op name, e.g. {@code onnx.Conv}. */
    public String op() { return op; }

    public String dialect() { return op.substring(0, op.indexOf('.')); }

    /** The op's own name without dialect or domain, e.g. {@code Conv}. */
    public String opType() { return op.substring(op.lastIndexOf('.') + 1); }

    /** The domain between dialect and op type ({@code ""} for the default one). */
    public String domain() {
        int first = op.indexOf('.');
        int last = op.lastIndexOf('.');
        return first == last ? "" : op.substring(first + 1, last);
    }

    public List<Value> operands() { return Collections.unmodifiableList(operands); }

    public Value operand(int i) { return operands.get(i); }

    public List<Value> results() { return results; }

    public Value result(int i) { return results.get(i); }

    public Attributes attributes() { return attributes; }

    public Location location() { return location; }

    public Map<String, String> metadata() { return metadata; }

    /** Subgraphs held in graph-valued attributes, in attribute order. */
    public List<Graph> subgraphs() {
        List<Graph> out = new ArrayList<>();
        for (Attribute a : attributes.asMap().values()) {
            if (a instanceof Attribute.GraphAttr g) out.add(g.value());
            else if (a instanceof Attribute.GraphsAttr gs) out.addAll(gs.values());
        }
        return out;
    }

    @Override public String toString() { return op + " '" + name + "'"; }
}
