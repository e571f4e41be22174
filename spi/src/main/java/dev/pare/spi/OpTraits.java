package dev.pare.spi;

import dev.pare.ir.Node;
import java.util.List;

/**
 * What weight-compression passes need to know about ops: which operands are weights and along
 * which axes the op uses them. Found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.pare.spi.OpTraits}), so a plugin that adds ops can make them
 * compressible. The built-in traits cover the ONNX and MIL convolution, linear, matmul and gather
 * ops; a plugin's answer for an op is asked before the built-in one.
 */
public interface OpTraits {

    /**
     * The weight operands of {@code node}, or an empty list if this provider does not know the op
     * (or the node has none, e.g. a MatMul with two computed operands). Implementations look at
     * the op, attributes and operand types only; they must not change the node.
     */
    List<WeightOperand> weightOperands(Node node);
}
