package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** com.microsoft MatMulNBits: a matmul by a block-quantized constant weight (below). */
final class MatMulNBitsLowering {

    private MatMulNBitsLowering() {}

    static void register(Map<String, Lowering> m) {
        m.put("com.microsoft.MatMulNBits", MatMulNBitsLowering::lower);
    }

    /**
     * MatMulNBits (the GenAI builder's int4 / int8 weights): Y = A · Wᵀ (+ bias) with W [N, K]
     * stored as blocks of block_size codes along K per row n, each block with a float scale and a
     * zero point (packed codes, default 2^(bits − 1)): W[n, k] = (q[n, k] − zp[n, k / block]) ·
     * scale[n, k / block]. Lowered to a pare.affine_dequantize of the codes (uint4 or uint8, one
     * scale and zero point per block; the Core ML writer keeps them compressed) feeding MIL linear.
     * The codes are repacked from ONNX Runtime's [N, blocks, block bytes] layout into [N, K]
     * (same LSB-first nibble order). ONNX Runtime's CPU kernel with accuracy_level 4 quantizes A to
     * int8 per block before the product; the lowering keeps A in float32 (the float product that
     * accuracy levels 0 to 3 compute).
     */
    private static List<Value> lower(OnnxOp op) {
        long k = op.attrInt("K", 0);
        long n = op.attrInt("N", 0);
        long bits = op.attrInt("bits", 4);
        long block = op.attrInt("block_size", 0);
        if (bits != 4 && bits != 8) throw op.fail("bits=" + bits + " has no lowering (4 or 8)");
        if (k <= 0 || n <= 0 || block < 16 || (block & (block - 1)) != 0) {
            throw op.fail("K " + k + ", N " + n + " and block_size " + block + " must be positive, block_size a power of 2 >= 16");
        }
        if (k % block != 0) throw op.fail("K " + k + " is not a multiple of block_size " + block + " (a partial last block has no lowering)");
        if (op.present(4)) throw op.fail("input 4 (g_idx) has no lowering");
        AttentionLowerings.requireFloat32(op, 0, 2, 5);
        List<Dim> a = op.dims(0);
        if (a.isEmpty() || !(a.get(a.size() - 1) instanceof Dim.Fixed last) || last.size() != k) {
            throw op.fail("A " + op.type(0) + " must have K = " + k + " as its last dimension");
        }
        Value bRaw = op.raw(1);
        if (!bRaw.isConstant()) throw op.needsConstant(1, "B must be a constant");
        long blocks = k / block;
        long blobBytes = block * bits / 8;
        if (bRaw.tensorType().dtype() != DType.UINT8 || !Arrays.equals(bRaw.tensorType().shape(), new long[] {n, blocks, blobBytes})) {
            throw op.fail("B " + bRaw.tensorType() + " must be uint8 [" + n + ", " + blocks + ", " + blobBytes + "]");
        }
        double[] scales = op.constFloats(2);
        if (scales == null) throw op.needsConstant(2, "scales must be a constant");
        if (scales.length != n * blocks) throw op.fail("scales " + op.type(2) + " must hold N · K / block_size = " + (n * blocks) + " values");
        long[] zeroPoints = new long[(int) (n * blocks)];
        Arrays.fill(zeroPoints, 1L << (bits - 1));
        if (op.present(3)) {
            Value zp = op.raw(3);
            if (!zp.isConstant() || zp.tensorType().dtype() != DType.UINT8) {
                throw op.fail("zero_points must be a uint8 constant (float zero points have no lowering), got " + zp.tensorType());
            }
            long rowBytes = (blocks * bits + 7) / 8;
            ByteBuffer zb = zp.data().bytes();
            if (zb.remaining() != n * rowBytes) throw op.fail("zero_points " + zp.tensorType() + " must hold " + (n * rowBytes) + " bytes");
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < blocks; j++) zeroPoints[(int) (r * blocks + j)] = code(zb, r * rowBytes, j, bits);
            }
        }
        ByteBuffer bb = bRaw.data().bytes();
        DType codeType = bits == 4 ? DType.UINT4 : DType.UINT8;
        byte[] codes = new byte[(int) codeType.byteSize(n * k)];
        byte[] zpCodes = new byte[(int) codeType.byteSize(n * blocks)];
        for (long r = 0; r < n; r++) {
            for (long c = 0; c < k; c++) put(codes, r * k + c, code(bb, r * blocks * blobBytes, c, bits), bits);
            for (long j = 0; j < blocks; j++) put(zpCodes, r * blocks + j, zeroPoints[(int) (r * blocks + j)], bits);
        }
        float[] scale = new float[scales.length];
        for (int i = 0; i < scale.length; i++) scale[i] = (float) scales[i];
        Value data = op.e.constant(op.e.tmp("weight_codes"), TensorData.of(TensorType.of(codeType, new long[] {n, k}), codes));
        Value scaleValue = op.e.constant(op.e.tmp("weight_scales"), TensorData.ofFloats(new long[] {n, blocks}, scale));
        Value zpValue = op.e.constant(op.e.tmp("weight_zero_points"), TensorData.of(TensorType.of(codeType, new long[] {n, blocks}), zpCodes));
        Value weight = op.e.pareOp("affine_dequantize", op.e.tmp("weight"), TensorType.of(DType.FLOAT32, new long[] {n, k}),
                data, scaleValue, zpValue);
        if (op.present(5) && !Arrays.equals(op.staticShape(5), new long[] {n})) throw op.fail("bias " + op.type(5) + " must be [" + n + "]");
        return OnnxOp.one(op.e.op("linear", op.e.out(0), "x", op.in(0), "weight", weight, "bias", op.present(5) ? op.in(5) : null));
    }

    /** Code {@code i} (of {@code bits} bits, packed LSB-first) of the bytes from {@code offset}. */
    private static long code(ByteBuffer b, long offset, long i, long bits) {
        int v = b.get((int) (offset + i * bits / 8)) & 0xFF;
        return bits == 8 ? v : (v >> (4 * (i % 2))) & 0xF;
    }

    private static void put(byte[] out, long i, long v, long bits) {
        if (bits == 8) out[(int) i] = (byte) v;
        else out[(int) (i / 2)] |= (byte) ((v & 0xF) << (4 * (i % 2)));
    }
}
