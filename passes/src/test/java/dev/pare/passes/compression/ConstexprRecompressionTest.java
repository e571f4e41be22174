package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.WeightHistory;
import dev.pare.testkit.PassTester;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A weight that Core ML {@code mil.constexpr_*} ops decode from constants is decompressed before a
 * compression pass compresses it (WeightCompressionPass, ConstexprCone); inline golden IR.
 */
class ConstexprRecompressionTest {

    /** mil.linear reads W = (q - zp) * scale per output channel: 8 int8 codes holding 4 distinct values. */
    private static final String INT8_LINEAR = """
            graph g(%x: f32[1,4]) {
              %q: i8[2,4] = const dense<i8[2,4]: [1, 2, 3, 4, 4, 3, 2, 1]>
              %zp: i8[2] = const dense<i8[2]: [0, 0]>
              %s: f32[2] = const dense<f32[2]: [0.5, 0.5]>
              %ax: i32[] = const dense<i32[]: [0]>
              %W: f32[2,4] = mil.constexpr_affine_dequantize(%q, %zp, %s, %ax) {params=["quantized_data", "zero_point", "scale", "axis"]} @W_op
              %y: f32[1,2] = mil.linear(%x, %W) {params=["x", "weight"]} @fc
              return %y
            }
            """;

    private static Palettize.Options unique() {
        return new Palettize.Options(Palettize.Mode.UNIQUE, Optional.empty(), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 0, true);
    }

    @Test
    void anInt8WeightIsPalettizedFromItsValues() {
        PassTester.of(new Palettize()).withOptions(unique()).assertTransforms(INT8_LINEAR, """
                graph g(%x: f32[1,4]) {
                  %W_indices: u2[2,4] = const dense<u2[2,4]: [0, 1, 2, 3, 3, 2, 1, 0]>
                  %W_lut: f32[1,1,4,1] = const dense<f32[1,1,4,1]: [0.5, 1, 1.5, 2]>
                  %W: f32[2,4] = pare.lut_to_dense(%W_indices, %W_lut) @W_palettized
                  %y: f32[1,2] = mil.linear(%x, %W) {params=["x", "weight"]} @fc
                  return %y
                }
                """).assertDiagnostics("note[CW005]: palettize: weight 'W' was int8-quantized (constexpr_affine_dequantize); "
                + "decompressed before palettizing it");
    }

    @Test
    void aWeightTheOptionsDoNotFitKeepsItsChain() {
        Palettize.Options twoValues = new Palettize.Options(Palettize.Mode.UNIQUE, Optional.of(1), Palettize.Granularity.PER_TENSOR, 32, Optional.empty(),
                false, 1, List.of(), 0, true);
        PassTester.of(new Palettize()).withOptions(twoValues).assertUnchanged(INT8_LINEAR).assertDiagnostics(
                "note[CW002]: palettize: weight 'W' left int8-quantized (constexpr_affine_dequantize): "
                        + "unique mode with nbits 1 allows 2 distinct values per LUT, found 4",
                "warning[CW007]: palettize compressed no weight: 1 weight left as it is: 1 the options do not fit (CW002)");
    }

    @Test
    void theRecordOfWhereTheWeightCameFromIsOnItsValue() {
        var run = PassTester.of(new Palettize()).withOptions(unique()).run(INT8_LINEAR);
        assertEquals("int8-quantized (constexpr_affine_dequantize)",
                run.graph().value("W").orElseThrow().metadata().get(WeightHistory.DECOMPRESSED_FROM));
    }

    @Test
    void anFp16StoredWeightIsQuantizedFromItsFloatValues() {
        var run = PassTester.of(new QuantizeWeights()).withOptions(new QuantizeWeights().defaults()).run("""
                graph g(%x: f32[1,2048]) {
                  %w16: f16[2,2048] = const dense<f16[2,2048]: splat 0.25>
                  %to: str[] = const strings<str[]: ["fp32"]>
                  %W: f32[2,2048] = mil.constexpr_cast(%w16, %to) {params=["source_val", "output_dtype"]} @W_op
                  %y: f32[1,2] = mil.linear(%x, %W) {params=["x", "weight"]} @fc
                  return %y
                }
                """);
        run.assertDiagnostics("note[CW005]: quantize_weights: weight 'W' was fp16-stored (constexpr_cast); decompressed before quantizing it");
        assertEquals("pare.affine_dequantize", run.graph().value("W").orElseThrow().producer().op());
        assertEquals(java.util.Optional.empty(), run.graph().value("w16"));
    }
}
