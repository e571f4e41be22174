package dev.pare.compiler.onnx.lower;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/**
 * Unsigned codes of any width packed LSB-first (the IR's sub-byte layout), stored as their packed
 * bytes and unpacked at run time with integer arithmetic that every opset ≥ 13 runtime has: the
 * bytes are grouped so that a group holds a whole number of codes ({@code lcm(bits, 8) / 8} bytes),
 * each group is combined into one int64 ({@code Σ byte_j · 256^j}), and code {@code k} of a group is
 * {@code (group / 2^(bits·k)) mod 2^bits}. On disk this is exactly {@code bits} per code (plus at
 * most one group of padding), without needing ONNX's 2-bit (opset 25) or 4-bit (opset 21) types.
 */
final class BitUnpack {

    private BitUnpack() {}

    /** Int64 codes of {@code shape} from the packed {@code data} (unsigned, {@code bits} wide). */
    static Value unpack(Emitter e, TensorData data, int bits, long[] shape, String resultName) {
        int count = Tensors.count(shape);
        int groupBytes = lcm(bits, 8) / 8;
        int perGroup = groupBytes * 8 / bits;
        int groups = (count + perGroup - 1) / perGroup;
        long[] packedShape = {groups, groupBytes};
        Value packed = e.constant("packed", Tensors.asBytes(data, packedShape));
        e.req.opset(13, "unpacking " + bits + "-bit codes (ReduceSum with axes input)");
        Value wide = e.cast(packed, DType.INT64, packedShape);
        long[] column = {groups, 1};
        if (groupBytes > 1) {
            long[] weights = new long[groupBytes];
            for (int j = 0; j < groupBytes; j++) weights[j] = 1L << (8 * j);
            Value w = e.constant("byte_weights", Tensors.longs(new long[] {groupBytes}, weights));
            Value weighted = e.op("Mul", List.of(wide, w), TensorType.of(DType.INT64, packedShape));
            Value axes = e.constant("axes", Tensors.longs(new long[] {1}, 1));
            wide = e.op("ReduceSum", List.of(weighted, axes), TensorType.of(DType.INT64, column),
                    Emitter.attrs("keepdims", 1), null);
        }
        long[] divisors = new long[perGroup];
        for (int k = 0; k < perGroup; k++) divisors[k] = 1L << (bits * k);
        long[] grid = {groups, perGroup};
        Value shifted = e.op("Div", List.of(wide, e.constant("shifts", Tensors.longs(new long[] {perGroup}, divisors))),
                TensorType.of(DType.INT64, grid));
        Value codes = e.op("Mod", List.of(shifted, e.constant("modulus", Tensors.longs(new long[] {}, 1L << bits))),
                TensorType.of(DType.INT64, grid));
        long padded = (long) groups * perGroup;
        if (padded == count) return e.reshape(codes, shape, resultName);
        Value flat = e.reshape(codes, new long[] {padded}, null);
        Value cut = e.op("Slice", List.of(flat, e.constant("starts", Tensors.longs(new long[] {1}, 0)),
                e.constant("ends", Tensors.longs(new long[] {1}, count))), TensorType.of(DType.INT64, count));
        return e.reshape(cut, shape, resultName);
    }

    static int lcm(int a, int b) { return a / gcd(a, b) * b; }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
