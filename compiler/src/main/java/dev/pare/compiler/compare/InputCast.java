package dev.pare.compiler.compare;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts one model's input to the element type the other model declares when the two differ only
 * in width: integers of any width (an ONNX model and its Core ML conversion, which has no int64),
 * float32 and float16, and bool to or from an integer type (a Core ML feature converted from an ONNX
 * bool is int32: false = 0, true = 1; an integer is true when it is not 0). Integer values that do
 * not fit are an error, not wrapped.
 */
final class InputCast {

    private InputCast() {}

    static boolean converts(DType from, DType to) {
        return from == to || (isIntOrBool(from) && isIntOrBool(to)) || (isFloat(from) && isFloat(to));
    }

    static TensorData to(DType target, TensorData d, String input) {
        if (d.dtype() == target || !converts(d.dtype(), target)) return d;
        int n = Math.toIntExact(d.elementCount());
        ByteBuffer src = d.bytes();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(target.byteSize(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (isIntOrBool(target)) {
                long v = integer(d.dtype(), src, i);
                if (target == DType.BOOL) v = v != 0 ? 1 : 0;
                if (v < min(target) || v > max(target)) {
                    throw new IllegalArgumentException("input '" + input + "': element " + i + " = " + v + " does not fit "
                            + dev.pare.compiler.data.DTypeNames.name(target));
                }
                switch (target) {
                    case INT64 -> out.putLong(v);
                    case INT32, UINT32 -> out.putInt((int) v);
                    case INT16, UINT16 -> out.putShort((short) v);
                    default -> out.put((byte) v);
                }
            } else {
                float v = d.dtype() == DType.FLOAT32 ? src.getFloat(i * 4) : Float16.toFloat(src.getShort(i * 2));
                if (target == DType.FLOAT32) out.putFloat(v);
                else out.putShort(Float16.fromFloat(v));
            }
        }
        return TensorData.ofBuffer(TensorType.of(target, d.type().shape()), out.flip());
    }

    private static long integer(DType t, ByteBuffer b, int i) {
        return switch (t) {
            case INT64 -> b.getLong(i * 8);
            case INT32 -> b.getInt(i * 4);
            case UINT32 -> b.getInt(i * 4) & 0xFFFFFFFFL;
            case INT16 -> b.getShort(i * 2);
            case UINT16 -> b.getShort(i * 2) & 0xFFFF;
            case INT8 -> b.get(i);
            default -> b.get(i) & 0xFF; // UINT8, BOOL
        };
    }

    private static long min(DType t) {
        return switch (t) {
            case INT64 -> Long.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT8 -> Byte.MIN_VALUE;
            default -> 0;
        };
    }

    private static long max(DType t) {
        return switch (t) {
            case INT64 -> Long.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case UINT32 -> 0xFFFFFFFFL;
            case INT16 -> Short.MAX_VALUE;
            case UINT16 -> 0xFFFF;
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 0xFF;
            default -> 1;
        };
    }

    private static boolean isIntOrBool(DType t) {
        return switch (t) {
            case INT64, INT32, UINT32, INT16, UINT16, INT8, UINT8, BOOL -> true;
            default -> false;
        };
    }

    private static boolean isFloat(DType t) {
        return t == DType.FLOAT32 || t == DType.FLOAT16;
    }
}
