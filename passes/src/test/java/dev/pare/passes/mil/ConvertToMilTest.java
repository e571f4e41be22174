package dev.pare.passes.mil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.Value;
import dev.pare.spi.PassFailure;
import dev.pare.testkit.PassRun;
import dev.pare.testkit.PassTester;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Single lowerings, checked by the ops, parameter values and types they produce. */
class ConvertToMilTest {

    private static PassTester<ConvertToMil.Options> tester(long opset) {
        return PassTester.of(new ConvertToMil()).withOptions(new ConvertToMil.Options(List.of(), Optional.of(opset), 1 << 20));
    }

    /** The pass without onnx_opset: ops whose meaning changed between opsets are refused where it matters. */
    private static PassTester<ConvertToMil.Options> testerWithoutOpset() {
        return PassTester.of(new ConvertToMil()).withOptions(new ConvertToMil.Options(List.of(), Optional.empty(), 1 << 20));
    }

    private static Node node(PassRun run, String op) {
        return run.graph().nodes().stream().filter(n -> n.op().equals(op)).findFirst().orElseThrow(() -> new AssertionError("no " + op + " in\n" + run.after()));
    }

    private static String param(Node n, String name) {
        Value v = MilParams.get(n, name).orElseThrow(() -> new AssertionError(n + " has no " + name));
        return v.data() == null ? v.toString() : dev.pare.ir.IrPrinter.data(v.data());
    }

    private static List<String> ops(Graph g) {
        List<String> out = new ArrayList<>();
        for (Node n : g.nodes()) out.add(n.op() + " " + n.result(0).type());
        return out;
    }

