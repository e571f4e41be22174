package dev.pare.passes.cleanup;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

/** Expected values were checked against numpy (same semantics as the ONNX reference ops). */
class ConstFoldingTest {

    private final PassTester<ConstFolding.Options> tester = PassTester.of(new ConstFolding());

    @Test
    void foldsTheShapeArithmeticExportersLeaveBehind() {
        tester.assertTransforms("""
                graph g(%x: f32[2,3,4]) {
                  %zero: i64[] = const dense<i64[]: [0]>
                  %minus_one: i64[1] = const dense<i64[1]: [-1]>
                  %s: i64[3] = onnx.Shape(%x) @shape
                  %batch: i64[] = onnx.Gather(%s, %zero) {axis=0} @gather
                  %batch1: i64[1] = onnx.Unsqueeze(%batch) {axes=[0]} @unsqueeze
                  %target: i64[2] = onnx.Concat(%batch1, %minus_one) {axis=0} @concat
                  %y: f32[2,12] = onnx.Reshape(%x, %target) @reshape
                  return %y
                }
                """, """
                graph g(%x: f32[2,3,4]) {
                  %zero: i64[] = const dense<i64[]: [0]>
                  %minus_one: i64[1] = const dense<i64[1]: [-1]>
                  %s: i64[3] = const dense<i64[3]: [2, 3, 4]>
                  %batch: i64[] = const dense<i64[]: [2]>
                  %batch1: i64[1] = const dense<i64[1]: [2]>
                  %target: i64[2] = const dense<i64[2]: [2, -1]>
                  %y: f32[2,12] = onnx.Reshape(%x, %target) @reshape
                  return %y
                }
                """).assertStatistic("nodes_folded", 4);
    }

    @Test
    void leavesNodesWithNonConstantOperandsAlone() {
        tester.assertUnchanged("""
                graph g(%x: f32[N,3], %i: i64[1], %d: i64[1]) {
                  default %d = dense<i64[1]: [1]>
                  %s: i64[2] = onnx.Shape(%x) @dynamic_shape
                  %k: i64[1] = const dense<i64[1]: [1]>
                  %a: i64[1] = onnx.Add(%i, %k) @input_operand
                  %b: i64[1] = onnx.Add(%d, %k) @overridable_default
                  %c: f32[N,3] = onnx.Relu(%x) @not_foldable
                  return %s, %a, %b, %c
                }
                """);
    }

    @Test
    void shapeHonoursStartAndEnd() {
        tester.assertTransforms("""
                graph g(%x: f32[2,3,4,5]) {
                  %a: i64[2] = onnx.Shape(%x) {start=1, end=-1} @middle
                  %b: i64[1] = onnx.Shape(%x) {start=-1} @last
                  %c: i64[0] = onnx.Shape(%x) {start=3, end=1} @empty
                  %n: i64[] = onnx.Size(%x) @size
                  return %a, %b, %c, %n
                }
                """, """
                graph g(%x: f32[2,3,4,5]) {
                  %a: i64[2] = const dense<i64[2]: [3, 4]>
                  %b: i64[1] = const dense<i64[1]: [5]>
                  %c: i64[0] = const dense<i64[0]: []>
                  %n: i64[] = const dense<i64[]: [120]>
                  return %a, %b, %c, %n
                }
                """);
    }

