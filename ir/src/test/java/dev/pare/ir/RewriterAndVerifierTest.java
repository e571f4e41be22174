package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RewriterAndVerifierTest {

    private static final TensorType F4 = TensorType.of(DType.FLOAT32, 4);

    @Test
    void aNodeReplacedByAConstantHandsOverItsUsesOutputsAndName() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", F4);
        Value c = r.addConstant("c", TensorData.ofFloats(new long[] {4}, 1, 2, 3, 4));
        Node neg = r.createNode("neg", "onnx.Neg", List.of(c), List.of("n"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        Node add = r.createNode("add", "onnx.Add", List.of(x, neg.result(0)), List.of("y"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        r.addOutput(add.result(0));
        r.addOutput(neg.result(0));
        Value folded = r.replaceWithConstant(neg, TensorData.ofFloats(new long[] {4}, -1, -2, -3, -4));
        assertEquals("n", folded.name());
        assertEquals(List.of(add), g.nodes());
        assertEquals(folded, add.operand(1));
        assertEquals(folded, g.outputs().get(1));
        assertTrue(Verifier.verify(g).isEmpty());
    }

    @Test
    void useListsFollowEdits() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", F4);
        Value c = r.addConstant("c", TensorData.ofFloats(new long[] {4}, 1, 2, 3, 4));
        Node add = r.createNode("add", "onnx.Add", List.of(x, c), List.of("y"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        Node id = r.createNode("id", "onnx.Identity", List.of(add.result(0)), List.of("z"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        r.addOutput(id.result(0));
        assertEquals(List.of(new Value.Use(add, 1)), c.uses());
        assertTrue(r.changed());

        Rewriter r2 = g.rewriter();
        assertFalse(r2.changed());
        r2.replaceAllUsesWith(id.result(0), add.result(0));
        assertEquals(add.result(0), g.outputs().get(0));
        r2.erase(id);
        assertTrue(r2.changed());
        assertEquals(List.of(add), g.nodes());
        assertTrue(Verifier.verify(g).isEmpty());
        assertThrows(IllegalStateException.class, () -> r2.erase(add));
    }

    /** As convert_to_mil's Scan lowering does: a subgraph input replaced by a value computed inside goes, the rest are reordered. */
    @Test
    void anUnusedInputIsRemovedAndInputsReordered() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", F4);
        Value y = r.addInput("y", F4);
        Node neg = r.createNode("neg", "onnx.Neg", List.of(y), List.of("n"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        r.addOutput(neg.result(0));
        assertThrows(IllegalStateException.class, () -> r.removeInput(y));
        Value c = r.addConstant("c", TensorData.ofFloats(new long[] {4}, 1, 2, 3, 4));
        r.replaceAllUsesWith(y, c);
        r.removeInput(y);
        assertEquals(List.of(x), g.inputs());
        assertFalse(g.isNameTaken("y"));
        assertThrows(IllegalArgumentException.class, () -> r.removeInput(c));
        Value i = r.addInput("i", F4);
        r.reorderInputs(List.of(i, x));
        assertEquals(List.of(i, x), g.inputs());
        assertThrows(IllegalArgumentException.class, () -> r.reorderInputs(List.of(i)));
        assertTrue(Verifier.verify(g).isEmpty());
    }

    @Test
    void duplicateNamesAreRefused() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        r.addInput("x", F4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.addInput("x", F4));
        assertEquals("value name 'x' is already defined in graph g (0 nodes)", e.getMessage());
        assertEquals("x_1", r.uniqueValueName("x"));
    }

    @Test
    void verifierFindsUseBeforeDefinition() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", F4);
        Node a = r.createNode("a", "onnx.Relu", List.of(x), List.of("a_out"), List.of(F4), Attributes.empty(), new Location("m.onnx", "a", 0));
        Node b = r.createNode("b", "onnx.Relu", List.of(a.result(0)), List.of("b_out"), List.of(F4), Attributes.empty(), new Location("m.onnx", "b", 1));
        r.addOutput(b.result(0));
        r.reorder(List.of(b, a));
        List<Problem> problems = Verifier.verify(g);
        assertEquals(1, problems.size());
        assertEquals("m.onnx:b (#1): V001: operand 0 of onnx.Relu 'b': %a_out is used before its producer a"
                + " (graph not topologically ordered, or a cycle)", problems.get(0).toString());
    }

    @Test
    void subgraphsSeeOuterValues() {
        Graph g = new Graph("g");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", F4);
        Graph body = new Graph("then", g);
        Rewriter br = body.rewriter();
        Node inner = br.createNode("neg", "onnx.Neg", List.of(x), List.of("nx"), List.of(F4), Attributes.empty(), Location.UNKNOWN);
        br.addOutput(inner.result(0));
        Value cond = r.addConstant("cond", TensorData.of(TensorType.of(DType.BOOL), new byte[] {1}));
        Node iff = r.createNode("if", "onnx.If", List.of(cond), List.of("out"), List.of(F4),
                Attributes.builder().put("then_branch", new Attribute.GraphAttr(body)).put("else_branch", new Attribute.GraphAttr(body)).build(),
                Location.UNKNOWN);
        r.addOutput(iff.result(0));
        assertTrue(Verifier.verify(g).isEmpty(), Verifier.verify(g).toString());
        assertEquals(List.of(new Value.Use(inner, 0)), x.uses());
        assertEquals(3, g.allNodes().size()); // the if node plus the body, listed once per branch that holds it
    }

    @Test
    void constantPayloadMustMatchItsShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorData.of(TensorType.of(DType.FLOAT32, 3), new byte[8]));
        assertEquals("tensor f32[3] needs 12 bytes but the data holds 8", e.getMessage());
    }

    @Test
    void sparseDataExpandsToDense() {
        DenseData values = TensorData.ofFloats(new long[] {2}, 5f, 7f);
        DenseData coords = TensorData.ofLongs(new long[] {2, 2}, 0, 1, 1, 0);
        SparseData s = new SparseData(TensorType.of(DType.FLOAT32, 2, 2), values, coords, java.util.Map.of());
        java.nio.ByteBuffer b = s.bytes();
        assertEquals(0f, b.getFloat(0));
        assertEquals(5f, b.getFloat(4));
        assertEquals(7f, b.getFloat(8));
        assertEquals(0f, b.getFloat(12));
        assertEquals(TensorData.ofFloats(new long[] {2, 2}, 0, 5, 7, 0).sha256(), s.sha256());
    }
}
