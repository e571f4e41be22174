package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pare dialect's type rules as the Verifier reports them, and its evaluator through the op definition. */
class PareOpTest {

    private static List<String> verify(String op, List<TensorData> operands, TensorType result, Attributes attributes) {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        List<Value> values = new java.util.ArrayList<>();
        for (int i = 0; i < operands.size(); i++) values.add(r.addConstant("c" + i, operands.get(i)));
        Node n = r.createNode("w", op, values, List.of("w_dense"), List.of(result), attributes, Location.UNKNOWN);
        r.addOutput(n.result(0));
        return Verifier.verify(g).stream().map(p -> p.code() + ": " + p.message()).toList();
    }

    private static TensorData u2(long... shape) {
        return TensorData.of(TensorType.of(DType.UINT2, shape), new byte[(int) ((TensorType.of(DType.UINT2, shape).elementCount() * 2 + 7) / 8)]);
    }

    private static TensorData f32(long... shape) {
        return TensorData.of(TensorType.of(DType.FLOAT32, shape), new byte[(int) TensorType.of(DType.FLOAT32, shape).elementCount() * 4]);
    }

    @Test
    void aWellFormedLutPassesAndEvaluatesThroughItsDefinition() {
        TensorData lut = TensorData.ofFloats(new long[] {1, 1, 4, 1}, 0.5f, 1.5f, 2.5f, 3.5f);
        TensorData indices = TensorData.of(TensorType.of(DType.UINT2, 2, 2), new byte[] {(byte) 0b11100100});
        assertEquals(List.of(), verify("pare.lut_to_dense", List.of(indices, lut), TensorType.of(DType.FLOAT32, 2, 2), Attributes.empty()));
        TensorData dense = PareOp.of("pare.lut_to_dense").orElseThrow().evaluate(List.of(indices, lut), Attributes.empty());
        float[] got = new float[4];
        for (int i = 0; i < 4; i++) got[i] = dense.bytes().getFloat(i * 4);
        assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f}, got);
    }

    @Test
    void aLutWithTheWrongPaletteSizeIsAVerifierProblem() {
        assertEquals(List.of("V007: pare.lut_to_dense 'w': lut f32[1,1,8,1] must hold 4 entries for u2 indices"),
                verify("pare.lut_to_dense", List.of(u2(2, 2), f32(1, 1, 8, 1)), TensorType.of(DType.FLOAT32, 2, 2), Attributes.empty()));
        assertEquals(List.of("V007: pare.lut_to_dense 'w': lut f32[4,1] must have rank 4 ([groups per axis..., 2^bits, cluster_dim]) for indices u2[2,2]"),
                verify("pare.lut_to_dense", List.of(u2(2, 2), f32(4, 1)), TensorType.of(DType.FLOAT32, 2, 2), Attributes.empty()));
    }

    @Test
    void aVectorLutNeedsItsAxisAndWidensTheResult() {
        assertEquals(List.of("V007: pare.lut_to_dense 'w': a vector lut f32[1,1,4,2] needs vector_axis"),
                verify("pare.lut_to_dense", List.of(u2(2, 2), f32(1, 1, 4, 2)), TensorType.of(DType.FLOAT32, 4, 2), Attributes.empty()));
        assertEquals(List.of(), verify("pare.lut_to_dense", List.of(u2(2, 2), f32(1, 1, 4, 2)), TensorType.of(DType.FLOAT32, 4, 2),
                Attributes.of(Map.of("vector_axis", new Attribute.IntAttr(0)))));
    }

    @Test
    void affineScaleAndResultTypesAreChecked() {
        TensorData data = TensorData.of(TensorType.of(DType.INT8, 2, 4), new byte[8]);
        assertEquals(List.of("V007: pare.affine_dequantize 'w': scale f32[2] must have the rank of data i8[2,4]"),
                verify("pare.affine_dequantize", List.of(data, f32(2)), TensorType.of(DType.FLOAT32, 2, 4), Attributes.empty()));
        assertEquals(List.of("V007: pare.affine_dequantize 'w': result f16[2,4] must have element type f32"),
                verify("pare.affine_dequantize", List.of(data, f32(2, 1)), TensorType.of(DType.FLOAT16, 2, 4), Attributes.empty()));
    }

    @Test
    void sparseAndUnknownOps() {
        TensorData mask = TensorData.of(TensorType.of(DType.UINT1, 2, 4), new byte[] {0x0F});
        assertEquals(List.of(), verify("pare.sparse_to_dense", List.of(mask, f32(4)), TensorType.of(DType.FLOAT32, 2, 4), Attributes.empty()));
        assertEquals(List.of("V007: pare.sparse_to_dense 'w': mask must be u1, got f32[2,4]"),
                verify("pare.sparse_to_dense", List.of(f32(2, 4), f32(4)), TensorType.of(DType.FLOAT32, 2, 4), Attributes.empty()));
        assertEquals(List.of("V007: pare.mystery 'w' is not an op of the pare dialect (ir/PARE_DIALECT.md)"),
                verify("pare.mystery", List.of(f32(4)), TensorType.of(DType.FLOAT32, 4), Attributes.empty()));
        assertTrue(PareOp.isWeightOp("pare.sparse_to_dense"));
        assertTrue(!PareOp.isWeightOp("pare.quantize"));
    }
}