    @Test
    void sliceWithNegativeStepsAndClamping() {
        tester.assertTransforms("""
                graph g() {
                  %v: i64[10] = const dense<i64[10]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]>
                  %m: i32[3,4] = const dense<i32[3,4]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]>
                  %start_last: i64[1] = const dense<i64[1]: [-1]>
                  %end_min: i64[1] = const dense<i64[1]: [-9223372036854775808]>
                  %step_m2: i64[1] = const dense<i64[1]: [-2]>
                  %starts: i64[2] = const dense<i64[2]: [-1, 10]>
                  %ends: i64[2] = const dense<i64[2]: [-4, -5]>
                  %axes: i64[2] = const dense<i64[2]: [0, -1]>
                  %steps: i64[2] = const dense<i64[2]: [-1, -2]>
                  %s2: i64[1] = const dense<i64[1]: [2]>
                  %e_max: i64[1] = const dense<i64[1]: [9223372036854775807]>
                  %a: i64[5] = onnx.Slice(%v, %start_last, %end_min, _, %step_m2) @reverse_every_other
                  %b: i32[3,2] = onnx.Slice(%m, %starts, %ends, %axes, %steps) @two_axes
                  %c: i64[8] = onnx.Slice(%v, %s2, %e_max) @to_the_end
                  %d: i64[0] = onnx.Slice(%v, %e_max, %s2) @empty
                  %e: i32[3,1] = onnx.Slice(%m) {starts=[1], ends=[2], axes=[1]} @opset9_attributes
                  return %a, %b, %c, %d, %e
                }
                """, """
                graph g() {
                  %v: i64[10] = const dense<i64[10]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]>
                  %m: i32[3,4] = const dense<i32[3,4]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]>
                  %start_last: i64[1] = const dense<i64[1]: [-1]>
                  %end_min: i64[1] = const dense<i64[1]: [-9223372036854775808]>
                  %step_m2: i64[1] = const dense<i64[1]: [-2]>
                  %starts: i64[2] = const dense<i64[2]: [-1, 10]>
                  %ends: i64[2] = const dense<i64[2]: [-4, -5]>
                  %axes: i64[2] = const dense<i64[2]: [0, -1]>
                  %steps: i64[2] = const dense<i64[2]: [-1, -2]>
                  %s2: i64[1] = const dense<i64[1]: [2]>
                  %e_max: i64[1] = const dense<i64[1]: [9223372036854775807]>
                  %a: i64[5] = const dense<i64[5]: [9, 7, 5, 3, 1]>
                  %b: i32[3,2] = const dense<i32[3,2]: [11, 9, 7, 5, 3, 1]>
                  %c: i64[8] = const dense<i64[8]: [2, 3, 4, 5, 6, 7, 8, 9]>
                  %d: i64[0] = const dense<i64[0]: []>
                  %e: i32[3,1] = const dense<i32[3,1]: [1, 5, 9]>
                  return %a, %b, %c, %d, %e
                }
                """);
    }

    @Test
    void gatherWithNegativeAndScalarIndices() {
        tester.assertTransforms("""
                graph g() {
                  %d: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %cols: i32[2] = const dense<i32[2]: [-1, 0]>
                  %row: i64[] = const dense<i64[]: [-2]>
                  %a: i64[2,2] = onnx.Gather(%d, %cols) {axis=-1} @columns
                  %b: i64[3] = onnx.Gather(%d, %row) @scalar_index
                  return %a, %b
                }
                """, """
                graph g() {
                  %d: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %cols: i32[2] = const dense<i32[2]: [-1, 0]>
                  %row: i64[] = const dense<i64[]: [-2]>
                  %a: i64[2,2] = const dense<i64[2,2]: [3, 1, 6, 4]>
                  %b: i64[3] = const dense<i64[3]: [1, 2, 3]>
                  return %a, %b
                }
                """);
    }

    @Test
    void gatherOutOfRangeIsReportedNotFolded() {
        tester.assertUnchanged("""
                graph g() {
                  %d: i64[3] = const dense<i64[3]: [1, 2, 3]>
                  %i: i64[1] = const dense<i64[1]: [3]>
                  %a: i64[1] = onnx.Gather(%d, %i) @bad
                  return %a
                }
                """).assertDiagnostics("warning[CF001]: cannot fold onnx.Gather 'bad': index 3 is out of range for axis 0 of size 3");
    }

