package dev.pare.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An SSA value: a graph input, a constant (initializer), or a node result. Values are mutated only
 * through a {@link Rewriter}; everything here is a read view.
 */
public final class Value {

    /** The kind of definition a value has. */
    public enum Kind { INPUT, CONSTANT, RESULT, ABSENT }

    /** Stands for an omitted optional operand (ONNX's empty input name). */
    public static final Value ABSENT = new Value(null, "", TensorType.unknown(), Kind.ABSENT);

    private final Graph graph;
    private String name;
    private Type type;
    private final Kind kind;
    Node producer;
    int resultIndex = -1;
    TensorData data;
    final List<Use> uses = new ArrayList<>();
    Map<String, String> metadata = Map.of();

    Value(Graph graph, String name, Type type, Kind kind) {
        this.graph = graph;
        this.name = name;
        this.type = type;
        this.kind = kind;
    }

    /** The graph (scope) that defines this value; null only for {@link #ABSENT}. */
    public Graph graph() { return graph; }

    public String name() { return name; }

    public Type type() { return type; }

    /** The tensor type, or an unknown tensor type if the value has an opaque type. */
    public TensorType tensorType() { return type instanceof TensorType t ? t : TensorType.unknown(); }

    public Kind kind() { return kind; }

    public boolean isAbsent() { return kind == Kind.ABSENT; }

    public boolean isConstant() { return kind == Kind.CONSTANT; }

    /** The constant payload (for a graph input with an initializer too), or null. */
    public TensorData data() { return data; }

    public Node producer() { return producer; }

    public int resultIndex() { return resultIndex; }

    /** Uses by nodes in operand order of insertion; graph outputs are not uses. */
    public List<Use> uses() { return Collections.unmodifiableList(uses); }

    public boolean hasUses() { return !uses.isEmpty(); }

    /** Format metadata (doc strings, value_info order, ...), never semantics. */
    public Map<String, String> metadata() { return metadata; }

    void rename(String n) { this.name = n; }

    void setType(Type t) { this.type = t; }

    @Override public String toString() { return "%" + name; }

    /** One use of a value: operand {@code operandIndex} of {@code user}. */
    public record Use(Node user, int operandIndex) {}
}
