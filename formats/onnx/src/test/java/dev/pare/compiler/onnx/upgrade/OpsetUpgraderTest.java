package dev.pare.compiler.onnx.upgrade;

import static dev.pare.compiler.testing.OutputAssertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each rewrite of the upgrader on a small model: ONNX Runtime runs the model at its old opset and
 * the upgraded one, and the outputs must be bit-identical. The upgraded model must verify and must
 * no longer hold the old forms.
 */
class OpsetUpgraderTest {

    @TempDir Path tmp;

    /** Builds the graph of a test model: inputs, nodes, outputs. */
    private static final class Builder {
        final Graph g = new Graph("g");
        final Rewriter rw = g.rewriter();
        private int count;

        Value input(String name, long... shape) { return rw.addInput(name, TensorType.of(DType.FLOAT32, shape)); }

        Value longInput(String name, long... shape) { return rw.addInput(name, TensorType.of(DType.INT64, shape)); }

        Value constant(String name, TensorData d) { return rw.addConstant(name, d); }

        List<Value> nodes(String op, List<Value> in, int results, Object... attrs) {
            Attributes.Builder b = Attributes.builder();
            for (int i = 0; i < attrs.length; i += 2) {
                Object v = attrs[i + 1];
                Attribute a = v instanceof Attribute x ? x
                        : v instanceof String s ? Attribute.of(s)
                        : v instanceof Float f ? Attribute.of(f)
                        : Attribute.of(((Number) v).longValue());
                b.put((String) attrs[i], a);
            }
            String name = op.toLowerCase() + "_" + count++;
            List<String> names = new ArrayList<>();
            List<TensorType> types = new ArrayList<>();
            for (int i = 0; i < results; i++) {
                names.add(name + "_out" + i);
                types.add(TensorType.unknown());
            }
            rw.setInsertionPointToEnd();
            return rw.createNode(name, "onnx." + op, in, names, types, b.build(), Location.UNKNOWN).results();
        }

        Value node(String op, List<Value> in, Object... attrs) { return nodes(op, in, 1, attrs).get(0); }

        void output(Value v) { rw.addOutput(v); }

        Model model(long opset) {
            Model m = new Model("onnx", g);
            m.setOpsets(List.of(new Model.OpsetImport("", opset)));
            m.setProperty("ir_version", Long.toString(Math.max(3, OpsetUpgrader.irVersionFor(opset))));
            m.setProperty("producer_name", "pare-test");
            return m;
        }
    }