    @Test
    void reshapeWithZeroAndMinusOne() {
        tester.assertTransforms("""
                graph g() {
                  %d: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %copy_then_infer: i64[2] = const dense<i64[2]: [0, -1]>
                  %flat: i64[1] = const dense<i64[1]: [-1]>
                  %three_by_two: i64[3] = const dense<i64[3]: [3, -1, 1]>
                  %empty: f32[0,3] = const dense<f32[0,3]: []>
                  %zero_dim: i64[2] = const dense<i64[2]: [0, 3]>
                  %a: i64[2,3] = onnx.Reshape(%d, %copy_then_infer) @zero_and_minus_one
                  %b: i64[6] = onnx.Reshape(%d, %flat) @flatten
                  %c: i64[3,2,1] = onnx.Reshape(%d, %three_by_two) @infer_middle
                  %e: f32[0,3] = onnx.Reshape(%empty, %zero_dim) {allowzero=1} @allowzero
                  return %a, %b, %c, %e
                }
                """, """
                graph g() {
                  %d: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %copy_then_infer: i64[2] = const dense<i64[2]: [0, -1]>
                  %flat: i64[1] = const dense<i64[1]: [-1]>
                  %three_by_two: i64[3] = const dense<i64[3]: [3, -1, 1]>
                  %empty: f32[0,3] = const dense<f32[0,3]: []>
                  %zero_dim: i64[2] = const dense<i64[2]: [0, 3]>
                  %a: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %b: i64[6] = const dense<i64[6]: [1, 2, 3, 4, 5, 6]>
                  %c: i64[3,2,1] = const dense<i64[3,2,1]: [1, 2, 3, 4, 5, 6]>
                  %e: f32[0,3] = const dense<f32[0,3]: []>
                  return %a, %b, %c, %e
                }
                """);
    }

    @Test
    void invalidReshapeIsReported() {
        tester.assertUnchanged("""
                graph g() {
                  %d: i64[2,3] = const dense<i64[2,3]: [1, 2, 3, 4, 5, 6]>
                  %s: i64[2] = const dense<i64[2]: [4, -1]>
                  %a = onnx.Reshape(%d, %s) @bad
                  return %a
                }
                """).assertDiagnostics("warning[CF001]: cannot fold onnx.Reshape 'bad': cannot reshape [2, 3] to [4, -1]");
    }

    @Test
    void unsqueezeAndSqueezeInBothOpsetForms() {
        tester.assertTransforms("""
                graph g() {
                  %d: i64[2] = const dense<i64[2]: [7, 8]>
                  %axes: i64[2] = const dense<i64[2]: [0, -1]>
                  %one: i64[1,2,1] = const dense<i64[1,2,1]: [7, 8]>
                  %a: i64[1,2,1] = onnx.Unsqueeze(%d, %axes) @opset13
                  %b: i64[2,1] = onnx.Unsqueeze(%d) {axes=[-1]} @opset11
                  %c: i64[2] = onnx.Squeeze(%one) @all_ones
                  %e: i64[2,1] = onnx.Squeeze(%one) {axes=[0]} @attribute_axes
                  return %a, %b, %c, %e
                }
                """, """
                graph g() {
                  %d: i64[2] = const dense<i64[2]: [7, 8]>
                  %axes: i64[2] = const dense<i64[2]: [0, -1]>
                  %one: i64[1,2,1] = const dense<i64[1,2,1]: [7, 8]>
                  %a: i64[1,2,1] = const dense<i64[1,2,1]: [7, 8]>
                  %b: i64[2,1] = const dense<i64[2,1]: [7, 8]>
                  %c: i64[2] = const dense<i64[2]: [7, 8]>
                  %e: i64[2,1] = const dense<i64[2,1]: [7, 8]>
                  return %a, %b, %c, %e
                }
                """);
    }

    @Test
    void concatAlongInnerAxis() {
        tester.assertTransforms("""
                graph g() {
                  %a: i32[2,1] = const dense<i32[2,1]: [1, 2]>
                  %b: i32[2,2] = const dense<i32[2,2]: [3, 4, 5, 6]>
                  %c: i32[2,3] = onnx.Concat(%a, %b) {axis=-1} @concat
                  return %c
                }
                """, """
                graph g() {
                  %a: i32[2,1] = const dense<i32[2,1]: [1, 2]>
                  %b: i32[2,2] = const dense<i32[2,2]: [3, 4, 5, 6]>
                  %c: i32[2,3] = const dense<i32[2,3]: [1, 3, 4, 2, 5, 6]>
                  return %c
                }
                """);
    }

