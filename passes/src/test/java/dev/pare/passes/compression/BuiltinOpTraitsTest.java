package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.WeightOperand;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuiltinOpTraitsTest {

    private static final int NONE = WeightOperand.NO_AXIS;

    private static List<WeightOperand> traits(String nodeLine) {
        Graph g = IrParser.parse("""
                graph g(%a: f32[2,3], %b: f32[3,4], %v: f32[3], %w4: f32[4,3,1,1], %i: i64[2]) {
                  LINE
                  return %y
                }
                """.replace("LINE", nodeLine), "traits.ir");
        Node n = g.nodes().get(0);
        return WeightTraits.discover().weightOperands(n);
    }

    @Test
    void onnxOps() {
        assertEquals(List.of(new WeightOperand(1, 0, 1)), traits("%y: f32[1] = onnx.Conv(%a, %w4) @n"));
        assertEquals(List.of(new WeightOperand(1, 1, 0)), traits("%y: f32[1] = onnx.ConvTranspose(%a, %w4) @n"));
        assertEquals(List.of(new WeightOperand(1, 0, 1)), traits("%y: f32[1] = onnx.Gemm(%a, %b) {transB=1} @n"));
        assertEquals(List.of(new WeightOperand(1, 1, 0)), traits("%y: f32[1] = onnx.Gemm(%a, %b) @n"));
        assertEquals(List.of(new WeightOperand(0, -2, -1), new WeightOperand(1, -1, -2)), traits("%y: f32[1] = onnx.MatMul(%a, %b) @n"));
        assertEquals(List.of(new WeightOperand(0, NONE, 0), new WeightOperand(1, -1, -2)), traits("%y: f32[1] = onnx.MatMul(%v, %b) @n"));
        assertEquals(List.of(new WeightOperand(0, 0, 1)), traits("%y: f32[1] = onnx.Gather(%a, %i) @n"));
        assertEquals(List.of(new WeightOperand(0, 1, 0)), traits("%y: f32[1] = onnx.Gather(%a, %i) {axis=-1} @n"));
        assertEquals(List.of(), traits("%y: f32[1] = onnx.Add(%a, %b) @n"));
    }

    @Test
    void milOps() {
        assertEquals(List.of(new WeightOperand(1, 0, 1)), traits("%y: f32[1] = mil.linear(%a, %b) @n"));
        assertEquals(List.of(new WeightOperand(1, 0, 1)), traits("%y: f32[1] = mil.conv(%a, %w4) @n"));
        assertEquals(List.of(new WeightOperand(1, 1, 0)), traits("%y: f32[1] = mil.conv_transpose(%a, %w4) @n"));
        assertEquals(List.of(new WeightOperand(0, -2, -1), new WeightOperand(1, -2, -1)),
                traits("%y: f32[1] = mil.matmul(%a, %b) {transpose_y=1} @n"));
    }
}
