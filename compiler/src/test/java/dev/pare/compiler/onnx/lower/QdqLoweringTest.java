package dev.pare.compiler.onnx.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** pare.quantize / pare.dequantize become QuantizeLinear / DequantizeLinear, and ONNX Runtime computes the contract's values. */
class QdqLoweringTest {

    private static Model model(String ir) {
        Model m = new Model("onnx", IrParser.parse(ir));
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        return m;
    }

    private static final String FAKE_QUANT = """
            graph g(%x: f32[5]) {
              %s: f32[] = const dense<f32[]: [0.5]>
              %zp: i8[] = const dense<i8[]: [-28]>
              %q: i8[5] = pare.quantize(%x, %s, %zp) @quant
              %y: f32[5] = pare.dequantize(%q, %s, %zp) @dequant
              return %y
            }
            """;

    @Test
    void lowersToQdqAndRunsInOrt() throws Exception {
        Model m = model(FAKE_QUANT);
        Model lowered = OnnxLowering.lower(m);
        assertEquals(List.of("onnx.QuantizeLinear", "onnx.DequantizeLinear"), lowered.graph().nodes().stream().map(Node::op).toList());
        assertEquals("y", lowered.graph().outputs().get(0).name());

        Map<String, TensorData> out;
        try (ModelExecutor.Session s = new OrtModelExecutor(m, 1).open(m.graph(), List.of())) {
            // codes: round_half_even(x / 0.5) - 28, saturated to [-128, 127] (halves exact in float)
            out = s.run(Map.of("x", TensorData.ofFloats(new long[] {5}, -100f, 0f, 1.25f, 1.75f, 100f)));
        }
        FloatBuffer y = out.get("y").bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] values = new float[5];
        y.get(values);
        // -100 -> -228 saturates to -128 -> -50; 1.25 -> 2.5 rounds to 2 (even) -> 1; 1.75 -> 3.5 rounds to 4 -> 2;
        // 100 -> 172 saturates to 127 -> 77.5
        assertArrayEquals(new float[] {-50f, 0f, 1f, 2f, 77.5f}, values);
    }

    @Test
    void aOneDimensionalScaleNeedsAnAxis() {
        Model m = model("""
                graph g(%x: f32[1,2]) {
                  %s: f32[2] = const dense<f32[2]: [0.1, 0.2]>
                  %zp: u8[2] = const dense<u8[2]: [0, 0]>
                  %q: u8[1,2] = pare.quantize(%x, %s, %zp) @quant
                  return %q
                }
                """);
        LoweringException e = assertThrows(LoweringException.class, () -> OnnxLowering.lower(m));
        assertEquals("node 'quant' (pare.quantize): a 1-D scale needs the axis attribute", e.getMessage());
    }
}