    @Test
    void integerArithmeticBroadcastsWrapsAndTruncates() {
        tester.assertTransforms("""
                graph g() {
                  %col: i64[2,1] = const dense<i64[2,1]: [1, 2]>
                  %row: i64[3] = const dense<i64[3]: [10, 20, 30]>
                  %n: i64[2] = const dense<i64[2]: [-7, 7]>
                  %two: i64[] = const dense<i64[]: [2]>
                  %big: i32[1] = const dense<i32[1]: [2147483647]>
                  %one: i32[1] = const dense<i32[1]: [1]>
                  %add: i64[2,3] = onnx.Add(%col, %row) @add
                  %sub: i64[2,3] = onnx.Sub(%col, %row) @sub
                  %mul: i64[2] = onnx.Mul(%n, %two) @mul
                  %div: i64[2] = onnx.Div(%n, %two) @div
                  %wrap: i32[1] = onnx.Add(%big, %one) @wrap
                  return %add, %sub, %mul, %div, %wrap
                }
                """, """
                graph g() {
                  %col: i64[2,1] = const dense<i64[2,1]: [1, 2]>
                  %row: i64[3] = const dense<i64[3]: [10, 20, 30]>
                  %n: i64[2] = const dense<i64[2]: [-7, 7]>
                  %two: i64[] = const dense<i64[]: [2]>
                  %big: i32[1] = const dense<i32[1]: [2147483647]>
                  %one: i32[1] = const dense<i32[1]: [1]>
                  %add: i64[2,3] = const dense<i64[2,3]: [11, 21, 31, 12, 22, 32]>
                  %sub: i64[2,3] = const dense<i64[2,3]: [-9, -19, -29, -8, -18, -28]>
                  %mul: i64[2] = const dense<i64[2]: [-14, 14]>
                  %div: i64[2] = const dense<i64[2]: [-3, 3]>
                  %wrap: i32[1] = const dense<i32[1]: [-2147483648]>
                  return %add, %sub, %mul, %div, %wrap
                }
                """);
    }

    @Test
    void divisionByZeroIsReported() {
        tester.assertUnchanged("""
                graph g() {
                  %a: i64[1] = const dense<i64[1]: [1]>
                  %z: i64[1] = const dense<i64[1]: [0]>
                  %d: i64[1] = onnx.Div(%a, %z) @div
                  return %d
                }
                """).assertDiagnostics("warning[CF001]: cannot fold onnx.Div 'div': integer division by zero");
    }

    @Test
    void floatArithmeticIsCorrectlyRoundedOrSwitchedOff() {
        String ir = """
                graph g() {
                  %a: f32[3] = const dense<f32[3]: [0.1, 1, 16777216]>
                  %b: f32[3] = const dense<f32[3]: [0.2, 3, 1]>
                  %sum: f32[3] = onnx.Add(%a, %b) @add
                  %q: f32[3] = onnx.Div(%a, %b) @div
                  return %sum, %q
                }
                """;
        tester.assertTransforms(ir, """
                graph g() {
                  %a: f32[3] = const dense<f32[3]: [0.1, 1, 1.6777216E7]>
                  %b: f32[3] = const dense<f32[3]: [0.2, 3, 1]>
                  %sum: f32[3] = const dense<f32[3]: [0.3, 4, 1.6777216E7]>
                  %q: f32[3] = const dense<f32[3]: [0.5, 0.33333334, 1.6777216E7]>
                  return %sum, %q
                }
                """);
        tester.withOptions(new ConstFolding.Options(65536, false)).assertUnchanged(ir);
    }

