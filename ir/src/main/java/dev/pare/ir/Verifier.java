package dev.pare.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Structural checks: SSA (each name defined once per scope), operands defined before use
 * (which also rules out cycles), consistent use lists, defined outputs, and constant payloads
 * that match their declared types, and the type rules of the {@code pare} dialect ops
 * ({@link PareOp}, ir/PARE_DIALECT.md). Subgraphs are checked with their enclosing scopes visible.
 */
public final class Verifier {

    private Verifier() {}

    public static List<Problem> verify(Graph graph) {
        List<Problem> problems = new ArrayList<>();
        verify(graph, new ArrayList<>(), problems);
        return problems;
    }

    private static void verify(Graph g, List<Set<Value>> outerScopes, List<Problem> problems) {
        Set<Value> defined = new HashSet<>();
        Set<String> names = new HashSet<>();
        Location graphLoc = new Location("", "graph " + g.name(), -1);
        for (Value v : g.inputs()) defineChecked(v, defined, names, graphLoc, problems);
        for (Value c : g.constants()) {
            defineChecked(c, defined, names, graphLoc, problems);
            if (c.data() == null) {
                problems.add(new Problem(VerifierCode.V004.code(), graphLoc, "constant " + c + " has no data"));
            } else if (c.type() instanceof TensorType t && t.isStatic() && !t.equals(c.data().type())) {
                problems.add(new Problem(VerifierCode.V005.code(), graphLoc,
                        "constant " + c + " is typed " + t + " but holds " + c.data().type()));
            }
        }
        List<Set<Value>> scopes = new ArrayList<>(outerScopes);
        scopes.add(defined);
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.operands().size(); i++) {
                Value o = n.operand(i);
                if (o.isAbsent()) continue;
                if (!isVisible(o, scopes)) {
                    String why = o.producer() != null && o.graph() == g
                            ? "is used before its producer " + o.producer().name() + " (graph not topologically ordered, or a cycle)"
                            : "is not defined in this graph or an enclosing one";
                    problems.add(new Problem(VerifierCode.V001.code(), n.location(), "operand " + i + " of " + n + ": " + o + " " + why));
                }
                if (!o.uses.contains(new Value.Use(n, i))) {
                    problems.add(new Problem(VerifierCode.V003.code(), n.location(), "use list of " + o + " misses " + n + " operand " + i));
                }
            }
            if (n.op().startsWith("pare.")) checkPareOp(n, problems);
            for (Graph sub : n.subgraphs()) verify(sub, scopes, problems);
            for (Value r : n.results()) {
                if (r.isAbsent()) continue;
                if (r.producer() != n) {
                    problems.add(new Problem(VerifierCode.V003.code(), n.location(), "result " + r + " does not point back at " + n));
                }
                defineChecked(r, defined, names, n.location(), problems);
            }
        }
        for (Value o : g.outputs()) {
            if (!o.isAbsent() && !isVisible(o, scopes)) {
                problems.add(new Problem(VerifierCode.V006.code(), graphLoc, "graph output " + o + " is not defined"));
            }
        }
    }

    private static void checkPareOp(Node n, List<Problem> problems) {
        PareOp def = PareOp.of(n.op()).orElse(null);
        if (def == null) {
            problems.add(new Problem(VerifierCode.V007.code(), n.location(), n + " is not an op of the pare dialect (ir/PARE_DIALECT.md)"));
            return;
        }
        for (String broken : def.check(n)) problems.add(new Problem(VerifierCode.V007.code(), n.location(), broken));
    }

    private static void defineChecked(Value v, Set<Value> defined, Set<String> names, Location loc, List<Problem> problems) {
        if (!names.add(v.name())) {
            problems.add(new Problem(VerifierCode.V002.code(), loc, "value name '" + v.name() + "' is defined more than once"));
        }
        defined.add(v);
    }

    private static boolean isVisible(Value v, List<Set<Value>> scopes) {
        for (Set<Value> s : scopes) if (s.contains(v)) return true;
        return false;
    }
}
