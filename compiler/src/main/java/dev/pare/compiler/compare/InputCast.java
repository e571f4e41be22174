package dev.pare.compiler.compare;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts one model's input to the element type the other model declares when the two differ only
 * in width: int64 and int32 (an ONNX model and its Core ML conversion, which has no int64), float32
 * and float16. Integer values that do not fit are an error, not wrapped.
 */
final class InputCast {

    private InputCast() {}

    static boolean converts(DType from, DType to) {
        return from == to || (isInt(from) && isInt(to)) || (isFloat(from) && isFloat(to));
    }

    static TensorData to(DType target, TensorData d, String input) {
        if (d.dtype() == target || !converts(d.dtype(), target)) return d;
        int n = Math.toIntExact(d.elementCount());
        ByteBuffer src = d.bytes();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(target.byteSize(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (isInt(target)) {
                long v = d.dtype() == DType.INT64 ? src.getLong(i * 8) : src.getInt(i * 4);
                if (target == DType.INT32 && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException("input '" + input + "': element " + i + " = " + v + " does not fit int32");
                }
                if (target == DType.INT64) out.putLong(v);
                else out.putInt((int) v);
            } else {
                float v = d.dtype() == DType.FLOAT32 ? src.getFloat(i * 4) : Float16.toFloat(src.getShort(i * 2));
                if (target == DType.FLOAT32) out.putFloat(v);
                else out.putShort(Float16.fromFloat(v));
            }
        }
        return TensorData.ofBuffer(TensorType.of(target, d.type().shape()), out.flip());
    }

    private static boolean isInt(DType t) {
        return t == DType.INT32 || t == DType.INT64;
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16;
    }
}
