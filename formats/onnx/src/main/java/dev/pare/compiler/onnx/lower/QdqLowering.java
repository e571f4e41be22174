package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.Arrays;
import java.util.List;

/**
 * {@code pare.quantize} → {@code QuantizeLinear}, {@code pare.dequantize} → {@code DequantizeLinear}
 * (activation QDQ, ir/PARE_DIALECT.md): the same operands, with {@code axis} for a 1-D scale. A
 * scalar scale needs opset 10, a per-axis one opset 13.
 */
final class QdqLowering {

    private QdqLowering() {}

    static Value lower(Emitter e, String opType, List<Value> operands, Attributes attributes, TensorType resultType,
            String resultName) {
        if (operands.size() != 3) throw e.error("expects 3 operands (input, scale, zero_point), got " + operands.size());
        Value scaleV = operands.get(1);
        Value zpV = operands.get(2);
        if (!scaleV.isConstant() || !zpV.isConstant()) throw e.error("scale and zero_point must be constants");
        TensorData scale = scaleV.data();
        TensorData zp = zpV.data();
        if (scale.dtype() != DType.FLOAT32) throw e.error("scale must be f32, got " + scale.dtype().shortName());
        if (zp.dtype() != DType.INT8 && zp.dtype() != DType.UINT8) {
            throw e.error("zero_point must be i8 or u8, got " + zp.dtype().shortName());
        }
        long[] shape = scale.type().shape();
        if (shape.length > 1) throw e.error("scale must be a scalar or 1-D, got " + scale.type());
        if (!Arrays.equals(shape, zp.type().shape())) {
            throw e.error("zero_point shape " + zp.type() + " differs from scale shape " + scale.type());
        }
        boolean quantize = opType.equals("quantize");
        DType expected = quantize ? zp.dtype() : DType.FLOAT32;
        if (resultType.dtype() != expected) {
            throw e.error("result must be " + expected.shortName() + ", got " + resultType.dtype().shortName());
        }
        long axis = attributes.getInt("axis", Long.MIN_VALUE);
        Attributes attrs = Attributes.empty();
        if (shape.length == 1) {
            if (axis == Long.MIN_VALUE) throw e.error("a 1-D scale needs the axis attribute");
            attrs = Emitter.attrs("axis", axis);
            e.req.opset(13, "per-axis " + (quantize ? "QuantizeLinear" : "DequantizeLinear"));
        } else {
            if (axis != Long.MIN_VALUE) throw e.error("axis is only allowed with a 1-D scale");
            e.req.opset(10, quantize ? "QuantizeLinear" : "DequantizeLinear");
        }
        return e.op(quantize ? "QuantizeLinear" : "DequantizeLinear", operands, resultType, attrs, resultName);
    }
}
