package dev.pare.examples.arith;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

/** {@code simplify_arithmetic} on IR text, with the testkit the built-in passes use. */
class SimplifyArithmeticTest {

    private final PassTester<SimplifyArithmeticOptions> tester = PassTester.of(new SimplifyArithmeticProvider());

    @Test
    void goldenFiles() {
        // golden/scaled_block.before.ir -> golden/scaled_block.after.ir; the dead constants are
        // left for dead_code_elimination (run CLEANUP after this pass)
        tester.assertGolden("golden/scaled_block").assertStatistic("removed_mul", 1).assertStatistic("removed_sub", 1);
    }

    @Test
    void mulByOneOnEitherSide() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %one: f32[] = const dense<f32[]: [1]>
                  %a: f32[2] = onnx.Mul(%x, %one) @a
                  %b: f32[2] = onnx.Mul(%one, %a) @b
                  %y: f32[2] = onnx.Neg(%b) @neg
                  return %y
                }
                """, """
                graph g(%x: f32[2]) {
                  %one: f32[] = const dense<f32[]: [1]>
                  %y: f32[2] = onnx.Neg(%x) @neg
                  return %y
                }
                """).assertStatistic("removed_mul", 2);
    }

    @Test
    void divByOneOfIntegers() {
        tester.assertTransforms("""
                graph g(%x: i64[3]) {
                  %one: i64[1] = const dense<i64[1]: [1]>
                  %q: i64[3] = onnx.Div(%x, %one) @div
                  %y: i64[3] = onnx.Neg(%q) @neg
                  return %y
                }
                """, """
                graph g(%x: i64[3]) {
                  %one: i64[1] = const dense<i64[1]: [1]>
                  %y: i64[3] = onnx.Neg(%x) @neg
                  return %y
                }
                """).assertStatistic("removed_div", 1);
    }

    @Test
    void addOfPositiveZeroIsKeptBecauseMinusZeroPlusZeroIsPlusZero() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %zero: f32[] = const dense<f32[]: [0]>
                  %s: f32[2] = onnx.Add(%x, %zero) @add
                  %y: f32[2] = onnx.Neg(%s) @neg
                  return %y
                }
                """);
    }

    @Test
    void addOfNegativeZeroKeepsEveryBit() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %zero: f32[] = const dense<f32[]: [-0]>
                  %s: f32[2] = onnx.Add(%x, %zero) @add
                  %y: f32[2] = onnx.Neg(%s) @neg
                  return %y
                }
                """, """
                graph g(%x: f32[2]) {
                  %zero: f32[] = const dense<f32[]: [-0]>
                  %y: f32[2] = onnx.Neg(%x) @neg
                  return %y
                }
                """);
    }

    @Test
    void aConstantThatBroadcastsToALargerShapeIsKept() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %one: f32[1,1] = const dense<f32[1,1]: [1]>
                  %m: f32[1,2] = onnx.Mul(%x, %one) @mul
                  %y: f32[1,2] = onnx.Neg(%m) @neg
                  return %y
                }
                """);
    }

    @Test
    void aGraphOutputKeepsItsName() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %one: f32[] = const dense<f32[]: [1]>
                  %y: f32[2] = onnx.Mul(%x, %one) @mul
                  return %y
                }
                """);
    }

    @Test
    void optionsSwitchRewritesOff() {
        String ir = """
                graph g(%x: f32[2]) {
                  %one: f32[] = const dense<f32[]: [1]>
                  %m: f32[2] = onnx.Mul(%x, %one) @mul
                  %y: f32[2] = onnx.Neg(%m) @neg
                  return %y
                }
                """;
        tester.withOptions(new SimplifyArithmeticOptions(false, true, true, true)).assertUnchanged(ir);
        assertEquals(1, tester.run(ir).statistic("removed_mul"));
    }
}
