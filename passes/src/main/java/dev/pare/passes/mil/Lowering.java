package dev.pare.passes.mil;

import dev.pare.ir.Value;
import java.util.List;

/**
 * Lowers one ONNX op to mil ops. Returns one value per ONNX result (in order; null for an absent
 * optional result): either a fresh value built with the node's {@link MilEmitter}, or an existing
 * value the result is equal to (Identity).
 */
@FunctionalInterface
interface Lowering {
    List<Value> lower(OnnxOp op);
}
