package dev.pare.spi;

/**
 * One operand of an op that holds a weight, and how the op reads it: which axis indexes the op's
 * output channels (per-channel scales and LUT groups run along it) and which axis the op reduces
 * over (per-block quantization and structured pruning run along it). Axes may be negative,
 * counted from the end of the weight's shape; {@link #NO_AXIS} means the op has no such axis.
 *
 * @param operand    index of the weight among the node's operands
 * @param outputAxis the output-channel axis, or {@link #NO_AXIS}
 * @param inputAxis  the input (reduction) axis, or {@link #NO_AXIS}
 */
public record WeightOperand(int operand, int outputAxis, int inputAxis) {

    /** The op has no axis of this kind. */
    public static final int NO_AXIS = Integer.MIN_VALUE;

    public WeightOperand {
        if (operand < 0) throw new IllegalArgumentException("weight operand index must be >= 0, got " + operand);
    }

    /** {@code axis} made non-negative for a weight of {@code rank}, or {@link #NO_AXIS} if absent or out of range. */
    public static int resolve(int axis, int rank) {
        if (axis == NO_AXIS) return NO_AXIS;
        int a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? a : NO_AXIS;
    }
}
