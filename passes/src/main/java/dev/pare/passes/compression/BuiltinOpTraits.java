package dev.pare.passes.compression;

import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.spi.OpTraits;
import dev.pare.spi.WeightOperand;
import java.util.ArrayList;
import java.util.List;

/**
 * Weight operands of the built-in ops (axes as Core ML Tools' {@code select_input_output_channel_axis},
 * coreml.md §3.9):
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
 *   <li>MIL ops, with operands in the order of the MIL op signature: {@code mil.conv(x, weight, ...)}
 *       and {@code mil.linear(x, weight, bias)} as Conv; {@code mil.conv_transpose(x, weight, ...)}
 *       as ConvTranspose; {@code mil.matmul(x, y)} as MatMul with attributes {@code transpose_x} /
 *       {@code transpose_y} (ints, 1 = transposed) swapping the two axes; {@code mil.gather(x, indices)}
 *       as Gather.</li>
 * </ul>
 * Whether an operand is actually compressed (a float constant) is the pass's business.
 */
public final class BuiltinOpTraits implements OpTraits {

    @Override public List<WeightOperand> weightOperands(Node node) {
        switch (node.op()) {
            case "onnx.Conv":
            case "mil.conv":
            case "mil.linear":
                return operandIfPresent(node, new WeightOperand(1, 0, 1));
            case "onnx.ConvTranspose":
            case "mil.conv_transpose":
                return operandIfPresent(node, new WeightOperand(1, 1, 0));
            case "onnx.Gemm":
                return operandIfPresent(node, node.attributes().getInt("transB", 0) != 0
                        ? new WeightOperand(1, 0, 1) : new WeightOperand(1, 1, 0));
            case "onnx.MatMul":
                return matmul(node, false, false);
            case "mil.matmul":
                return matmul(node, node.attributes().getInt("transpose_x", 0) != 0, node.attributes().getInt("transpose_y", 0) != 0);
            case "onnx.Gather":
            case "mil.gather":
                return gather(node);
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

    /** The operand's rank, or −1 if unknown. */
    private static int rank(Node node, int operand) {
        TensorType t = node.operand(operand).tensorType();
        return t.hasRank() ? t.rank() : -1;
    }
}