    private static Tensor random(long seed, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 8 - 4);
        return Tensor.ofFloats(shape, v);
    }

    /**
     * Writes the model at its opset, runs it, upgrades it to {@code target}, writes and runs it
     * again; returns the upgraded model after checking the outputs are bit-identical.
     */
    private Model assertUpgradeKeepsOutputs(Model m, long target, Map<String, Tensor> inputs) throws Exception {
        OnnxFormat onnx = new OnnxFormat();
        Path before = tmp.resolve("before.onnx");
        onnx.write(m, before);
        Map<String, Tensor> expected = OrtRunner.run(before, inputs);
        Model upgraded = onnx.read(before);
        OpsetUpgrader.Report report = OpsetUpgrader.upgrade(upgraded, target);
        assertEquals(target, report.toOpset());
        assertEquals(List.of(), Verifier.verify(upgraded.graph()));
        assertEquals(target, upgraded.opsetVersion(""));
        Path after = tmp.resolve("after.onnx");
        onnx.write(upgraded, after);
        Map<String, Tensor> actual = OrtRunner.run(after, inputs);
        assertBitIdentical(expected, actual);
        return onnx.read(after);
    }

    private static Map<String, Integer> ops(Model m) {
        Map<String, Integer> out = new TreeMap<>();
        for (Node n : m.graph().allNodes()) out.merge(n.opType(), 1, Integer::sum);
        return out;
    }

    private static Model single(Consumer<Builder> body, long opset) {
        Builder b = new Builder();
        body.accept(b);
        return b.model(opset);
    }

    private static Map<String, Tensor> x(Tensor t) { return Map.of("x", t); }

    @Test
    void sliceAttributesBecomeInputs() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 3, 4, 5);
            b.output(b.node("Slice", List.of(x), "starts", Attribute.ofInts(1, 0), "ends", Attribute.ofInts(3, -1),
                    "axes", Attribute.ofInts(0, 2)));
            b.output(b.node("Slice", List.of(x), "starts", Attribute.ofInts(0, 1), "ends", Attribute.ofInts(2, 1000)));
        }, 9);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(1, 3, 4, 5)));
        for (Node n : up.graph().nodes()) assertTrue(n.attributes().isEmpty(), n + " " + n.attributes());
        assertEquals(4, up.graph().nodes().get(0).operands().size());
        assertEquals(3, up.graph().nodes().get(1).operands().size());
    }

    @Test
    void clipBoundsBecomeInputs() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 2, 8);
            b.output(b.node("Clip", List.of(x), "min", -1.5f, "max", 2.25f));
            b.output(b.node("Clip", List.of(x), "max", 0.5f));
            b.output(b.node("Clip", List.of(x), "min", 0f));
        }, 9);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(2, 2, 8)));
        List<Node> clips = up.graph().nodes();
        assertEquals(3, clips.get(0).operands().size());
        assertTrue(clips.get(1).operand(1).isAbsent(), "no min");
        assertEquals(2, clips.get(2).operands().size());
    }

    @Test
    void upsampleBecomesResize() throws Exception {
        // opset 7: scales is an attribute; opset 9: an input; from 10 Upsample is deprecated.
        Model m7 = single(b -> {
            Value x = b.input("x", 1, 2, 3, 4);
            b.output(b.node("Upsample", List.of(x), "mode", "nearest", "scales", new Attribute.FloatsAttr(List.of(1f, 1f, 2f, 3f))));
            b.output(b.node("Upsample", List.of(x), "mode", "linear", "scales", new Attribute.FloatsAttr(List.of(1f, 1f, 2f, 2f))));
        }, 7);
        Model up = assertUpgradeKeepsOutputs(m7, 13, x(random(3, 1, 2, 3, 4)));
        assertEquals(Map.of("Resize", 2), ops(up));
        Model m9 = single(b -> {
            Value x = b.input("x", 1, 2, 3, 4);
            Value s = b.constant("s", TensorData.ofFloats(new long[] {4}, 1f, 1f, 3f, 2f));
            b.output(b.node("Upsample", List.of(x, s), "mode", "linear"));
        }, 9);
        assertEquals(Map.of("Resize", 1), ops(assertUpgradeKeepsOutputs(m9, 21, x(random(4, 1, 2, 3, 4)))));
    }

    @Test
    void resize10KeepsItsCoordinateMappingAndRounding() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 1, 2, 6, 8);
            Value up = b.constant("up", TensorData.ofFloats(new long[] {4}, 1f, 1f, 2.5f, 1.5f));
            Value down = b.constant("down", TensorData.ofFloats(new long[] {4}, 1f, 1f, 0.5f, 0.75f));
            b.output(b.node("Resize", List.of(x, up), "mode", "nearest"));
            b.output(b.node("Resize", List.of(x, down), "mode", "nearest"));
            b.output(b.node("Resize", List.of(x, up), "mode", "linear"));
            b.output(b.node("Resize", List.of(x, down), "mode", "linear"));
        }, 10);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(5, 1, 2, 6, 8)));
        for (Node n : up.graph().nodes()) {
            assertEquals("asymmetric", n.attributes().getString("coordinate_transformation_mode", ""));
            assertEquals(3, n.operands().size());
        }
    }

    @Test
    void padAttributesBecomeInputs() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 1, 2, 3, 4);
            b.output(b.node("Pad", List.of(x), "pads", Attribute.ofInts(0, 0, 1, 2, 0, 0, 2, 1), "value", 1.5f));
            b.output(b.node("Pad", List.of(x), "mode", "reflect", "pads", Attribute.ofInts(0, 0, 1, 2, 0, 0, 2, 1)));
            b.output(b.node("Pad", List.of(x), "pads", Attribute.ofInts(0, 1, 0, 0, 0, 0, 0, 3)));
        }, 9);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(6, 1, 2, 3, 4)));
        assertEquals(3, up.graph().nodes().get(0).operands().size());
        assertEquals(2, up.graph().nodes().get(1).operands().size());
    }

    @Test
    void axesAttributesBecomeInputs() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 2, 1, 3, 4);
            Value sq = b.node("Squeeze", List.of(x), "axes", Attribute.ofInts(1));
            Value un = b.node("Unsqueeze", List.of(sq), "axes", Attribute.ofInts(0, -1));
            b.output(un);
            b.output(b.node("Squeeze", List.of(x)));
            b.output(b.node("ReduceSum", List.of(x), "axes", Attribute.ofInts(2, -1), "keepdims", 0));
            b.output(b.node("ReduceMean", List.of(x), "axes", Attribute.ofInts(3)));
            b.output(b.node("ReduceMax", List.of(x), "axes", Attribute.ofInts(0, 2), "keepdims", 0));
            b.output(b.node("ReduceL2", List.of(x)));
            b.output(b.node("ReduceLogSumExp", List.of(x), "axes", Attribute.ofInts(1)));
        }, 11);
        Model up = assertUpgradeKeepsOutputs(m, 21, x(random(7, 2, 1, 3, 4)));
        for (Node n : up.graph().nodes()) assertFalse(n.attributes().names().contains("axes"), n.toString());
    }

    @Test
    void splitSizesBecomeAnInputAndEqualSplitsNameTheirCount() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 6, 4);
            for (Value v : b.nodes("Split", List.of(x), 2, "axis", 0, "split", Attribute.ofInts(2, 4))) b.output(v);
            for (Value v : b.nodes("Split", List.of(x), 2, "axis", 1)) b.output(v);
        }, 11);
        Model up = assertUpgradeKeepsOutputs(m, 18, x(random(8, 6, 4)));
        assertEquals(2, up.graph().nodes().get(0).operands().size());
        assertEquals(2, up.graph().nodes().get(1).attributes().getInt("num_outputs", -1));
    }

    @Test
    void softmaxKeepsFlattenSemantics() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 2, 3, 4);
            b.output(b.node("Softmax", List.of(x), "axis", 1));      // rows of 3*4: needs Flatten
            b.output(b.node("Softmax", List.of(x), "axis", 2));      // the last axis: unchanged
            b.output(b.node("LogSoftmax", List.of(x)));              // default axis 1
            b.output(b.node("Hardmax", List.of(x), "axis", 0));      // one row of everything
            b.output(b.node("Softmax", List.of(x), "axis", -1));
        }, 11);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(9, 2, 3, 4)));
        assertEquals(Map.of("Flatten", 3, "Hardmax", 1, "LogSoftmax", 1, "Reshape", 3, "Shape", 3, "Softmax", 3), ops(up));
    }

    @Test
    void softmaxOnUnknownRankUsesFlatten() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 2, 3, 4);
            Value r = b.node("Relu", List.of(x)); // result type unknown
            b.output(b.node("Softmax", List.of(r), "axis", 2));
        }, 11);
        assertEquals(Map.of("Flatten", 1, "Relu", 1, "Reshape", 1, "Shape", 1, "Softmax", 1),
                ops(assertUpgradeKeepsOutputs(m, 13, x(random(10, 2, 3, 4)))));
    }

    @Test
    void topKCountBecomesAnInput() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 3, 7);
            for (Value v : b.nodes("TopK", List.of(x), 2, "k", 3)) b.output(v);
        }, 9);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(11, 3, 7)));
        assertEquals(2, up.graph().nodes().get(0).operands().size());
    }

    @Test
    void batchNormAndDropout() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 2, 3, 4);
            Value s = b.constant("s", TensorData.ofFloats(new long[] {3}, 1f, 2f, 0.5f));
            Value bias = b.constant("b", TensorData.ofFloats(new long[] {3}, 0.1f, -0.2f, 0.3f));
            Value mean = b.constant("mean", TensorData.ofFloats(new long[] {3}, 0.5f, 0f, -1f));
            Value var = b.constant("var", TensorData.ofFloats(new long[] {3}, 1f, 4f, 0.25f));
            Value bn = b.node("BatchNormalization", List.of(x, s, bias, mean, var), "epsilon", 1e-3f, "spatial", 1);
            b.output(b.nodes("Dropout", List.of(bn), 2, "ratio", 0.25f).get(0));
        }, 8);
        Model up = assertUpgradeKeepsOutputs(m, 13, x(random(12, 2, 3, 4)));
        assertEquals(Map.of("BatchNormalization", 1, "Dropout", 1), ops(up));
        assertFalse(up.graph().nodes().get(0).attributes().names().contains("spatial"));
        Node dropout = up.graph().nodes().get(1);
        assertEquals(1, dropout.results().size(), "the unused mask is dropped");
        assertEquals(2, dropout.operands().size(), "ratio became an input");
    }

    @Test
    void scatterBecomesScatterElements() throws Exception {
        Model m = single(b -> {
            Value x = b.input("x", 6, 4);
            Value idx = b.longInput("idx", 1, 4);
            Value upd = b.constant("upd", TensorData.ofFloats(new long[] {1, 4}, 9f, 8f, 7f, 6f));
            b.output(b.node("Scatter", List.of(x, idx, upd), "axis", 0));
        }, 9);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", random(13, 6, 4));
        in.put("idx", Tensor.ofLongs(new long[] {1, 4}, new long[] {5, 0, 2, 3}));
        assertEquals(Map.of("ScatterElements", 1), ops(assertUpgradeKeepsOutputs(m, 13, in)));
    }

    @Test
    void upgradeRaisesTheIrVersionAndKeepsOtherDomains() {
        Model m = single(b -> b.output(b.node("Relu", List.of(b.input("x", 2)))), 9);
        m.setOpsets(List.of(new Model.OpsetImport("", 9), new Model.OpsetImport("com.microsoft", 1)));
        m.setProperty("ir_version", "4");
        OpsetUpgrader.upgrade(m, 21);
        assertEquals(List.of(new Model.OpsetImport("", 21), new Model.OpsetImport("com.microsoft", 1)), m.opsets());
        assertEquals("10", m.properties().get("ir_version"));
        OpsetUpgrader.Report again = OpsetUpgrader.upgrade(m, 13);
        assertEquals(21, again.toOpset());
        assertEquals(21, m.opsetVersion(""));
    }

    @Test
    void everyOpOfTheTestModelsIsKnown() {
        for (String op : List.of("Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv",
                "ConvTranspose", "Div", "Erf", "Gather", "GlobalAveragePool", "HardSigmoid", "MatMul", "Mul", "Pow",
                "ReduceMean", "Relu", "Reshape", "Resize", "Shape", "Sigmoid", "Slice", "Softmax", "Sqrt", "Squeeze",
                "Sub", "Transpose", "Unsqueeze", "Gemm", "MaxPool", "Flatten", "Dropout", "TopK", "Split", "Pad")) {
            assertTrue(OpHistory.versions(op).isPresent(), op);
        }
        assertTrue(OpHistory.size() > 180, "ops known: " + OpHistory.size());
    }

    // ---- errors ----------------------------------------------------------------------------

    @Test
    void unknownOpInTheRangeFails() {
        Model m = single(b -> b.output(b.node("FancyOp", List.of(b.input("x", 2)))), 11);
        UpgradeException e = assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(m, 13));
        assertEquals("node 'fancyop_0' (FancyOp): is not an ai.onnx operator Pare knows the history of, so it cannot"
                + " tell whether it changed (upgrading opset 11 to 13)", e.getMessage());
        assertEquals(11, m.opsetVersion(""), "nothing changed");
    }

    @Test
    void breakingStepWithoutRewriteFails() {
        Model m = single(b -> {
            Value x = b.input("x", 1, 4, 2);
            Value s = b.constant("s", TensorData.ofFloats(new long[] {2}, 1f, 1f));
            b.output(b.node("GroupNormalization", List.of(x, s, s), "num_groups", 2));
        }, 18);
        UpgradeException e = assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(m, 21));
        assertEquals("node 'groupnormalization_0' (GroupNormalization): changed meaning at opset 21 (scale and bias"
                + " changed from one value per group to one per channel) and Pare has no rewrite for it"
                + " (upgrading opset 18 to 21)", e.getMessage());
    }

    @Test
    void conditionalRewritesFailClearly() {
        Model bn = single(b -> {
            Value x = b.input("x", 1, 2);
            Value c = b.constant("c", TensorData.ofFloats(new long[] {2}, 1f, 1f));
            b.output(b.node("BatchNormalization", List.of(x, c, c, c, c), "spatial", 0));
        }, 8);
        assertEquals("node 'batchnormalization_0' (BatchNormalization): spatial=0 (statistics per element) has no form"
                + " from opset 9 on (upgrading opset 8 to 13)",
                assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(bn, 13)).getMessage());
        Model resize = single(b -> {
            Value x = b.input("x", 1, 1, 2, 2);
            Value s = b.input("s", 4);
            b.output(b.node("Resize", List.of(x, s)));
        }, 10);
        assertEquals("node 'resize_0' (Resize): nearest mode needs constant float scales to choose the rounding"
                + " (upgrading opset 10 to 13)",
                assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(resize, 13)).getMessage());
        Model dropout = single(b -> {
            List<Value> r = b.nodes("Dropout", List.of(b.input("x", 2)), 2);
            b.output(r.get(0));
            b.output(r.get(1));
        }, 9);
        assertEquals("node 'dropout_0' (Dropout): its mask output is used, and its type changed from the input type to"
                + " bool at opset 10 (upgrading opset 9 to 13)",
                assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(dropout, 13)).getMessage());
    }

    @Test
    void opsetsOutsideTheKnownRangeFail() {
        Model old = single(b -> b.output(b.node("Relu", List.of(b.input("x", 2)))), 6);
        assertEquals("cannot upgrade opset 6 to 13: Pare upgrades models from opset 7 on",
                assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(old, 13)).getMessage());
        Model m = single(b -> b.output(b.node("Relu", List.of(b.input("x", 2)))), 13);
        assertEquals("cannot upgrade to opset 22: Pare knows the ONNX operators up to opset 21",
                assertThrows(UpgradeException.class, () -> OpsetUpgrader.upgrade(m, 22)).getMessage());
    }
}
