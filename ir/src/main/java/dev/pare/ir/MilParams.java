package dev.pare.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Named operands of {@code mil.*} nodes (see ir/MIL_DIALECT.md). MIL binds op inputs by parameter
 * name; the IR keeps operands positional and records the name of each one in the node's
 * {@code params} attribute (a tuple parameter such as {@code concat.values} repeats its name).
 */
public final class MilParams {

    /** The node attribute holding one parameter name per operand. */
    public static final String ATTRIBUTE = "params";

    private MilParams() {}

    /** The parameter name of every operand, in operand order (empty if the node has none). */
    public static List<String> names(Node node) {
        Optional<Attribute> a = node.attributes().get(ATTRIBUTE);
        if (a.isEmpty()) return List.of();
        if (!(a.get() instanceof Attribute.StringsAttr s)) {
            throw new IllegalStateException(node + ": attribute '" + ATTRIBUTE + "' must be strings");
        }
        return s.values();
    }

    /** Index of the first operand bound to {@code param}, or -1. */
    public static int indexOf(Node node, String param) {
        return names(node).indexOf(param);
    }

    /** The single operand bound to {@code param}, if the node has one. */
    public static Optional<Value> get(Node node, String param) {
        int i = indexOf(node, param);
        return i < 0 || i >= node.operands().size() ? Optional.empty() : Optional.of(node.operand(i));
    }

    /** All operands bound to {@code param} (several for a tuple parameter). */
    public static List<Value> all(Node node, String param) {
        List<String> names = names(node);
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < names.size() && i < node.operands().size(); i++) {
            if (names.get(i).equals(param)) out.add(node.operand(i));
        }
        return out;
    }

    /** The {@code params} attribute for the given names. */
    public static Attribute attribute(List<String> names) {
        return new Attribute.StringsAttr(names);
    }
}