    @Test
    void castsExactlyAndLeavesUndefinedCastsAlone() {
        tester.assertTransforms("""
                graph g() {
                  %big: i64[2] = const dense<i64[2]: [4294967301, 3000000000]>
                  %f: f32[3] = const dense<f32[3]: [2.7, -2.7, 0]>
                  %nan: f32[1] = const dense<f32[1]: [NaN]>
                  %h: f32[2] = const dense<f32[2]: [0.1, 70000]>
                  %b: bool[2] = const dense<bool[2]: [true, false]>
                  %narrow: i32[2] = onnx.Cast(%big) {to=6} @wraps
                  %trunc: i64[3] = onnx.Cast(%f) {to=7} @truncates
                  %undefined: i64[1] = onnx.Cast(%nan) {to=7} @nan_to_int
                  %half: f16[2] = onnx.Cast(%h) {to=10} @to_half
                  %flag: bool[3] = onnx.Cast(%f) {to=9} @to_bool
                  %from_bool: f32[2] = onnx.Cast(%b) {to=1} @from_bool
                  %str: str[2] = onnx.Cast(%big) {to=8} @to_string
                  return %narrow, %trunc, %undefined, %half, %flag, %from_bool, %str
                }
                """, """
                graph g() {
                  %big: i64[2] = const dense<i64[2]: [4294967301, 3000000000]>
                  %f: f32[3] = const dense<f32[3]: [2.7, -2.7, 0]>
                  %nan: f32[1] = const dense<f32[1]: [NaN]>
                  %h: f32[2] = const dense<f32[2]: [0.1, 70000]>
                  %b: bool[2] = const dense<bool[2]: [true, false]>
                  %narrow: i32[2] = const dense<i32[2]: [5, -1294967296]>
                  %trunc: i64[3] = const dense<i64[3]: [2, -2, 0]>
                  %half: f16[2] = const dense<f16[2]: [0.099975586, Infinity]>
                  %flag: bool[3] = const dense<bool[3]: [true, true, false]>
                  %from_bool: f32[2] = const dense<f32[2]: [1, 0]>
                  %undefined: i64[1] = onnx.Cast(%nan) {to=7} @nan_to_int
                  %str: str[2] = onnx.Cast(%big) {to=8} @to_string
                  return %narrow, %trunc, %undefined, %half, %flag, %from_bool, %str
                }
                """);
    }

    @Test
    void equalWhereExpandConstantOfShapeRange() {
        tester.assertTransforms("""
                graph g() {
                  %a: i64[3] = const dense<i64[3]: [1, 2, 3]>
                  %b: i64[] = const dense<i64[]: [2]>
                  %shape: i64[2] = const dense<i64[2]: [2, 3]>
                  %other: i64[3] = const dense<i64[3]: [-1, -2, -3]>
                  %start: i32[] = const dense<i32[]: [10]>
                  %limit: i32[] = const dense<i32[]: [1]>
                  %delta: i32[] = const dense<i32[]: [-3]>
                  %eq: bool[3] = onnx.Equal(%a, %b) @equal
                  %w: i64[3] = onnx.Where(%eq, %other, %a) @where
                  %col: i64[2,1] = const dense<i64[2,1]: [5, 6]>
                  %x: i64[2,3] = onnx.Expand(%col, %shape) @expand
                  %fill: i32[2,3] = onnx.ConstantOfShape(%shape) {value=dense<i32[1]: [9]>} @fill
                  %zeros: f32[2] = onnx.ConstantOfShape(%b) @default_value
                  %r: i32[3] = onnx.Range(%start, %limit, %delta) @range
                  return %w, %x, %fill, %zeros, %r
                }
                """, """
                graph g() {
                  %a: i64[3] = const dense<i64[3]: [1, 2, 3]>
                  %b: i64[] = const dense<i64[]: [2]>
                  %shape: i64[2] = const dense<i64[2]: [2, 3]>
                  %other: i64[3] = const dense<i64[3]: [-1, -2, -3]>
                  %start: i32[] = const dense<i32[]: [10]>
                  %limit: i32[] = const dense<i32[]: [1]>
                  %delta: i32[] = const dense<i32[]: [-3]>
                  %col: i64[2,1] = const dense<i64[2,1]: [5, 6]>
                  %eq: bool[3] = const dense<bool[3]: [false, true, false]>
                  %w: i64[3] = const dense<i64[3]: [1, -2, 3]>
                  %x: i64[2,3] = const dense<i64[2,3]: [5, 5, 5, 6, 6, 6]>
                  %fill: i32[2,3] = const dense<i32[2,3]: [9, 9, 9, 9, 9, 9]>
                  %zeros: f32[2] = const dense<f32[2]: [0, 0]>
                  %r: i32[3] = const dense<i32[3]: [10, 7, 4]>
                  return %w, %x, %fill, %zeros, %r
                }
                """);
    }

