package dev.pare.passes.quantization;

import dev.pare.ir.DType;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Optional;

/**
 * One layer whose float32 bias takes up the mean drift of its output under activation quantization
 * ({@code activation_quantize{bias_correction=total}}): a Conv or ConvTranspose with a bias input
 * (channels on axis 1), a Gemm with a bias C of one value per output (channels on the last axis,
 * divided by {@code beta}), or a MatMul whose only reader is an Add of a constant with one value per
 * output (the MatMul + Add of a linear layer). The per-channel sums of the output are kept over the
 * calibration samples twice, for the model before the pass and for the quantized model; the bias
 * then moves by the difference of the means, so that on the calibration data the quantized layer's
 * mean output per channel is the float one.
 */
final class LayerBias {

    final Node layer;
    /** The node holding the bias and its operand index (the layer itself, or the Add after a MatMul). */
    final Node biasNode;
    final int biasOperand;
    private final boolean channelsFirst;
    private final float biasScale;
    private final int channels;
    private final double[] floatSum;
    private final double[] quantizedSum;
    private long floatCount;
    private long quantizedCount;
    /** Why the layer's outputs cannot be corrected (set while accumulating), or null. */
    String skipReason;

    private LayerBias(Node layer, Node biasNode, int biasOperand, boolean channelsFirst, float biasScale, int channels) {
        this.layer = layer;
        this.biasNode = biasNode;
        this.biasOperand = biasOperand;
        this.channelsFirst = channelsFirst;
        this.biasScale = biasScale;
        this.channels = channels;
        this.floatSum = new double[channels];
        this.quantizedSum = new double[channels];
    }

    /** The layer's output, whose means are measured. */
    Value output() { return layer.result(0); }

    Value bias() { return biasNode.operand(biasOperand); }

    /** The layer of an ONNX node, when it has a float32 constant bias with one value per output channel. */
    static Optional<LayerBias> of(Node n) {
        if (!n.dialect().equals("onnx")) return Optional.empty();
        switch (n.opType()) {
            case "Conv", "ConvTranspose" -> {
                return n.operands().size() > 2 ? bias(n, n, 2, true, 1f) : Optional.empty();
            }
            case "Gemm" -> {
                float beta = n.attributes().getFloat("beta", 1f);
                if (beta == 0 || n.operands().size() < 3) return Optional.empty();
                return bias(n, n, 2, false, beta);
            }
            case "MatMul" -> {
                Value out = n.result(0);
                if (out.uses().size() != 1 || out.graph().outputs().contains(out)) return Optional.empty();
                Value.Use use = out.uses().get(0);
                Node add = use.user();
                if (!add.op().equals("onnx.Add") || add.operands().size() != 2) return Optional.empty();
                return bias(n, add, 1 - use.operandIndex(), false, 1f);
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static Optional<LayerBias> bias(Node layer, Node holder, int index, boolean channelsFirst, float scale) {
        Value b = holder.operand(index);
        if (!b.isConstant() || b.data() == null || b.data().dtype() != DType.FLOAT32) return Optional.empty();
        long[] shape = b.data().type().shape();
        long n = b.data().elementCount();
        // one value per channel: [C], or [1, ..., C] broadcast along the last axis
        for (int d = 0; d < shape.length - 1; d++) if (shape[d] != 1) return Optional.empty();
        if (n < 1 || n > Integer.MAX_VALUE || channelsFirst && shape.length != 1) return Optional.empty();
        return Optional.of(new LayerBias(layer, holder, index, channelsFirst, scale, (int) n));
    }

    /** Adds one sample's output of the model before the pass ({@code quantized} false) or after it. */
    void add(TensorData out, boolean quantized) {
        if (skipReason != null) return;
        if (out == null || out.dtype() != DType.FLOAT32) {
            skipReason = "its output is not float32";
            return;
        }
        long[] shape = out.type().shape();
        int axis = channelsFirst ? 1 : shape.length - 1;
        if (axis < 0 || axis >= shape.length || shape[axis] != channels) {
            skipReason = "its output has no axis of " + channels + " channels for the bias";
            return;
        }
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        FloatBuffer v = out.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        double[] sum = quantized ? quantizedSum : floatSum;
        int n = v.remaining();
        for (int i = 0; i < n; i++) sum[(int) ((i / inner) % channels)] += v.get(i);
        if (quantized) quantizedCount += n / channels;
        else floatCount += n / channels;
    }

    /** Per channel: the quantized model's mean output minus the float one. */
    double[] drift() {
        double[] d = new double[channels];
        for (int c = 0; c < channels; c++) d[c] = quantizedSum[c] / quantizedCount - floatSum[c] / floatCount;
        return d;
    }

    /** The bias that cancels {@code drift}: each value moves by -drift / beta. */
    TensorData corrected(double[] drift) {
        FloatBuffer b = bias().data().bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) out[c] = (float) (b.get(c) - drift[c] / biasScale);
        return TensorData.ofFloats(bias().data().type().shape(), out);
    }

    boolean measured() {
        return skipReason == null && floatCount > 0 && quantizedCount > 0;
    }
}
