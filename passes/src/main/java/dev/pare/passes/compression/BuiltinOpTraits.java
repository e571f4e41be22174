package dev.pare.passes.compression;

import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.OpTraits;
import dev.pare.spi.WeightOperand;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Weight operands of the built-in ops (axes as Core ML Tools' {@code select_input_output_channel_axis}):
 * <ul>
 *   <li>{@code onnx.Conv} W (operand 1): output axis 0, input axis 1.</li>
 *   <li>{@code onnx.ConvTranspose} W (operand 1, {@code [C_in, C_out/g, k...]}): output axis 1, input axis 0.</li>
 *   <li>{@code onnx.Gemm} B (operand 1): {@code transB=1} → {@code [N, K]}: output 0, input 1;
 *       otherwise {@code [K, N]}: output 1, input 0. A is treated as an activation.</li>
 *   <li>{@code onnx.MatMul} B (operand 1, {@code [..., K, N]}): output −1, input −2; A (operand 0,
 *       {@code [..., M, K]}) when it is a constant: output −2, input −1. A rank-1 operand has only
 *       the input axis 0.</li>
 *   <li>{@code onnx.Gather} data (operand 0), an embedding table: the gathered axis ({@code axis},
 *       default 0: one row per token) is the output axis, so a per-channel scale or LUT belongs to
 *       one token's vector and a gathered row dequantizes with a single scale (as ONNX Runtime's
 *       GatherBlockQuantized does); for rank 2 the other axis (the hidden size) is the input axis
 *       that blocks run along.</li>
 *   <li>MIL ops find their operands by parameter name ({@link MilParams}, ir/MIL_DIALECT.md), never
 *       by position: {@code mil.conv} and {@code mil.linear} {@code weight} ({@code [C_out, C_in/g, k...]}
 *       / {@code [C_out, C_in]}): output axis 0, input axis 1; {@code mil.conv_transpose} {@code weight}
 *       ({@code [C_in, C_out/g, k...]}): output 1, input 0; {@code mil.matmul} {@code y} as MatMul's B
 *       and {@code x} as its A (only when {@code x} is a constant or decoded by a constexpr op), each
 *       with its axes swapped when the constant bool operand {@code transpose_x} / {@code transpose_y}
 *       is true; {@code mil.gather} {@code x} as Gather's data, the gathered axis from the constant
 *       {@code axis} operand (default 0).</li>
 * </ul>
 * Whether an operand is actually compressed (a float constant) is the pass's business.
 */
public final class BuiltinOpTraits implements OpTraits {

    @Override public List<WeightOperand> weightOperands(Node node) {
        switch (node.op()) {
            case "onnx.Conv":
                return operandIfPresent(node, new WeightOperand(1, 0, 1));
            case "onnx.ConvTranspose":
                return operandIfPresent(node, new WeightOperand(1, 1, 0));
            case "mil.conv":
            case "mil.linear":
                return milOperand(node, "weight", 0, 1);
            case "mil.conv_transpose":
                return milOperand(node, "weight", 1, 0);
            case "onnx.Gemm":
                return operandIfPresent(node, node.attributes().getInt("transB", 0) != 0
                        ? new WeightOperand(1, 0, 1) : new WeightOperand(1, 1, 0));
            case "onnx.MatMul":
                return matmul(node, false, false);
            case "mil.matmul":
                return milMatmul(node);
            case "onnx.Gather":
                return gather(node);
            case "mil.gather":
                return milGather(node);
            default:
                return List.of();
        }
    }

    private static List<WeightOperand> operandIfPresent(Node node, WeightOperand w) {
        return node.operands().size() > w.operand() && !node.operand(w.operand()).isAbsent() ? List.of(w) : List.of();
    }

