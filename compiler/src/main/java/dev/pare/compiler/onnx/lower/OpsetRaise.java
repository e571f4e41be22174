package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.util.Map;

/**
 * Raising a model's default-domain opset so that lowered ops exist. Raising re-interprets every
 * existing op at the new version, so it is allowed only from opset 13 on, and only if no op of the
 * model had a breaking schema change in between (onnx docs/Changelog.md): the Reduce* family moved
 * {@code axes} to an input at 18, RoiAlign changed its default coordinate mode at 16, GridSample
 * renamed its modes and DFT moved {@code axis}/{@code dft_length} to inputs at 20,
 * GroupNormalization changed its scale/bias shape at 21, and BatchNormalization with training
 * outputs changed at 14. Every other change between 13 and 26 only adds types or attributes whose
 * defaults keep the old behaviour.
 */
final class OpsetRaise {

    /** Op type → the first version whose change breaks a model written for an older version. */
    static final Map<String, Integer> BREAKING = Map.ofEntries(
            Map.entry("ReduceMean", 18), Map.entry("ReduceMax", 18), Map.entry("ReduceMin", 18),
            Map.entry("ReduceProd", 18), Map.entry("ReduceL1", 18), Map.entry("ReduceL2", 18),
            Map.entry("ReduceLogSum", 18), Map.entry("ReduceLogSumExp", 18), Map.entry("ReduceSumSquare", 18),
            Map.entry("RoiAlign", 16), Map.entry("GridSample", 20), Map.entry("DFT", 20),
            Map.entry("GroupNormalization", 21));

    /** The oldest opset Pare raises from. */
    static final long MIN_RAISABLE = 13;

    /** ONNX Runtime 1.29 runs default-domain opsets up to 26. */
    static final long MAX_OPSET = 26;

    /** The IR version that introduced each default-domain opset (onnx helper VERSION_TABLE). */
    static long irFor(long opset) {
        if (opset <= 14) return 7;
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        if (opset <= 22) return 10;
        if (opset == 23) return 11;
        if (opset == 24) return 12;
        return 13;
    }

    private OpsetRaise() {}

    /** Applies {@code req} to {@code model}; throws if the opset cannot be raised safely. */
    static void apply(Model model, Requirements req) {
        long current = model.opsetVersion("");
        long target = req.opset();
        if (target > current) {
            if (target > MAX_OPSET) {
                throw new LoweringException(req.opsetReason() + " needs opset " + target + ", above " + MAX_OPSET);
            }
            if (current >= 0 && current < MIN_RAISABLE) {
                throw new LoweringException(req.opsetReason() + " needs opset " + target + " but the model is opset "
                        + current + "; Pare raises opsets only from " + MIN_RAISABLE + " on (convert the model first)");
            }
            if (current >= 0) checkOps(model.graph(), current, target, req.opsetReason());
            java.util.List<Model.OpsetImport> imports = new java.util.ArrayList<>();
            boolean found = false;
            for (Model.OpsetImport o : model.opsets()) {
                if (o.domain().isEmpty()) {
                    imports.add(new Model.OpsetImport("", target));
                    found = true;
                } else {
                    imports.add(o);
                }
            }
            if (!found) imports.add(0, new Model.OpsetImport("", target));
            model.setOpsets(imports);
            req.ir(irFor(target));
        }
        String irText = model.properties().get("ir_version");
        long ir = irText == null ? 0 : Long.parseLong(irText);
        if (req.irVersion() > ir) model.setProperty("ir_version", Long.toString(req.irVersion()));
    }

    private static void checkOps(Graph g, long from, long to, String why) {
        for (Node n : g.allNodes()) {
            if (!n.dialect().equals("onnx") || !n.domain().isEmpty()) continue;
            Integer breaks = BREAKING.get(n.opType());
            boolean bnTraining = n.opType().equals("BatchNormalization") && n.results().size() > 1;
            if (bnTraining) breaks = 14;
            if (breaks != null && from < breaks && to >= breaks) {
                throw new LoweringException(why + " needs opset " + to + " but node '" + n.name() + "' (" + n.opType()
                        + ") changed meaning at opset " + breaks + " and the model is opset " + from);
            }
        }
    }
}
