package dev.pare.passes.mil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.spi.PassFailure;
import dev.pare.testkit.PassRun;
import dev.pare.testkit.PassTester;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A refusal says what the user can do about it: give --input-shape for the inputs whose sizes an
 * operand is computed from, or (when it comes from an input's values) which input that is. And
 * the shape arithmetic that const_folding does not fold (Mod, Max, Transpose, ...) folds here once
 * the shapes are given.
 */
class ConvertToMilHintsTest {

    private static PassTester<ConvertToMil.Options> tester(List<String> shapes) {
        return PassTester.of(new ConvertToMil()).withOptions(new ConvertToMil.Options(shapes, Optional.of(13L), 1 << 20));
    }

    /** Resize of img to twice x's spatial size: the sizes are shape arithmetic on x. */
    private static final String RESIZE_TO_COMPUTED_SIZE = """
            graph g(%x: f32[1,3,H,W], %img: f32[1,3,4,4]) {
              %s: i64[4] = onnx.Shape(%x) @shape
              %two: i64[] = const dense<i64[]: [2]>
              %k: i64[4] = const dense<i64[4]: [1, 1, 2, 2]>
              %m: i64[4] = onnx.Mul(%s, %k) @twice
              %half: i64[4] = onnx.Max(%m, %k) @at_least
              %roi: f32[0] = const dense<f32[0]: []>
              %none: f32[0] = const dense<f32[0]: []>
              %up: f32[1,3,?,?] = onnx.Resize(%img, %roi, %none, %half) {mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"} @up
              return %up
            }
            """;

    @Test
    void sizesComputedFromSymbolicDimensionsAskForInputShape() {
        PassFailure f = tester(List.of()).assertFails(RESIZE_TO_COMPUTED_SIZE);
        assertEquals("MIL002", f.code());
        assertEquals("convert_to_mil: Resize 'up': sizes must be a constant; give --input-shape x=1,3,H,W (the sizes you run "
                + "the model with) so that it can be computed when converting", f.getMessage());
    }

    @Test
    void withTheShapeGivenMaxFoldsAndTheResizeLowers() {
        PassRun run = tester(List.of("x:1,3,4,4")).run(RESIZE_TO_COMPUTED_SIZE);
        assertEquals("f32[1,3,8,8]", run.graph().outputs().get(0).type().toString());
        assertEquals(List.of("mil.upsample_nearest_neighbor"), run.graph().nodes().stream().map(n -> n.op()).toList());
    }

    @Test
    void sizesComputedFromAnInputsValuesNameThatInput() {
        PassFailure f = tester(List.of()).assertFails("""
                graph g(%img: f32[1,3,4,4], %size: i64[4]) {
                  %roi: f32[0] = const dense<f32[0]: []>
                  %none: f32[0] = const dense<f32[0]: []>
                  %up: f32[1,3,?,?] = onnx.Resize(%img, %roi, %none, %size) {mode="nearest"} @up
                  return %up
                }
                """);
        assertEquals("convert_to_mil: Resize 'up': sizes must be a constant; it is computed from the values of input 'size', "
                + "which are known only when the model runs", f.getMessage());
    }

    @Test
    void padsFromModAndTransposeFoldWithStaticShapes() {
        PassRun run = tester(List.of("x:1,2,5,7")).run("""
                graph g(%x: f32[1,2,H,W]) {
                  %s: i64[4] = onnx.Shape(%x) @shape
                  %four: i64[] = const dense<i64[]: [4]>
                  %rem: i64[4] = onnx.Mod(%s, %four) @rem
                  %need: i64[4] = onnx.Sub(%four, %rem) @need
                  %mod: i64[4] = onnx.Mod(%need, %four) @mod
                  %zeros: i64[4] = const dense<i64[4]: [0, 0, 0, 0]>
                  %both: i64[8] = onnx.Concat(%zeros, %mod) {axis=0} @both
                  %grid: i64[2] = const dense<i64[2]: [2, 4]>
                  %g2: i64[2,4] = onnx.Reshape(%both, %grid) @g2
                  %t: i64[4,2] = onnx.Transpose(%g2) {perm=[1, 0]} @t
                  %back: i64[2,4] = onnx.Transpose(%t) {perm=[1, 0]} @back
                  %flat: i64[1] = const dense<i64[1]: [-1]>
                  %pads: i64[8] = onnx.Reshape(%back, %flat) @pads
                  %y: f32[1,2,?,?] = onnx.Pad(%x, %pads) {mode="constant"} @pad
                  return %y
                }
                """);
        assertEquals(List.of("mil.pad"), run.graph().nodes().stream().map(n -> n.op()).toList());
        assertEquals("f32[4,4,8,8]", run.graph().outputs().get(0).type().toString());
    }

    @Test
    void padsComputedWithoutShapesBecomeARuntimePadOperand() {
        PassRun run = tester(List.of()).run("""
                graph g(%x: f32[1,2,H,W], %p: i64[8]) {
                  %y: f32[1,2,?,?] = onnx.Pad(%x, %p) {mode="reflect"} @pad
                  return %y
                }
                """);
        assertEquals(List.of("mil.reshape", "mil.transpose", "mil.reshape", "mil.pad"),
                run.graph().nodes().stream().map(n -> n.op()).toList());
        // MIL pads the last len(pad)/2 axes, by amounts known only when the model runs
        assertEquals("f32[?,?,?,?]", run.graph().outputs().get(0).type().toString());
    }

    @Test
    void aFixedInputValueDecidesAnIfOnIt() {
        PassRun run = PassTester.of(new ConvertToMil()).withOptions(new ConvertToMil.Options(List.of(), Optional.of(13L), 1 << 20, List.of("sr:16000")))
                .run("""
                graph g(%x: f32[4], %sr: i64[]) {
                  %k: i64[] = const dense<i64[]: [16000]>
                  %c: bool[] = onnx.Equal(%sr, %k) @is_16k
                  %y: f32[?] = onnx.If(%c) {then_branch=graph then() {
                    %a: f32[4] = onnx.Relu(%x) @inner_relu
                    return %a
                  }, else_branch=graph else() {
                    %two: i64[1] = const dense<i64[1]: [2]>
                    %b: f32[2] = onnx.Slice(%x, %two, %two) @inner_slice
                    return %b
                  }} @branch
                  return %y
                }
                """);
        assertEquals(List.of("mil.relu"), run.graph().nodes().stream().map(n -> n.op()).toList());
        assertEquals(List.of("x", "sr"), run.graph().inputs().stream().map(v -> v.name()).toList(), "the inputs stay");
    }

    @Test
    void aFailureInABranchChosenByAnInputsValueSuggestsFixingThatValue() {
        PassFailure f = tester(List.of()).assertFails("""
                graph g(%x: f32[1,3,H,W], %sr: i64[]) {
                  %k: i64[] = const dense<i64[]: [16000]>
                  %c: bool[] = onnx.Equal(%sr, %k) @is_16k
                  %y: f32[?] = onnx.If(%c) {then_branch=graph then() {
                    %a: f32[1,3,H,W] = onnx.Relu(%x) @inner_relu
                    return %a
                  }, else_branch=graph else() {
                    %s: i64[4] = onnx.Shape(%x) @inner_shape
                    %roi: f32[0] = const dense<f32[0]: []>
                    %none: f32[0] = const dense<f32[0]: []>
                    %b: f32[1,3,?,?] = onnx.Resize(%x, %roi, %none, %s) {mode="nearest"} @inner_resize
                    return %b
                  }} @branch
                  return %y
                }
                """);
        assertEquals("convert_to_mil: Resize 'inner_resize' (in subgraph 'else'): sizes must be a constant; give --input-shape "
                + "x=1,3,H,W (the sizes you run the model with) so that it can be computed when converting; it is in a branch of "
                + "If 'branch', whose condition depends on the values of input 'sr': if the model is used with one value, give it "
                + "(convert_to_mil option input_values=[\"sr:...\"]) so that only the branch taken is converted", f.getMessage());
    }

    @Test
    void anUnknownInputNameListsTheInputs() {
        PassFailure f = tester(List.of("image:1,3,4,4")).assertFails("""
                graph g(%x: f32[1,3,H,W]) {
                  %y: f32[1,3,H,W] = onnx.Relu(%x) @relu
                  return %y
                }
                """);
        assertEquals("MIL003", f.code());
        assertEquals("convert_to_mil: the graph has no input 'image'; its inputs are x f32[1,3,H,W]", f.getMessage());
    }
}