    @Test
    void constantNodesFeedingFoldableOpsBecomeConstants() {
        tester.assertTransforms("""
                graph g(%x: f32[2,3]) {
                  %axes: i64[1] = onnx.Constant() {value_ints=[0]} @axes_node
                  %shape_node_value: i64[2] = onnx.Constant() {value=dense<i64[2]: [3, 2]>} @shape_node
                  %bias: f32[] = onnx.Constant() {value_float=0.5} @bias_node
                  %u: i64[1,2] = onnx.Unsqueeze(%shape_node_value, %axes) @unsqueeze
                  %y: f32[2,3] = onnx.Add(%x, %bias) @add
                  return %u, %y
                }
                """, """
                graph g(%x: f32[2,3]) {
                  %axes: i64[1] = const dense<i64[1]: [0]>
                  %shape_node_value: i64[2] = const dense<i64[2]: [3, 2]>
                  %bias: f32[] = const dense<f32[]: [0.5]>
                  %u: i64[1,2] = const dense<i64[1,2]: [3, 2]>
                  %y: f32[2,3] = onnx.Add(%x, %bias) @add
                  return %u, %y
                }
                """)
                .assertStatistic("constant_nodes_converted", 3).assertStatistic("nodes_folded", 1);
    }

    @Test
    void foldsInsideSubgraphsWithOuterConstants() {
        tester.assertTransforms("""
                graph g(%c: bool[]) {
                  %k: i64[2] = const dense<i64[2]: [4, 5]>
                  %y: i64[2] = onnx.If(%c) {then_branch=graph t() {
                    %one: i64[] = const dense<i64[]: [1]>
                    %t: i64[2] = onnx.Add(%k, %one) @inner_add
                    return %t
                  }, else_branch=graph e() {
                    return %k
                  }} @if
                  return %y
                }
                """, """
                graph g(%c: bool[]) {
                  %k: i64[2] = const dense<i64[2]: [4, 5]>
                  %y: i64[2] = onnx.If(%c) {then_branch=graph t() {
                    %one: i64[] = const dense<i64[]: [1]>
                    %t: i64[2] = const dense<i64[2]: [5, 6]>
                    return %t
                  }, else_branch=graph e() {
                    return %k
                  }} @if
                  return %y
                }
                """);
    }

    @Test
    void respectsMaxElements() {
        String ir = """
                graph g() {
                  %shape: i64[1] = const dense<i64[1]: [100]>
                  %big: i64[100] = onnx.ConstantOfShape(%shape) {value=dense<i64[1]: [1]>} @fill
                  return %big
                }
                """;
        tester.withOptions(new ConstFolding.Options(64, true)).assertUnchanged(ir).assertStatistic("skipped_too_large", 1);
        tester.assertTransforms(ir, """
                graph g() {
                  %shape: i64[1] = const dense<i64[1]: [100]>
                  %big: i64[100] = const dense<i64[100], 800 B, sha256:20594e5c5653>
                  return %big
                }
                """);
    }

    @Test
    void expressionsThatWouldStoreMoreThanTheyReplaceStayExpressions() {
        // A detector's zero padding, a broadcast bias, a position index and a tiled row: each result
        // is over 1 KiB larger than the constant operands it reads.
        tester.assertUnchanged("""
                graph g(%x: f32[1,16,40,40]) {
                  %shape: i64[4] = const dense<i64[4]: [1, 16, 40, 40]>
                  %zeros: f32[1,16,40,40] = onnx.ConstantOfShape(%shape) {value=dense<f32[1]: [0]>} @pad_zeros
                  %half: f32[1] = const dense<f32[1]: [0.5]>
                  %bias: f32[1,16,40,40] = onnx.Expand(%half, %shape) @bias
                  %start: i64[] = const dense<i64[]: [0]>
                  %limit: i64[] = const dense<i64[]: [1000]>
                  %step: i64[] = const dense<i64[]: [1]>
                  %positions: i64[1000] = onnx.Range(%start, %limit, %step) @positions
                  %row: f32[1,4] = const dense<f32[1,4]: [1, 2, 3, 4]>
                  %reps: i64[2] = const dense<i64[2]: [100, 1]>
                  %tiled: f32[100,4] = onnx.Tile(%row, %reps) @tile
                  %a: f32[1,16,40,40] = onnx.Add(%x, %zeros) @add_zeros
                  %y: f32[1,16,40,40] = onnx.Mul(%a, %bias) @mul_bias
                  return %y, %positions, %tiled
                }
                """).assertStatistic("skipped_growth", 3).assertStatistic("nodes_folded", 0);
    }

