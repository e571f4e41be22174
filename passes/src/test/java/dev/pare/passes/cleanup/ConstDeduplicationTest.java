package dev.pare.passes.cleanup;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

class ConstDeduplicationTest {

    private final PassTester<ConstDeduplication.Options> tester = PassTester.of(new ConstDeduplication());

    @Test
    void mergesEqualConstantsIntoTheFirst() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %a: f32[2] = const dense<f32[2]: [1, 2]>
                  %b: f32[2] = const dense<f32[2]: [1, 2]>
                  %c: f32[2] = const dense<f32[2]: [1, 2]>
                  %y: f32[2] = onnx.Add(%x, %b) @add
                  %z: f32[2] = onnx.Mul(%y, %c) @mul
                  return %z
                }
                """, """
                graph g(%x: f32[2]) {
                  %a: f32[2] = const dense<f32[2]: [1, 2]>
                  %y: f32[2] = onnx.Add(%x, %a) @add
                  %z: f32[2] = onnx.Mul(%y, %a) @mul
                  return %z
                }
                """).assertStatistic("constants_merged", 2).assertStatistic("bytes_saved", 16);
    }

    @Test
    void sameBytesWithDifferentTypeOrShapeStayApart() {
        tester.assertUnchanged("""
                graph g() {
                  %a: f32[2] = const dense<f32[2]: [0, 0]>
                  %b: i32[2] = const dense<i32[2]: [0, 0]>
                  %c: f32[2,1] = const dense<f32[2,1]: [0, 0]>
                  %d: f32[1,2] = const dense<f32[1,2]: [0, 0]>
                  %e: f32[2] = const dense<f32[2]: [0, -0]>
                  return %a, %b, %c, %d, %e
                }
                """);
    }

    @Test
    void aDuplicateThatIsAGraphOutputKeepsItsName() {
        tester.assertTransforms("""
                graph g(%x: i64[1]) {
                  %a: i64[1] = const dense<i64[1]: [3]>
                  %out: i64[1] = const dense<i64[1]: [3]>
                  %later: i64[1] = const dense<i64[1]: [3]>
                  %y: i64[1] = onnx.Add(%x, %later) @add
                  return %out, %y
                }
                """, """
                graph g(%x: i64[1]) {
                  %a: i64[1] = const dense<i64[1]: [3]>
                  %out: i64[1] = const dense<i64[1]: [3]>
                  %y: i64[1] = onnx.Add(%x, %a) @add
                  return %out, %y
                }
                """);
    }

    @Test
    void inputDefaultsAreNeverMerged() {
        tester.assertUnchanged("""
                graph g(%x: f32[2], %overridable: f32[2]) {
                  default %overridable = dense<f32[2]: [1, 2]>
                  %k: f32[2] = const dense<f32[2]: [1, 2]>
                  %y: f32[2] = onnx.Add(%overridable, %k) @add
                  return %y
                }
                """);
    }

    @Test
    void mergesConstantNodesAndFixesNestedReferences() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: i64[2]) {
                  %a: i64[2] = onnx.Constant() {value=dense<i64[2]: [1, 2]>} @c1
                  %b: i64[2] = onnx.Constant() {value=dense<i64[2]: [1, 2]>} @c2
                  %s: i64[] = onnx.Constant() {value_int=5} @c3
                  %t: i64[] = onnx.Constant() {value_int=5} @c4
                  %u: i64[] = onnx.Constant() {value_int=6} @c5
                  %y: i64[2] = onnx.If(%c) {then_branch=graph t() {
                    %r: i64[2] = onnx.Add(%b, %t) @inner
                    return %r
                  }, else_branch=graph e() {
                    return %b
                  }} @if
                  %z: i64[2] = onnx.Mul(%y, %u) @mul
                  %w: i64[2] = onnx.Add(%z, %a) @add
                  return %w, %s
                }
                """, """
                graph g(%c: bool[], %x: i64[2]) {
                  %a: i64[2] = onnx.Constant() {value=dense<i64[2]: [1, 2]>} @c1
                  %s: i64[] = onnx.Constant() {value_int=5} @c3
                  %u: i64[] = onnx.Constant() {value_int=6} @c5
                  %y: i64[2] = onnx.If(%c) {then_branch=graph t() {
                    %r: i64[2] = onnx.Add(%a, %s) @inner
                    return %r
                  }, else_branch=graph e() {
                    return %a
                  }} @if
                  %z: i64[2] = onnx.Mul(%y, %u) @mul
                  %w: i64[2] = onnx.Add(%z, %a) @add
                  return %w, %s
                }
                """).assertStatistic("constant_nodes_merged", 2);
    }

    @Test
    void dedupesInsideSubgraphs() {
        tester.assertTransforms("""
                graph g(%c: bool[]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %k1: f32[2] = const dense<f32[2]: [7, 8]>
                    %k2: f32[2] = const dense<f32[2]: [7, 8]>
                    %r: f32[2] = onnx.Add(%k1, %k2) @inner
                    return %r
                  }, else_branch=graph e() {
                    %k3: f32[2] = const dense<f32[2]: [7, 8]>
                    return %k3
                  }} @if
                  return %y
                }
                """, """
                graph g(%c: bool[]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %k1: f32[2] = const dense<f32[2]: [7, 8]>
                    %r: f32[2] = onnx.Add(%k1, %k1) @inner
                    return %r
                  }, else_branch=graph e() {
                    %k3: f32[2] = const dense<f32[2]: [7, 8]>
                    return %k3
                  }} @if
                  return %y
                }
                """);
    }

    @Test
    void minBytesLeavesSmallConstantsAlone() {
        String ir = """
                graph g(%x: f32[4]) {
                  %small1: f32[1] = const dense<f32[1]: [1]>
                  %small2: f32[1] = const dense<f32[1]: [1]>
                  %big1: f32[4] = const dense<f32[4]: [1, 2, 3, 4]>
                  %big2: f32[4] = const dense<f32[4]: [1, 2, 3, 4]>
                  %a: f32[4] = onnx.Add(%x, %small1) @a
                  %b: f32[4] = onnx.Add(%a, %small2) @b
                  %c: f32[4] = onnx.Add(%b, %big1) @c
                  %d: f32[4] = onnx.Add(%c, %big2) @d
                  return %d
                }
                """;
        tester.withOptions(new ConstDeduplication.Options(16)).assertTransforms(ir, """
                graph g(%x: f32[4]) {
                  %small1: f32[1] = const dense<f32[1]: [1]>
                  %small2: f32[1] = const dense<f32[1]: [1]>
                  %big1: f32[4] = const dense<f32[4]: [1, 2, 3, 4]>
                  %a: f32[4] = onnx.Add(%x, %small1) @a
                  %b: f32[4] = onnx.Add(%a, %small2) @b
                  %c: f32[4] = onnx.Add(%b, %big1) @c
                  %d: f32[4] = onnx.Add(%c, %big1) @d
                  return %d
                }
                """);
    }

    @Test
    void mergesLargeConstantsByContent() {
        tester.assertTransforms("""
                graph g(%x: f32[64]) {
                  %a: f32[64] = const dense<f32[64]: splat 0.25>
                  %b: f32[64] = const dense<f32[64]: splat 0.25>
                  %c: f32[64] = const dense<f32[64]: splat 0.5>
                  %y: f32[64] = onnx.Add(%a, %b) @add
                  %z: f32[64] = onnx.Add(%y, %c) @add2
                  return %z
                }
                """, """
                graph g(%x: f32[64]) {
                  %a: f32[64] = const dense<f32[64], 256 B, sha256:8125f61e2582>
                  %c: f32[64] = const dense<f32[64], 256 B, sha256:8df77a999d60>
                  %y: f32[64] = onnx.Add(%a, %a) @add
                  %z: f32[64] = onnx.Add(%y, %c) @add2
                  return %z
                }
                """);
    }

    @Test
    void hugeSparseConstantsAreComparedWithoutExpandingThem() {
        // 2^40 elements each: equal non-zeros (in another order, one explicit zero) merge; another value stays.
        tester.assertTransforms("""
                graph g(%x: f32[1048576,1048576]) {
                  %a: f32[1048576,1048576] = const sparse<f32[1048576,1048576]: values=dense<f32[2]: [1, 2]>, indices=dense<i64[2]: [5, 1099511627775]>>
                  %b: f32[1048576,1048576] = const sparse<f32[1048576,1048576]: values=dense<f32[3]: [2, 0, 1]>, indices=dense<i64[3]: [1099511627775, 9, 5]>>
                  %c: f32[1048576,1048576] = const sparse<f32[1048576,1048576]: values=dense<f32[2]: [1, 3]>, indices=dense<i64[2]: [5, 1099511627775]>>
                  %y: f32[1048576,1048576] = onnx.Add(%x, %b) @add
                  %z: f32[1048576,1048576] = onnx.Mul(%y, %c) @mul
                  return %a, %z
                }
                """, """
                graph g(%x: f32[1048576,1048576]) {
                  %a: f32[1048576,1048576] = const sparse<f32[1048576,1048576]: values=dense<f32[2]: [1, 2]>, indices=dense<i64[2]: [5, 1099511627775]>>
                  %c: f32[1048576,1048576] = const sparse<f32[1048576,1048576]: values=dense<f32[2]: [1, 3]>, indices=dense<i64[2]: [5, 1099511627775]>>
                  %y: f32[1048576,1048576] = onnx.Add(%x, %a) @add
                  %z: f32[1048576,1048576] = onnx.Mul(%y, %c) @mul
                  return %a, %z
                }
                """).assertStatistic("constants_merged", 1);
    }
}
