package dev.pare.passes.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.spi.PassFailure;
import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

class TopologicalReorderTest {

    private final PassTester<TopologicalReorder.Options> tester =
            PassTester.of(new TopologicalReorder()).withoutInputVerification();

    @Test
    void leavesAnOrderedGraphAlone() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %b: f32[2] = onnx.Neg(%x) @b
                  %a: f32[2] = onnx.Neg(%x) @a
                  %c: f32[2] = onnx.Add(%a, %b) @c
                  return %c
                }
                """);
    }

    @Test
    void movesOnlyWhatMustMoveAndKeepsTheRestInPlace() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %d: f32[2] = onnx.Add(%c, %x) @d
                  %a: f32[2] = onnx.Neg(%x) @a
                  %c: f32[2] = onnx.Relu(%a) @c
                  %e: f32[2] = onnx.Neg(%x) @e
                  return %d, %e
                }
                """, """
                graph g(%x: f32[2]) {
                  %a: f32[2] = onnx.Neg(%x) @a
                  %c: f32[2] = onnx.Relu(%a) @c
                  %d: f32[2] = onnx.Add(%c, %x) @d
                  %e: f32[2] = onnx.Neg(%x) @e
                  return %d, %e
                }
                """).assertStatistic("graphs_reordered", 1);
    }

    @Test
    void subgraphCapturesAreDependencies() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Add(%late, %x) @inner
                    return %t
                  }, else_branch=graph e() {
                    return %late2
                  }} @if
                  %late: f32[2] = onnx.Neg(%x) @late
                  %late2: f32[2] = onnx.Relu(%x) @late2
                  return %y
                }
                """, """
                graph g(%c: bool[], %x: f32[2]) {
                  %late: f32[2] = onnx.Neg(%x) @late
                  %late2: f32[2] = onnx.Relu(%x) @late2
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Add(%late, %x) @inner
                    return %t
                  }, else_branch=graph e() {
                    return %late2
                  }} @if
                  return %y
                }
                """);
    }

    @Test
    void ordersInsideSubgraphs() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %b: f32[2] = onnx.Neg(%a) @b
                    %a: f32[2] = onnx.Neg(%x) @a
                    return %b
                  }, else_branch=graph e() {
                    return %x
                  }} @if
                  return %y
                }
                """, """
                graph g(%c: bool[], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %a: f32[2] = onnx.Neg(%x) @a
                    %b: f32[2] = onnx.Neg(%a) @b
                    return %b
                  }, else_branch=graph e() {
                    return %x
                  }} @if
                  return %y
                }
                """);
    }

    @Test
    void reportsCycles() {
        PassFailure f = tester.assertFails("""
                graph g(%x: f32[2]) {
                  %ok: f32[2] = onnx.Neg(%x) @ok
                  %a: f32[2] = onnx.Add(%b, %x) @a
                  %b: f32[2] = onnx.Neg(%a) @b
                  return %b
                }
                """);
        assertEquals("TR001", f.code());
        assertEquals("graph g has a cycle through node a", f.getMessage());
        assertEquals("a", f.nodeName());
    }
}
