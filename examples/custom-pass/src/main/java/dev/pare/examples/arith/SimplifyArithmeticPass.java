package dev.pare.examples.arith;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * Removes arithmetic identities that exporters leave behind (for example a {@code Mul} by a
 * constant 1 from a folded scale). Only rewrites that keep every output bit are made:
 * {@code x + 0.0} is not one of them, since {@code -0.0 + 0.0 = +0.0}.
 */
final class SimplifyArithmeticPass implements Pass {

    private final ScopedOptions<SimplifyArithmeticOptions> options;

    SimplifyArithmeticPass(ScopedOptions<SimplifyArithmeticOptions> options) { this.options = options; }

    @Override public PassResult run(Graph graph, PassContext context) {
        boolean changed = false;
        Rewriter rewriter = graph.rewriter();
        for (Node node : List.copyOf(graph.nodes())) {
            Optional<SimplifyArithmeticOptions> o = options.forNode(node);
            if (o.isEmpty() || !node.dialect().equals("onnx") || !node.domain().isEmpty() || node.operands().size() != 2) continue;
            Value x = node.operand(0);
            Value c = node.operand(1);
            boolean applies = switch (node.opType()) {
                case "Mul" -> o.get().mul() && isConstantEqualTo(c, 1.0, false);
                case "Div" -> o.get().div() && isConstantEqualTo(c, 1.0, false);
                case "Sub" -> o.get().sub() && isConstantEqualTo(c, 0.0, false);
                case "Add" -> o.get().add() && isConstantEqualTo(c, 0.0, true);
                default -> false;
            };
            // Mul and Add are commutative: also accept the constant on the left.
            if (!applies && (node.opType().equals("Mul") || node.opType().equals("Add"))) {
                boolean mul = node.opType().equals("Mul");
                if ((mul ? o.get().mul() : o.get().add()) && isConstantEqualTo(x, mul ? 1.0 : 0.0, !mul)) {
                    Value t = x;
                    x = c;
                    c = t;
                    applies = true;
                }
            }
            if (!applies || !cannotBroadcast(x, c, node.result(0))) continue;
            Value out = node.result(0);
            if (graph.isOutput(out)) continue; // keep the graph's output names stable
            rewriter.replaceAllUsesWith(out, x);
            rewriter.erase(node);
            context.statistics().increment("removed_" + node.opType().toLowerCase());
            changed = true;
        }
        return PassResult.of(changed);
    }

    /** The constant must not change x's shape or type: a single element, of x's dtype, rank no larger than x's. */
    private static boolean cannotBroadcast(Value x, Value c, Value out) {
        TensorType ct = c.data().type();
        TensorType xt = x.tensorType();
        if (ct.elementCount() != 1 || xt.dtype() != ct.dtype()) return false;
        if (ct.rank() == 0) return true;
        return xt.hasRank() && xt.rank() >= ct.rank();
    }

    private static boolean isConstantEqualTo(Value v, double target, boolean negativeZeroForFloats) {
        TensorData d = v.data();
        if (d == null || d.elementCount() != 1 || v.kind() != Value.Kind.CONSTANT) return false;
        ByteBuffer b = d.bytes();
        DType t = d.dtype();
        if (t.isFloatingPoint()) {
            double value;
            long negativeZeroBits;
            long bits;
            switch (t) {
                case FLOAT32 -> { value = b.getFloat(0); bits = Float.floatToRawIntBits(b.getFloat(0)); negativeZeroBits = 0x80000000L; }
                case FLOAT64 -> { value = b.getDouble(0); bits = Double.doubleToRawLongBits(b.getDouble(0)); negativeZeroBits = Long.MIN_VALUE; }
                case FLOAT16 -> { value = Float16.toFloat(b.getShort(0)); bits = b.getShort(0) & 0xFFFF; negativeZeroBits = 0x8000; }
                default -> { return false; }
            }
            if (negativeZeroForFloats) {
                return t == DType.FLOAT32 ? (bits & 0xFFFFFFFFL) == negativeZeroBits : bits == negativeZeroBits;
            }
            return value == target;
        }
        long value;
        switch (t) {
            case INT8, UINT8 -> value = b.get(0);
            case INT16, UINT16 -> value = b.getShort(0);
            case INT32, UINT32 -> value = b.getInt(0);
            case INT64, UINT64 -> value = b.getLong(0);
            default -> { return false; }
        }
        return value == (long) target;
    }
}
