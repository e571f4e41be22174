package dev.pare.passes.cleanup;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

class IdentityEliminationTest {

    private final PassTester<IdentityElimination.Options> tester = PassTester.of(new IdentityElimination());

    @Test
    void readersUseTheInputDirectly() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %i: f32[2] = onnx.Identity(%x) @id
                  %y: f32[2] = onnx.Relu(%i) @relu
                  %z: f32[2] = onnx.Add(%i, %i) @add
                  return %y, %z
                }
                """, """
                graph g(%x: f32[2]) {
                  %y: f32[2] = onnx.Relu(%x) @relu
                  %z: f32[2] = onnx.Add(%x, %x) @add
                  return %y, %z
                }
                """).assertStatistic("nodes_removed", 1);
    }

    @Test
    void aGraphOutputKeepsItsNameByRenamingTheProducer() {
        tester.assertTransforms("""
                graph g(%x: f32[2]) {
                  %r: f32[2] = onnx.Relu(%x) @relu
                  %out: f32[2] = onnx.Identity(%r) @id
                  %other: f32[2] = onnx.Neg(%r) @neg
                  return %out, %other
                }
                """, """
                graph g(%x: f32[2]) {
                  %out: f32[2] = onnx.Relu(%x) @relu
                  %other: f32[2] = onnx.Neg(%out) @neg
                  return %out, %other
                }
                """);
    }

    @Test
    void aConstantCanTakeOverTheOutputName() {
        tester.assertTransforms("""
                graph g() {
                  %k: i64[1] = const dense<i64[1]: [4]>
                  %out: i64[1] = onnx.Identity(%k) @id
                  return %out
                }
                """, """
                graph g() {
                  %out: i64[1] = const dense<i64[1]: [4]>
                  return %out
                }
                """);
    }

    @Test
    void keepsIdentitiesBetweenNamesThatMustStay() {
        tester.assertUnchanged("""
                graph g(%x: f32[2]) {
                  %out: f32[2] = onnx.Identity(%x) @from_input
                  %r: f32[2] = onnx.Relu(%x) @relu
                  %copy: f32[2] = onnx.Identity(%r) @from_output
                  return %out, %r, %copy
                }
                """);
    }

    @Test
    void subgraphOutputsOfOuterValuesKeepTheirIdentity() {
        tester.assertTransforms("""
                graph g(%c: bool[], %x: f32[2]) {
                  %i: f32[2] = onnx.Identity(%x) @outer_id
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Identity(%i) @keeps_branch_output
                    return %t
                  }, else_branch=graph e() {
                    %n: f32[2] = onnx.Neg(%i) @neg
                    %e: f32[2] = onnx.Identity(%n) @renames_neg
                    return %e
                  }} @if
                  return %y
                }
                """, """
                graph g(%c: bool[], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph t() {
                    %t: f32[2] = onnx.Identity(%x) @keeps_branch_output
                    return %t
                  }, else_branch=graph e() {
                    %e: f32[2] = onnx.Neg(%x) @neg
                    return %e
                  }} @if
                  return %y
                }
                """).assertStatistic("nodes_removed", 2);
    }

    @Test
    void removesInferenceDropoutAndNoOpCasts() {
        tester.assertTransforms("""
                graph g(%x: f32[2], %i: i64[2]) {
                  %false: bool[] = const dense<bool[]: [false]>
                  %ratio: f32[] = const dense<f32[]: [0.1]>
                  %d1: f32[2] = onnx.Dropout(%x) @plain
                  %d2: f32[2], _ = onnx.Dropout(%d1, %ratio, %false) @not_training
                  %d3: f32[2], %unused_mask: bool[2] = onnx.Dropout(%d2) @unused_mask
                  %c1: i64[2] = onnx.Cast(%i) {to=7} @output_of_graph_input
                  %c2: f32[2] = onnx.Cast(%i) {to=1} @real_cast
                  %c3: f32[2] = onnx.Cast(%c2) {to=1} @same_type
                  %y: f32[2] = onnx.Add(%d3, %c3) @add
                  return %y, %c1
                }
                """, """
                graph g(%x: f32[2], %i: i64[2]) {
                  %false: bool[] = const dense<bool[]: [false]>
                  %ratio: f32[] = const dense<f32[]: [0.1]>
                  %c1: i64[2] = onnx.Cast(%i) {to=7} @output_of_graph_input
                  %c2: f32[2] = onnx.Cast(%i) {to=1} @real_cast
                  %y: f32[2] = onnx.Add(%x, %c2) @add
                  return %y, %c1
                }
                """).assertStatistic("nodes_removed", 4);
    }

    @Test
    void keepsDropoutThatTrainsOrWhoseMaskIsRead() {
        tester.assertUnchanged("""
                graph g(%x: f32[2], %training: bool[]) {
                  %true: bool[] = const dense<bool[]: [true]>
                  %a: f32[2] = onnx.Dropout(%x, _, %training) @runtime_mode
                  %b: f32[2] = onnx.Dropout(%a, _, %true) @training
                  %c: f32[2], %mask: bool[2] = onnx.Dropout(%b) @mask_read
                  %d: f32[2] = onnx.Dropout(%c) {is_test=0} @old_opset_training
                  %e: f32[2] = onnx.Cast(%mask) {to=1} @cast
                  return %d, %e
                }
                """);
    }

    @Test
    void castOfUnknownTypeStays() {
        tester.assertUnchanged("""
                graph g(%x) {
                  %c: f32[2] = onnx.Cast(%x) {to=1} @cast
                  return %c
                }
                """);
    }

    @Test
    void optionsSwitchOffDropoutAndCast() {
        tester.withOptions(new IdentityElimination.Options(false, false)).assertUnchanged("""
                graph g(%x: f32[2]) {
                  %a: f32[2] = onnx.Dropout(%x) @drop
                  %b: f32[2] = onnx.Cast(%a) {to=1} @cast
                  return %b
                }
                """);
    }
}
