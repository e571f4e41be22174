package dev.pare.compiler.onnx.lower;

import dev.pare.compiler.onnx.upgrade.OpsetUpgrader;
import dev.pare.compiler.onnx.upgrade.UpgradeException;
import dev.pare.ir.Model;

/**
 * Raising a (lowered copy of a) model's default-domain opset so that the lowered ops exist. The
 * other nodes are carried to the new opset by {@link OpsetUpgrader}, which rewrites every op whose
 * schema changed in between so that the model computes the same; an op it cannot carry exactly is
 * an error naming the node.
 */
final class OpsetRaise {

    private OpsetRaise() {}

    /** Applies {@code req} to {@code model}; throws if the opset cannot be raised exactly. */
    static void apply(Model model, Requirements req) {
        long current = model.opsetVersion("");
        long target = req.opset();
        if (target > current) {
            try {
                OpsetUpgrader.upgrade(model, target);
            } catch (UpgradeException e) {
                throw new LoweringException(req.opsetReason() + " needs opset " + target + " but the model is opset "
                        + current + ": " + e.getMessage());
            }
            req.ir(OpsetUpgrader.irVersionFor(target));
        }
        String irText = model.properties().get("ir_version");
        long ir = irText == null ? 0 : Long.parseLong(irText);
        if (req.irVersion() > ir) model.setProperty("ir_version", Long.toString(req.irVersion()));
    }
}