    @Test
    void matmulWithAConstantWeightAndBiasBecomesLinear() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[1,3,4]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [1, 2, 3, 4, 5, 6, 7, 8]>
                  %b: f32[2] = const dense<f32[2]: [0.5, -0.5]>
                  %m: f32[1,3,2] = onnx.MatMul(%x, %w) @mm
                  %y: f32[1,3,2] = onnx.Add(%m, %b) @bias
                  return %y
                }
                """);
        assertEquals(List.of("mil.linear f32[1,3,2]"), ops(run.graph()));
        Node linear = node(run, "mil.linear");
        assertEquals("dense<f32[2,4]: [1, 3, 5, 7, 2, 4, 6, 8]>", param(linear, "weight"));
        assertEquals("w", MilParams.get(linear, "weight").orElseThrow().name(), "the transposed weight keeps the name");
        assertEquals("dense<f32[2]: [0.5, -0.5]>", param(linear, "bias"));
        assertEquals("y", linear.result(0).name());
        run.assertStatistic("matmul_bias_fused", 1);
    }

    @Test
    void matmulStaysWhenItsWeightIsComputedOrItsProductIsUsedTwice() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[1,4], %v: f32[4,2]) {
                  %w: f32[4,2] = const dense<f32[4,2]: [1, 2, 3, 4, 5, 6, 7, 8]>
                  %b: f32[2] = const dense<f32[2]: [0.5, -0.5]>
                  %m1: f32[1,2] = onnx.MatMul(%x, %v) @computed_weight
                  %y1: f32[1,2] = onnx.Add(%m1, %b) @bias1
                  %m2: f32[1,2] = onnx.MatMul(%x, %w) @shared_product
                  %y2: f32[1,2] = onnx.Add(%m2, %b) @bias2
                  %y3: f32[1,2] = onnx.Relu(%m2) @relu
                  return %y1, %y2, %y3
                }
                """);
        assertEquals(List.of("mil.matmul f32[1,2]", "mil.add f32[1,2]", "mil.matmul f32[1,2]", "mil.add f32[1,2]", "mil.relu f32[1,2]"),
                ops(run.graph()));
    }

    @Test
    void unsupportedOpsFailOnceNamingEveryNodeBeforeChangingAnything() {
        String ir = """
                graph g(%x: f32[1,4], %b: f32[1,4,4]) {
                  %r: f32[1,4] = onnx.Relu(%x) @relu
                  %k: i64[1] = const dense<i64[1]: [2]>
                  %t: f32[1,2] = onnx.TopK(%r, %k) @topk_7
                  %n1: i64[1,3] = onnx.NonMaxSuppression(%b, %x) @nms_1
                  %n2: i64[1,3] = onnx.NonMaxSuppression(%b, %x) @nms_2
                  %q: f32[1,4] = onnx.com.microsoft.MoE(%x) @gelu
                  return %t, %n1, %n2, %q
                }
                """;
        PassFailure f = tester(13).assertFails(ir);
        assertEquals("convert_to_mil: no MIL lowering for 3 op types: NonMaxSuppression (nms_1, nms_2), TopK (topk_7), "
                + "com.microsoft.MoE (gelu); com.microsoft ops are ONNX Runtime's fusions, made by its graph optimizations, transformers "
                + "optimizer or GenAI model builder: convert the model as exported before them, e.g. torch.onnx.export's output", f.getMessage());
        assertEquals("MIL001", f.code());
    }

    @Test
    void unsupportedOpsNameAtMostThreeNodesPerTypeSoThatEveryTypeFitsTheLine() {
        String ir = """
                graph g(%x: f32[1,4]) {
                  %a: f32[1,4] = onnx.com.microsoft.Attention(%x) @g1
                  %b: f32[1,4] = onnx.com.microsoft.Attention(%a) @g2
                  %c: f32[1,4] = onnx.com.microsoft.Attention(%b) @g3
                  %d: f32[1,4] = onnx.com.microsoft.Attention(%c) @g4
                  %e: f32[1,4] = onnx.com.microsoft.Attention(%d) @g5
                  %t: f32[1,4] = onnx.Det(%e) @det
                  return %t
                }
                """;
        PassFailure f = tester(13).assertFails(ir);
        assertEquals("convert_to_mil: no MIL lowering for 2 op types: Det (det), com.microsoft.Attention (g1, g2, g3 and 2 more); "
                + "com.microsoft ops are ONNX Runtime's fusions, made by its graph optimizations, transformers optimizer or GenAI model builder: "
                + "convert the model as exported before them, e.g. torch.onnx.export's output", f.getMessage());
    }

    @Test
    void unsupportedAttributeNamesTheNode() {
        PassFailure f = tester(13).assertFails("""
                graph g(%x: f32[1,1,4,4]) {
                  %s: f32[4] = const dense<f32[4]: [1, 1, 1.5, 1.5]>
                  %roi: f32[0] = const dense<f32[0]: []>
                  %y: f32[1,1,6,6] = onnx.Resize(%x, %roi, %s) {mode="nearest"} @up
                  return %y
                }
                """);
        assertEquals("convert_to_mil: Resize 'up': nearest resize needs integer scales on H and W, got 6/4 and 6/4", f.getMessage());
    }

    @Test
    void int64ConstantsBecomeInt32AndTheOriginalGoes() {
        PassRun run = tester(13).run("""
                graph g(%x: i64[3]) {
                  %k: i64[3] = const dense<i64[3]: [1, -2, 3]>
                  %y: i64[3] = onnx.Mul(%x, %k) @mul
                  return %y
                }
                """);
        assertEquals("""
                graph g(%x: i32[3]) {
                  %k: i32[3] = const dense<i32[3]: [1, -2, 3]>
                  %y: i32[3] = mil.mul(%x, %k) {params=["x", "y"]} @y
                  return %y
                }
                """, run.after());
    }

    @Test
    void int64ConstantOutsideInt32IsRefused() {
        PassFailure f = tester(13).assertFails("""
                graph g(%x: i64[1]) {
                  %k: i64[1] = const dense<i64[1]: [4294967296]>
                  %y: i64[1] = onnx.Add(%x, %k) @add
                  return %y
                }
                """);
        assertEquals("convert_to_mil: Add 'add': constant k holds 4294967296, which int32 cannot (MIL has no int64)", f.getMessage());
    }

    @Test
    void sliceWithNegativeStepAndOpenEnds() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[4,6]) {
                  %s: i64[2] = const dense<i64[2]: [-1, 1]>
                  %e: i64[2] = const dense<i64[2]: [-9223372036854775807, 9223372036854775807]>
                  %a: i64[2] = const dense<i64[2]: [0, 1]>
                  %st: i64[2] = const dense<i64[2]: [-1, 2]>
                  %y: f32[4,3] = onnx.Slice(%x, %s, %e, %a, %st) @slice
                  return %y
                }
                """);
        Node n = node(run, "mil.slice_by_index");
        assertEquals("dense<i32[2]: [3, 1]>", param(n, "begin"));
        assertEquals("dense<i32[2]: [0, 6]>", param(n, "end"));
        assertEquals("dense<i32[2]: [-1, 2]>", param(n, "stride"));
        assertEquals("dense<bool[2]: [false, false]>", param(n, "begin_mask"));
        assertEquals("dense<bool[2]: [true, false]>", param(n, "end_mask"));
        assertEquals("f32[4,3]", n.result(0).type().toString());
    }

    @Test
    void softmaxBeforeOpset13OverSeveralAxesReshapes() {
        PassRun run = tester(11).run("""
                graph g(%x: f32[2,3,4]) {
                  %y: f32[2,3,4] = onnx.Softmax(%x) @softmax
                  return %y
                }
                """);
        assertEquals(List.of("mil.reshape f32[2,12]", "mil.softmax f32[2,12]", "mil.reshape f32[2,3,4]"), ops(run.graph()));
    }

    @Test
    void softmaxWithUnknownOpsetRefusesOnlyWhenTheMeaningDiffers() {
        PassFailure f = testerWithoutOpset().assertFails("""
                graph g(%x: f32[2,3,4]) {
                  %y: f32[2,3,4] = onnx.Softmax(%x) {axis=1} @softmax
                  return %y
                }
                """);
        assertTrue(f.getMessage().contains("set the onnx_opset option"), f.getMessage());
        PassRun run = testerWithoutOpset().run("""
                graph g(%x: f32[2,3,4]) {
                  %y: f32[2,3,4] = onnx.Softmax(%x) {axis=-1} @softmax
                  return %y
                }
                """);
        assertEquals("dense<i32[]: [-1]>", param(node(run, "mil.softmax"), "axis"));
    }

    @Test
    void activationsAndClip() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[2,3]) {
                  %lo: f32[] = const dense<f32[]: [-1]>
                  %hi: f32[] = const dense<f32[]: [6]>
                  %zero: f32[] = const dense<f32[]: [0]>
                  %a: f32[2,3] = onnx.HardSwish(%x) @hs
                  %b: f32[2,3] = onnx.Clip(%a, %lo, %hi) @clip
                  %c: f32[2,3] = onnx.Clip(%b, %zero, %hi) @relu6
                  %d: f32[2,3] = onnx.LeakyRelu(%c) {alpha=0.2} @leaky
                  return %d
                }
                """);
        assertEquals(List.of("mil.sigmoid_hard f32[2,3]", "mil.mul f32[2,3]", "mil.clip f32[2,3]", "mil.relu6 f32[2,3]",
                "mil.leaky_relu f32[2,3]"), ops(run.graph()));
        assertEquals("dense<f32[]: [0.16666667]>", param(node(run, "mil.sigmoid_hard"), "alpha"));
        assertEquals("dense<f32[]: [-1]>", param(node(run, "mil.clip"), "alpha"));
        assertEquals("dense<f32[]: [6]>", param(node(run, "mil.clip"), "beta"));
    }

    @Test
    void poolingPadAndSplit() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[1,2,5,5]) {
                  %p: i64[8] = const dense<i64[8]: [0, 0, 1, 2, 0, 0, 3, 4]>
                  %sizes: i64[2] = const dense<i64[2]: [1, 1]>
                  %m: f32[1,2,3,3] = onnx.MaxPool(%x) {kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1} @max
                  %a: f32[1,2,3,3] = onnx.AveragePool(%x) {kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]} @avg
                  %q: f32[1,2,9,11] = onnx.Pad(%x, %p) {mode="edge"} @pad
                  %s1: f32[1,1,5,5], %s2: f32[1,1,5,5] = onnx.Split(%x, %sizes) {axis=1} @split
                  return %m, %a, %q, %s1, %s2
                }
                """);
        assertEquals(List.of("mil.max_pool f32[1,2,3,3]", "mil.avg_pool f32[1,2,3,3]", "mil.pad f32[1,2,9,11]", "mil.split f32[1,1,5,5]"),
                ops(run.graph()));
        assertEquals("dense<i32[8]: [0, 0, 0, 0, 1, 3, 2, 4]>", param(node(run, "mil.pad"), "pad"));
        assertEquals("strings<str[]: [\"replicate\"]>", param(node(run, "mil.pad"), "mode"));
        assertEquals("dense<bool[]: [true]>", param(node(run, "mil.avg_pool"), "exclude_padding_from_average"));
        assertEquals("dense<i32[4]: [1, 1, 1, 1]>", param(node(run, "mil.avg_pool"), "pad"));
    }

    @Test
    void identityThatIsAGraphOutputKeepsTheOutputName() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[2]) {
                  %y: f32[2] = onnx.Identity(%x) @id
                  return %y
                }
                """);
        assertEquals("""
                graph g(%x: f32[2]) {
                  %y: f32[2] = mil.identity(%x) {params=["x"]} @y
                  return %y
                }
                """, run.after());
    }

    @Test
    void pareOpsPassThroughAndKeepFeedingTheConvertedOp() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[2,4]) {
                  %q: i8[3,4] = const dense<i8[3,4]: splat 2>
                  %s: f32[3,1] = const dense<f32[3,1]: [0.5, 0.25, 1]>
                  %w: f32[3,4] = pare.affine_dequantize(%q, %s) @dq
                  %y: f32[2,3] = onnx.Gemm(%x, %w) {transB=1} @fc
                  return %y
                }
                """);
        assertEquals("""
                graph g(%x: f32[2,4]) {
                  %q: i8[3,4] = const dense<i8[3,4]: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]>
                  %s: f32[3,1] = const dense<f32[3,1]: [0.5, 0.25, 1]>
                  %w: f32[3,4] = pare.affine_dequantize(%q, %s) @dq
                  %y: f32[2,3] = mil.linear(%x, %w) {params=["x", "weight"]} @y
                  return %y
                }
                """, run.after());
    }

    @Test
    void inputShapesFixSharedSymbols() {
        PassRun run = tester(13).withOptions(new ConvertToMil.Options(List.of("a:2,5"), Optional.of(13L), 1 << 20)).run("""
                graph g(%a: f32[B,S], %b: f32[B,S]) {
                  %y: f32[B,S] = onnx.Add(%a, %b) @add
                  return %y
                }
                """);
        assertEquals("graph g(%a: f32[2,5], %b: f32[2,5]) {", run.after().lines().findFirst().orElseThrow());
    }

    @Test
    void powWithAnIntegerExponentGetsAFloatOne() {
        PassRun run = tester(13).run("""
                graph g(%x: f16[3]) {
                  %two: i64[] = const dense<i64[]: [2]>
                  %y: f16[3] = onnx.Pow(%x, %two) @pow
                  return %y
                }
                """);
        assertEquals("dense<f16[]: [2]>", param(node(run, "mil.pow"), "y"));
        assertEquals("f16[3]", node(run, "mil.pow").result(0).type().toString());
    }

    @Test
    void sliceWithComputedEndsAndNearestResizeOfADynamicInput() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[1,S,4], %img: f32[N,3,H,W]) {
                  %shape: i64[3] = onnx.Shape(%x) @shape
                  %zero: i64[1] = const dense<i64[1]: [0]>
                  %one: i64[1] = const dense<i64[1]: [1]>
                  %two: i64[1] = const dense<i64[1]: [2]>
                  %len: i64[1] = onnx.Slice(%shape, %one, %two) @len
                  %y: f32[1,S,4] = onnx.Slice(%x, %zero, %len, %one) @slice
                  %roi: f32[0] = const dense<f32[0]: []>
                  %scales: f32[4] = const dense<f32[4]: [1, 1, 2, 3]>
                  %up: f32[N,3,?,?] = onnx.Resize(%img, %roi, %scales) {mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"} @up
                  return %y, %up
                }
                """);
        Node slice = run.graph().node("y").orElseThrow();
        assertEquals("dense<i32[3]: [0, 0, 0]>", param(slice, "begin"));
        assertEquals("mil.concat", MilParams.get(slice, "end").orElseThrow().producer().op());
        assertEquals("dense<bool[3]: [true, false, true]>", param(slice, "begin_mask"));
        assertEquals("f32[1,?,4]", slice.result(0).type().toString());
        Node up = node(run, "mil.upsample_nearest_neighbor");
        assertEquals("dense<i32[]: [3]>", param(up, "scale_factor_width"));
        assertEquals("f32[N,3,?,?]", up.result(0).type().toString());
    }

    @Test
    void anInt64InputWithADefaultGetsAnInt32Default() {
        PassRun run = tester(13).run("""
                graph g(%x: f32[2], %n: i64[1]) {
                  default %n = dense<i64[1]: [3]>
                  %y: f32[2] = onnx.Relu(%x) @relu
                  %z: i64[1] = onnx.Add(%n, %n) @add
                  return %y, %z
                }
                """);
        assertEquals("dense<i32[1]: [3]>", dev.pare.ir.IrPrinter.data(run.graph().inputs().get(1).data()));
        assertEquals("i32[1]", run.graph().outputs().get(1).type().toString());
    }

    @Test
    void opsInsideSubgraphsAreReportedByTheirOwnNames() {
        PassFailure f = tester(13).assertFails("""
                graph g(%c: bool[], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph then() {
                    %k: i64[1] = const dense<i64[1]: [2]>
                    %a: f32[2] = onnx.TopK(%x, %k) @inner_topk
                    return %a
                  }, else_branch=graph else() {
                    return %x
                  }} @branch
                  return %y
                }
                """);
        assertEquals("convert_to_mil: no MIL lowering for 1 op type: TopK (inner_topk)", f.getMessage());
    }

    @Test
    void anIfWhoseConditionFoldsIsReplacedByTheBranchItTakes() {
        // the branches differ in rank, which a cond could not hold; static shapes decide the If
        PassRun run = tester(13).run("""
                graph g(%x: f32[2,3]) {
                  %n: i64[] = onnx.Size(%x) @size
                  %six: i64[] = const dense<i64[]: [6]>
                  %c: bool[] = onnx.Equal(%n, %six) @is_six
                  %y: f32[?] = onnx.If(%c) {then_branch=graph then() {
                    %flat: i64[1] = const dense<i64[1]: [-1]>
                    %a: f32[6] = onnx.Reshape(%x, %flat) @inner_flatten
                    %b: f32[6] = onnx.Relu(%a) @inner_relu
                    return %b
                  }, else_branch=graph else() {
                    return %x
                  }} @branch
                  return %y
                }
                """);
        assertEquals(List.of("mil.reshape f32[6]", "mil.relu f32[6]"), ops(run.graph()));
        assertEquals("y", run.graph().outputs().get(0).name());
        run.assertStatistic("if_inlined", 1);
    }

    @Test
    void ifBecomesACondWhoseBlocksComputeTheirOutputs() {
        PassRun run = tester(13).run("""
                graph g(%c: bool[1], %x: f32[2]) {
                  %y: f32[2] = onnx.If(%c) {then_branch=graph then() {
                    %a: f32[2] = onnx.Relu(%x) @inner_relu
                    return %a
                  }, else_branch=graph else() {
                    return %x
                  }} @branch
                  return %y
                }
                """);
        Node cond = node(run, "mil.cond");
        assertEquals("mil.reshape", MilParams.get(cond, "pred").orElseThrow().producer().op(), "pred becomes a bool scalar");
        assertEquals("f32[2]", cond.result(0).type().toString());
        assertEquals("y", cond.result(0).name());
        Graph then = cond.subgraphs().get(0);
        Graph otherwise = cond.subgraphs().get(1);
        assertEquals(List.of("y_block0", "y_block1"), List.of(then.name(), otherwise.name()));
        assertEquals(List.of("mil.relu f32[2]"), ops(then));
        assertEquals(List.of("mil.identity f32[2]"), ops(otherwise), "an outer value returned by a branch gets an identity");
    }

    @Test
    void aRefusedAttributeLeavesTheGraphUntouched() throws Exception {
        String ir = """
                graph g(%x: f32[1,1,4,4], %m: i64[2]) {
                  %r: f32[1,1,4,4] = onnx.Relu(%x) @relu
                  %k: i64[2] = onnx.Add(%m, %m) @add
                  %y: f32[1,1,4,4] = onnx.MaxPool(%r) {kernel_shape=[2, 2], dilations=[2, 2], pads=[1, 1, 1, 1]} @pool
                  return %y, %k
                }
                """;
        Graph g = dev.pare.ir.text.IrParser.parse(ir);
        String before = dev.pare.ir.IrPrinter.print(g);
        PassFailure f = org.junit.jupiter.api.Assertions.assertThrows(PassFailure.class, () -> new ConvertToMil()
                .create(dev.pare.spi.ScopedOptions.uniform(new ConvertToMil().defaults())).run(g, new dev.pare.testkit.TestPassContext()));
        assertEquals("convert_to_mil: MaxPool 'pool': dilated pooling has no MIL form", f.getMessage());
        assertEquals("pool", f.nodeName());
        assertEquals(before, dev.pare.ir.IrPrinter.print(g));
    }
}
