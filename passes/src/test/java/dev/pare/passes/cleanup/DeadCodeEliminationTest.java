package dev.pare.passes.cleanup;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

class DeadCodeEliminationTest {

    private final PassTester<DeadCodeElimination.Options> tester = PassTester.of(new DeadCodeElimination());

    @Test
    void removesUnusedChainsAndTheirConstants() {
        tester.assertTransforms("""
                graph g(%x: f32[2], %unused_input: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %only_dead: f32[2] = const dense<f32[2]: [3, 4]>
                  %a: f32[2] = onnx.Add(%x, %only_dead) @dead1
                  %b: f32[2] = onnx.Relu(%a) @dead2
                  %y: f32[2] = onnx.Mul(%x, %k) @live
                  return %y
                }
                """, """
                graph g(%x: f32[2], %unused_input: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %y: f32[2] = onnx.Mul(%x, %k) @live
                  return %y
                }
                """).assertStatistic("nodes_removed", 2).assertStatistic("constants_removed", 1);
    }

    @Test
    void keepsEverythingThatIsRead() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %a: f32[2] = onnx.Add(%x, %k) @add
                  %b: f32[2] = onnx.Relu(%a) @relu
                  return %b, %a, %k
                }
                """);
    }

    @Test
    void removesANodeWhenOnlySomeResultsAreAbsent() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %y: f32[2], _ = onnx.Dropout(%x) @drop
                  return %x
                }
                """, """
                graph g(%x: f32[2]) {
                  return %x
                }
                """);
    }

    @Test
    void keepsMultiResultNodesWithOneResultUsed() {
        tester.assertUnchanged("""
                graph g(%x: f32[4]) {
                  %a: f32[2], %b: f32[2] = onnx.Split(%x) {axis=0} @split
                  return %b
                }
                """);
    }

    @Test
    void keepsOpsOfUnknownDialects() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %y = custom.Log(%x) @log
                  return %x
                }
                """);
    }

    @Test
    void outerValuesReadInsideSubgraphsStay() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %returned: f32[2] = const dense<f32[2]: [5, 6]>
                  %captured: f32[2] = onnx.Neg(%x) @neg
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %dead_inside: f32[2] = onnx.Relu(%x) @inner_dead
                    %t: f32[2] = onnx.Add(%captured, %k) @inner_add
                    return %t
                  }, else_branch=graph e() {
                    return %returned
                  }} @if
                  return %y
                }
                """, """
                graph g(%c: bool[], %x: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %returned: f32[2] = const dense<f32[2]: [5, 6]>
                  %captured: f32[2] = onnx.Neg(%x) @neg
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Add(%captured, %k) @inner_add
                    return %t
                  }, else_branch=graph e() {
                    return %returned
                  }} @if
                  return %y
                }
                """).assertStatistic("nodes_removed", 1);
    }

    @Test
    void removingANodeWithSubgraphsReleasesWhatTheyCaptured() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: f32[2]) {
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %r: f32[2] = const dense<f32[2]: [3, 4]>
                  %captured: f32[2] = onnx.Neg(%x) @neg
                  %unused: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Add(%captured, %k) @inner_add
                    return %t
                  }, else_branch=graph e() {
                    return %r
                  }} @if
                  return %x
                }
                """, """
                graph g(%c: bool[], %x: f32[2]) {
                  return %x
                }
                """).assertStatistic("nodes_removed", 2).assertStatistic("constants_removed", 2);
    }

    @Test
    void keepsSubgraphInputsAndUnusedConstantsOfSubgraphsGo() {
        tester.assertTransforms("""
                graph g(%n: i64[], %x: f32[2]) {
                  %y: f32[2] = onnx.Loop(%n, _, %x) {body=graph body(%i: i64[], %cond: bool[], %carried: f32[2]) {
                    %unused_k: f32[1] = const dense<f32[1]: [0]>
                    %next: f32[2] = onnx.Neg(%carried) @step
                    return %cond, %next
                  }} @loop
                  return %y
                }
                """, """
                graph g(%n: i64[], %x: f32[2]) {
                  %y: f32[2] = onnx.Loop(%n, _, %x) {body=graph body(%i: i64[], %cond: bool[], %carried: f32[2]) {
                    %next: f32[2] = onnx.Neg(%carried) @step
                    return %cond, %next
                  }} @loop
                  return %y
                }
                """).assertStatistic("constants_removed", 1);
    }

    @Test
    void respectsSkippedNodes() {
        PassTester.of(new DeadCodeElimination())
                .withScopedOptions(new dev.pare.spi.ScopedOptions<>() {
                    @Override public DeadCodeElimination.Options base() { return new DeadCodeElimination.Options(); }

                    @Override public java.util.Optional<DeadCodeElimination.Options> forNode(dev.pare.ir.Node node) {
                        return node.name().equals("keep") ? java.util.Optional.empty() : java.util.Optional.of(base());
                    }
                })
                .assertTransforms("""
                        graph g(%x: f32[2]) {
                          %a: f32[2] = onnx.Neg(%x) @keep
                          %b: f32[2] = onnx.Neg(%x) @drop
                          return %x
                        }
                        """, """
                        graph g(%x: f32[2]) {
                          %a: f32[2] = onnx.Neg(%x) @keep
                          return %x
                        }
                        """);
    }
}
