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

    /** MIL operands are found by parameter name, in whatever order the file had them. */
    private static List<WeightOperand> mil(String nodeLine) {
        Graph g = IrParser.parse("""
                graph g(%a: f32[2,3], %b: f32[3,4], %v: f32[3], %w4: f32[4,3,1,1], %i: i32[2]) {
                  %t: bool[] = const dense<bool[]: [true]>
                  %f: bool[] = const dense<bool[]: [false]>
                  %c: f32[2,3] = const dense<f32[2,3]: splat 1>
                  %ax: i32[] = const dense<i32[]: [-1]>
                  LINE
                  return %y
                }
                """.replace("LINE", nodeLine), "traits.ir");
        return WeightTraits.discover().weightOperands(g.nodes().get(0));
    }

    @Test
    void milOpsByParameterName() {
        assertEquals(List.of(new WeightOperand(1, 0, 1)), mil("%y: f32[1] = mil.linear(%a, %b) {params=[\"x\", \"weight\"]} @n"));
        assertEquals(List.of(new WeightOperand(0, 0, 1)), mil("%y: f32[1] = mil.linear(%b, %v, %a) {params=[\"weight\", \"bias\", \"x\"]} @n"));
        assertEquals(List.of(new WeightOperand(2, 0, 1)), mil("%y: f32[1] = mil.conv(%a, %v, %w4) {params=[\"x\", \"bias\", \"weight\"]} @n"));
        assertEquals(List.of(new WeightOperand(1, 1, 0)), mil("%y: f32[1] = mil.conv_transpose(%a, %w4) {params=[\"x\", \"weight\"]} @n"));
        assertEquals(List.of(), mil("%y: f32[1] = mil.conv(%a) {params=[\"x\"]} @n"));
    }

    @Test
    void milMatmulTakesTransposesFromConstantOperands() {
        // x is an activation: only y; transpose_y true swaps y's axes.
        assertEquals(List.of(new WeightOperand(1, -2, -1)),
                mil("%y: f32[1] = mil.matmul(%t, %b, %a, %f) {params=[\"transpose_y\", \"y\", \"x\", \"transpose_x\"]} @n"));
        assertEquals(List.of(new WeightOperand(1, -1, -2)),
                mil("%y: f32[1] = mil.matmul(%a, %b, %f) {params=[\"x\", \"y\", \"transpose_y\"]} @n"));
        // A constant x is a weight too, with transpose_x read from its operand.
        assertEquals(List.of(new WeightOperand(0, -1, -2), new WeightOperand(1, -1, -2)),
                mil("%y: f32[1] = mil.matmul(%c, %b, %t) {params=[\"x\", \"y\", \"transpose_x\"]} @n"));
    }

    @Test
    void milGatherReadsItsAxisOperand() {
        assertEquals(List.of(new WeightOperand(1, 0, 1)), mil("%y: f32[1] = mil.gather(%i, %a) {params=[\"indices\", \"x\"]} @n"));
        assertEquals(List.of(new WeightOperand(0, 1, 0)),
                mil("%y: f32[1] = mil.gather(%a, %i, %ax) {params=[\"x\", \"indices\", \"axis\"]} @n"));
    }
}
