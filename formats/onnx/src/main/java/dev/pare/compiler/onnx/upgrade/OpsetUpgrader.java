package dev.pare.compiler.onnx.upgrade;

import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;

/**
 * Raises a model's default-domain (ai.onnx) opset, rewriting every node whose operator got a new
 * schema version in between so that the model computes exactly what it computed before (the
 * rewrites are in {@link Adapters}). Like onnx's version converter it steps one opset at a time:
 * at step {@code v} each node whose op has a version {@code v} is carried from its previous
 * version to {@code v}, so chains such as Upsample-7 → Upsample-9 → Resize-10 → Resize-11 compose.
 *
 * <p>Before anything changes, every node is checked: an op the ONNX changelog does not list, or
 * a breaking step Pare has no rewrite for, is an {@link UpgradeException} naming the node, the op
 * and the versions. The model is changed in place (callers that must keep it work on a copy);
 * the IR version is raised to the one the target opset needs.
 */
public final class OpsetUpgrader {

    /** The oldest default-domain opset the upgrader starts from (numpy broadcasting and optional inputs date from 7). */
    public static final long MIN_SOURCE_OPSET = 7;

    /** The newest opset the upgrader knows the operator history of. */
    public static final long MAX_TARGET_OPSET = OpHistory.MAX_OPSET;

    /**
     * What an upgrade did: the opsets, and per {@code Op-version} step how many nodes went through
     * its rewrite (a few steps only check a node, e.g. BatchNormalization-14 for training outputs).
     */
    public record Report(long fromOpset, long toOpset, Map<String, Integer> rewrites) {}

    private OpsetUpgrader() {}

    /** The IR version that introduced each default-domain opset (onnx helper VERSION_TABLE). */
    public static long irVersionFor(long opset) {
        if (opset <= 8) return 3;
        if (opset <= 9) return 4;
        if (opset <= 10) return 5;
        if (opset <= 11) return 6;
        if (opset <= 14) return 7;
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        if (opset <= 22) return 10;
        if (opset == 23) return 11;
        if (opset == 24) return 12;
        return 13;
    }

    /**
     * Upgrades {@code model} in place to default-domain opset {@code target}. Nothing happens if
     * the model is already at {@code target} or above.
     *
     * @throws UpgradeException if a node cannot be carried to {@code target} exactly
     */
    public static Report upgrade(Model model, long target) {
        long from = model.opsetVersion("");
        Map<String, Integer> rewrites = new TreeMap<>();
        if (from >= target) return new Report(from, from, rewrites);
        if (target > MAX_TARGET_OPSET) {
            throw new UpgradeException("cannot upgrade to opset " + target + ": Pare knows the ONNX operators up to opset "
                    + MAX_TARGET_OPSET);
        }
        if (from >= 0 && from < MIN_SOURCE_OPSET) {
            throw new UpgradeException("cannot upgrade opset " + from + " to " + target + ": Pare upgrades models from opset "
                    + MIN_SOURCE_OPSET + " on");
        }
        if (from >= 0) {
            NodeEditor editor = new NodeEditor(model, from, target);
            for (Node n : defaultDomainNodes(model.graph())) check(editor, n, from, target);
            for (int v = (int) from + 1; v <= target; v++) step(editor, model.graph(), v, rewrites);
        }
        List<Model.OpsetImport> imports = new ArrayList<>();
        boolean found = false;
        for (Model.OpsetImport o : model.opsets()) {
            if (o.domain().isEmpty() && !found) {
                imports.add(new Model.OpsetImport("", target));
                found = true;
            } else if (!o.domain().isEmpty()) {
                imports.add(o);
            }
        }
        if (!found) imports.add(0, new Model.OpsetImport("", target));
        model.setOpsets(imports);
        String irText = model.properties().get("ir_version");
        long ir = irText == null ? 0 : Long.parseLong(irText);
        if (irVersionFor(target) > ir) model.setProperty("ir_version", Long.toString(irVersionFor(target)));
        return new Report(from, target, rewrites);
    }

    private static void check(NodeEditor editor, Node n, long from, long target) {
        NavigableSet<Integer> versions = OpHistory.versions(n.opType()).orElseThrow(() -> editor.error(n,
                "is not an ai.onnx operator Pare knows the history of, so it cannot tell whether it changed"));
        for (int v : versions.subSet((int) from, false, (int) target, true)) {
            String why = Adapters.unsupported(n.opType(), v).orElse(null);
            if (why != null) {
                throw editor.error(n, "changed meaning at opset " + v + " (" + why + ") and Pare has no rewrite for it");
            }
        }
    }

    private static void step(NodeEditor editor, Graph g, int version, Map<String, Integer> rewrites) {
        for (Node n : List.copyOf(g.nodes())) {
            if (g.node(n.name()).orElse(null) != n) continue; // replaced earlier in this step
            for (Graph sub : n.subgraphs()) step(editor, sub, version, rewrites);
            if (!isDefaultDomain(n) || !OpHistory.changesAt(n.opType(), version)) continue;
            Adapters.Adapter a = Adapters.at(n.opType(), version).orElse(null);
            if (a == null) continue;
            String op = n.opType();
            a.apply(editor, n);
            rewrites.merge(op + "-" + version, 1, Integer::sum);
        }
    }

    private static boolean isDefaultDomain(Node n) {
        return n.dialect().equals("onnx") && (n.domain().isEmpty() || n.domain().equals("ai.onnx"));
    }

    private static List<Node> defaultDomainNodes(Graph g) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.allNodes()) if (isDefaultDomain(n)) out.add(n);
        return out;
    }
}
