package dev.pare.passes.mil;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The smallest thing a user can do about a lowering that needed a constant operand (or a static
 * shape): usually give {@code --input-shape} for the graph inputs whose symbolic sizes the operand
 * is computed from, so that the shape arithmetic folds. When the operand depends on the values of
 * an input, no option helps, and the hint says which input that is.
 */
final class FixHints {

    private FixHints() {}

    /** "; give --input-shape ..." (or "" when the failure names no operand or nothing would help). */
    static String of(LoweringException e) {
        if (e.operand() == null || e.need() == LoweringException.Need.NONE) return "";
        Set<Value> dynamicShapes = new LinkedHashSet<>();
        Set<Value> values = new LinkedHashSet<>();
        walk(e.operand(), e.need() == LoweringException.Need.SHAPE, dynamicShapes, values);
        if (!values.isEmpty()) {
            return "; it is computed from the values of input " + names(values) + ", which are known only when the model runs";
        }
        if (dynamicShapes.isEmpty()) return "";
        List<String> flags = new ArrayList<>();
        for (Value in : dynamicShapes) flags.add("--input-shape " + in.name() + "=" + example(in.tensorType()));
        String what = e.need() == LoweringException.Need.SHAPE ? "its shape is" : "it can be";
        return "; give " + String.join(" ", flags) + " (the sizes you run the model with) so that " + what + " computed when converting";
    }

    /**
     * For a node that failed inside an If branch: when the If's condition depends on the values of
     * graph inputs, fixing those values (option input_values) keeps only the branch taken, which
     * often is the one matching the given shapes. "" otherwise.
     */
    static String forBranch(Node failed) {
        for (Graph g = failed.graph(); g.parent() != null; g = g.parent()) {
            Node holder = null;
            for (Node n : g.parent().nodes()) if (n.subgraphs().contains(g)) holder = n;
            if (holder == null || !holder.opType().equals("If") || holder.operands().isEmpty()) continue;
            Set<Value> dynamicShapes = new LinkedHashSet<>();
            Set<Value> values = new LinkedHashSet<>();
            walk(holder.operand(0), false, dynamicShapes, values);
            if (values.isEmpty()) continue;
            List<String> entries = new ArrayList<>();
            for (Value v : values) entries.add("\"" + v.name() + ":...\"");
            return "; it is in a branch of If '" + holder.name() + "', whose condition depends on the values of input "
                    + names(values) + ": if the model is used with one value, give it (convert_to_mil option input_values=["
                    + String.join(", ", entries) + "]) so that only the branch taken is converted";
        }
        return "";
    }

    /**
     * Follows the operand back to graph inputs: through Shape (and Size) only the input's shape
     * matters; through any other op its values do.
     */
    private static void walk(Value start, boolean shapeOnly, Set<Value> dynamicShapes, Set<Value> values) {
        record Item(Value v, boolean shapeOnly) {}
        Deque<Item> todo = new ArrayDeque<>();
        Set<Item> seen = new HashSet<>();
        todo.push(new Item(start, shapeOnly));
        while (!todo.isEmpty()) {
            Item it = todo.pop();
            if (!seen.add(it) || seen.size() > 10_000) continue;
            Value v = it.v();
            if (v.isAbsent() || v.isConstant()) continue;
            if (v.kind() == Value.Kind.INPUT) {
                if (v.graph().parent() != null) continue; // a loop counter or carried value: not the user's to fix
                if (it.shapeOnly()) {
                    if (!v.tensorType().isStatic()) dynamicShapes.add(v);
                } else {
                    values.add(v);
                }
                continue;
            }
            Node p = v.producer();
            if (p == null) continue;
            // onnx.Shape / Size, or mil.shape once the producer is lowered
            boolean readsShape = p.opType().equalsIgnoreCase("Shape") || p.opType().equals("Size");
            for (Value o : p.operands()) todo.push(new Item(o, it.shapeOnly() || readsShape));
        }
    }

    private static String names(Set<Value> inputs) {
        List<String> out = new ArrayList<>();
        for (Value v : inputs) out.add("'" + v.name() + "'");
        return String.join(", ", out);
    }

    /** D0,D1,... with the known sizes and the symbolic ones named, e.g. 1,3,H,W. */
    private static String example(TensorType t) {
        if (!t.hasRank()) return "D0,D1,...";
        List<String> dims = new ArrayList<>();
        for (var d : t.dims()) dims.add(d instanceof dev.pare.ir.Dim.Fixed f ? Long.toString(f.size()) : d.toString().replace("?", "N"));
        return String.join(",", dims);
    }
}