    @Test
    void growthLimitIsInclusiveAndConfigurable() {
        // 128 int64 = 1024 bytes from an 8-byte shape: grows by 1016, within 1 KiB; 130 grow by 1032.
        String ir = """
                graph g() {
                  %n128: i64[1] = const dense<i64[1]: [128]>
                  %n130: i64[1] = const dense<i64[1]: [130]>
                  %a: i64[128] = onnx.ConstantOfShape(%n128) {value=dense<i64[1]: [7]>} @within
                  %b: i64[130] = onnx.ConstantOfShape(%n130) {value=dense<i64[1]: [7]>} @over
                  return %a, %b
                }
                """;
        tester.assertTransforms(ir, """
                graph g() {
                  %n128: i64[1] = const dense<i64[1]: [128]>
                  %n130: i64[1] = const dense<i64[1]: [130]>
                  %a: i64[128] = const dense<i64[128], 1024 B, sha256:5794ba02803f>
                  %b: i64[130] = onnx.ConstantOfShape(%n130) {value=dense<i64[1]: [7]>} @over
                  return %a, %b
                }
                """).assertStatistic("skipped_growth", 1);
        tester.withOptions(new ConstFolding.Options(65536, true, 0)).assertUnchanged(ir).assertStatistic("skipped_growth", 2);
        tester.withOptions(new ConstFolding.Options(65536, true, 2048)).run(ir).assertStatistic("nodes_folded", 2);
    }

    @Test
    void aWeightRewrittenInPlaceFoldsButACopyOfASharedWeightDoesNot() {
        // Reshaping a weight only the Reshape reads replaces its bytes (growth 0); slicing a weight
        // that another node still reads would store the slice next to it (as Silero VAD's LSTM
        // weights, sliced per gate in two If branches).
        tester.assertTransforms("""
                graph g(%x: f32[4,32]) {
                  %w: f32[32,32] = const dense<f32[32,32]: splat 0.25>
                  %flat_shape: i64[1] = const dense<i64[1]: [1024]>
                  %flat: f32[1024] = onnx.Reshape(%w, %flat_shape) @flatten
                  %shared: f32[32,32] = const dense<f32[32,32]: splat 0.5>
                  %from: i64[1] = const dense<i64[1]: [0]>
                  %to: i64[1] = const dense<i64[1]: [16]>
                  %gate: f32[16,32] = onnx.Slice(%shared, %from, %to) @gate
                  %m: f32[4,32] = onnx.MatMul(%x, %shared) @matmul
                  return %flat, %gate, %m
                }
                """, """
                graph g(%x: f32[4,32]) {
                  %w: f32[32,32] = const dense<f32[32,32], 4096 B, sha256:36a14a89a4d0>
                  %flat_shape: i64[1] = const dense<i64[1]: [1024]>
                  %shared: f32[32,32] = const dense<f32[32,32], 4096 B, sha256:aaaf43973256>
                  %from: i64[1] = const dense<i64[1]: [0]>
                  %to: i64[1] = const dense<i64[1]: [16]>
                  %flat: f32[1024] = const dense<f32[1024], 4096 B, sha256:486829f05dab>
                  %gate: f32[16,32] = onnx.Slice(%shared, %from, %to) @gate
                  %m: f32[4,32] = onnx.MatMul(%x, %shared) @matmul
                  return %flat, %gate, %m
                }
                """).assertStatistic("nodes_folded", 1).assertStatistic("skipped_growth", 1);
    }

    @Test
    void leavesOtherDomainsAndUnsupportedTypesAlone() {
        tester.assertUnchanged("""
                graph g() {
                  %a: i64[1] = const dense<i64[1]: [1]>
                  %s: str[1] = const strings<str[1]: ["x"]>
                  %i4: i4[2] = const dense<i4[2]: [1, 2]>
                  %x: i64[1] = onnx.com.microsoft.Add(%a, %a) @other_domain
                  %y: str[1] = onnx.Identity(%s) @string_identity
                  %z: i4[2] = onnx.Identity(%i4) @sub_byte
                  %w: i64[1] = custom.Add(%a, %a) @other_dialect
                  return %x, %y, %z, %w
                }
                """);
    }
}