    /** A is {@code [..., M, K]} (K = input), B is {@code [..., K, N]} (N = output); transposes swap them. */
    private static List<WeightOperand> matmul(Node node, boolean transposeA, boolean transposeB) {
        if (node.operands().size() < 2) return List.of();
        List<WeightOperand> out = new ArrayList<>(2);
        out.add(rank(node, 0) == 1 ? new WeightOperand(0, WeightOperand.NO_AXIS, 0)
                : transposeA ? new WeightOperand(0, -1, -2) : new WeightOperand(0, -2, -1));
        out.add(rank(node, 1) == 1 ? new WeightOperand(1, WeightOperand.NO_AXIS, 0)
                : transposeB ? new WeightOperand(1, -2, -1) : new WeightOperand(1, -1, -2));
        return out;
    }

    private static List<WeightOperand> gather(Node node) {
        if (node.operands().isEmpty()) return List.of();
        int rank = rank(node, 0);
        int axis = (int) node.attributes().getInt("axis", 0);
        if (rank > 0 && axis < 0) axis += rank;
        int input = rank == 2 && (axis == 0 || axis == 1) ? 1 - axis : WeightOperand.NO_AXIS;
        return List.of(new WeightOperand(0, axis, input));
    }

    private static List<WeightOperand> milOperand(Node node, String param, int outputAxis, int inputAxis) {
        int i = MilParams.indexOf(node, param);
        return i < 0 || i >= node.operands().size() ? List.of() : List.of(new WeightOperand(i, outputAxis, inputAxis));
    }

    /** MIL matmul: y is B, x is A when it is a weight; transposes come from constant bool operands. */
    private static List<WeightOperand> milMatmul(Node node) {
        int x = MilParams.indexOf(node, "x");
        int y = MilParams.indexOf(node, "y");
        List<WeightOperand> out = new ArrayList<>(2);
        if (x >= 0 && isWeight(node.operand(x))) {
            boolean tx = constantFlag(node, "transpose_x");
            out.add(rank(node, x) == 1 ? new WeightOperand(x, WeightOperand.NO_AXIS, 0)
                    : tx ? new WeightOperand(x, -1, -2) : new WeightOperand(x, -2, -1));
        }
        if (y >= 0) {
            boolean ty = constantFlag(node, "transpose_y");
            out.add(rank(node, y) == 1 ? new WeightOperand(y, WeightOperand.NO_AXIS, 0)
                    : ty ? new WeightOperand(y, -2, -1) : new WeightOperand(y, -1, -2));
        }
        return out;
    }

    private static List<WeightOperand> milGather(Node node) {
        int x = MilParams.indexOf(node, "x");
        if (x < 0) return List.of();
        int rank = rank(node, x);
        int axis = (int) constantInt(node, "axis", 0);
        if (rank > 0 && axis < 0) axis += rank;
        int input = rank == 2 && (axis == 0 || axis == 1) ? 1 - axis : WeightOperand.NO_AXIS;
        return List.of(new WeightOperand(x, axis, input));
    }

    /** A constant, or the result of a MIL constexpr op (a compressed constant). */
    private static boolean isWeight(Value v) {
        return v.isConstant() || (v.producer() != null && v.producer().op().startsWith("mil.constexpr_"));
    }

    /** The constant bool operand {@code param}; false when absent or not a constant. */
    private static boolean constantFlag(Node node, String param) {
        return constantInt(node, param, 0) != 0;
    }

    /** The first element of the constant integer or bool operand {@code param}, else {@code fallback}. */
    private static long constantInt(Node node, String param, long fallback) {
        Value v = MilParams.get(node, param).orElse(null);
        if (v == null || !v.isConstant() || v.data() == null || v.data().elementCount() < 1) return fallback;
        TensorData d = v.data();
        ByteBuffer b = d.bytes();
        switch (d.dtype()) {
            case BOOL: case INT8: case UINT8: return b.get(0);
            case INT16: case UINT16: return b.getShort(0);
            case INT32: case UINT32: return b.getInt(0);
            case INT64: case UINT64: return b.getLong(0);
            default: return fallback;
        }
    }

    /** The operand's rank, or −1 if unknown. */
    private static int rank(Node node, int operand) {
        TensorType t = node.operand(operand).tensorType();
        return t.hasRank() ? t.rank() : -1;
    }
}
