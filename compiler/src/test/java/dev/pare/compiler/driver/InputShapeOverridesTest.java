package dev.pare.compiler.driver;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.EnumeratedShapeRules;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --input-shape}: parsing one or several shapes, and how enumerated shapes spread to linked inputs. */
class InputShapeOverridesTest {

    private static String parseError(String argument) {
        return assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.parseShapes(argument)).getMessage();
    }

    private static String applyError(Graph g, Map<String, List<Long>> fixed, Map<String, List<List<Long>>> enumerated) {
        return assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.apply(g, fixed, enumerated)).getMessage();
    }

    /** A transformer's inputs: ids and mask [batch, seq] (int64), and a float input of its own. */
    private static Graph transformer() {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        List<Dim> batchSeq = List.of(new Dim.Symbolic("batch"), new Dim.Symbolic("seq"));
        rw.addInput("input_ids", new TensorType(DType.INT64, batchSeq));
        rw.addInput("attention_mask", new TensorType(DType.INT64, batchSeq));
        rw.addInput("scale", TensorType.of(DType.FLOAT32, 4));
        return g;
    }

    private static Value input(Graph g, String name) {
        return g.inputs().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void parsesOneShapeOrSeveral() {
        assertEquals(Map.entry("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L), List.of(1L, 256L))),
                InputShapeOverrides.parseShapes("input_ids=1,64|1,128|1,256"));
        assertEquals(Map.entry("x", List.of(List.of(1L, 3L))), InputShapeOverrides.parseShapes("x=1, 3"));
        assertEquals(Map.entry("input_ids", List.of(1L, 128L)), InputShapeOverrides.parse("input_ids=1,128"));
    }

    @Test
    void malformedShapesAreNamed() {
        assertEquals("--input-shape 'x=1,64|1,abc': 'abc' is not a dimension size", parseError("x=1,64|1,abc"));
        assertEquals("--input-shape 'x=1,64|': shape 2 is empty", parseError("x=1,64|"));
        assertEquals("--input-shape 'x=|1,64': shape 1 is empty", parseError("x=|1,64"));
        assertEquals("--input-shape 'x=1,64|1,64,2': shape 2 has rank 3, shape 1 has rank 2; enumerated shapes share one rank",
                parseError("x=1,64|1,64,2"));
        assertEquals("--input-shape 'x=1,64|1,64': shape 1,64 is listed twice", parseError("x=1,64|1,64"));
        assertEquals("--input-shape 'x=1,0|1,8': dimension 0 must be at least 1", parseError("x=1,0|1,8"));
        assertEquals("--input-shape 'x=1|2': expected one shape, not 2",
                assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.parse("x=1|2")).getMessage());
        StringBuilder many = new StringBuilder("x=");
        for (int i = 1; i <= 129; i++) many.append(i == 1 ? "" : "|").append(i);
        assertEquals("--input-shape '" + many + "' lists 129 shapes; Core ML allows at most 128", parseError(many.toString()));
    }

    @Test
    void enumeratedShapesSpreadToInputsSharingTheVaryingDimension() {
        Graph g = transformer();
        InputShapeOverrides.apply(g, Map.of(), Map.of("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L))));
        // batch is 1 in every shape: fixed; seq varies: stays symbolic.
        TensorType linked = new TensorType(DType.INT64, List.of(new Dim.Fixed(1), new Dim.Symbolic("seq")));
        assertEquals(linked, input(g, "input_ids").tensorType());
        assertEquals(linked, input(g, "attention_mask").tensorType());
        assertEquals("1,64|1,128", input(g, "input_ids").metadata().get(CoreMlKeys.ENUMERATED_SHAPES));
        assertEquals("1,64|1,128", input(g, "attention_mask").metadata().get(CoreMlKeys.ENUMERATED_SHAPES));
        assertFalse(input(g, "scale").metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES));
        assertEquals(List.of("input_ids", "attention_mask"), InputShapeOverrides.enumeratedInputs(g));
    }

    @Test
    void aStaticShapeReplacesEnumeratedShapesReadFromAPackage() {
        Graph g = new Graph("main");
        Value ids = g.rewriter().addInput("ids", new TensorType(DType.INT32, List.of(new Dim.Fixed(1), new Dim.Unknown())));
        g.rewriter().setMetadata(ids, Map.of(CoreMlKeys.ENUMERATED_SHAPES, "1,64|1,128"));
        InputShapeOverrides.apply(g, Map.of("ids", List.of(1L, 128L)));
        assertEquals(TensorType.of(DType.INT32, 1, 128), ids.tensorType());
        assertFalse(ids.metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES));
    }

    @Test
    void consistentShapesForLinkedInputsAreAccepted() {
        Graph g = transformer();
        InputShapeOverrides.apply(g, Map.of(), Map.of("input_ids", List.of(List.of(1L, 64L), List.of(2L, 128L)),
                "attention_mask", List.of(List.of(1L, 64L), List.of(2L, 128L))));
        assertEquals("1,64|2,128", input(g, "attention_mask").metadata().get(CoreMlKeys.ENUMERATED_SHAPES));
        assertEquals(new TensorType(DType.INT64, List.of(new Dim.Symbolic("batch"), new Dim.Symbolic("seq"))),
                input(g, "attention_mask").tensorType());
    }

    @Test
    void inconsistentLinkedShapesAreRefusedNamingTheInputs() {
        assertEquals("--input-shape: inputs 'input_ids' and 'attention_mask' give symbolic dimension 'seq' sizes 128 and 256 "
                        + "in shape 1,256; shapes of linked inputs must agree",
                applyError(transformer(), Map.of(), linked("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L)),
                        "attention_mask", List.of(List.of(1L, 64L), List.of(1L, 256L)))));
        assertEquals("--input-shape: inputs 'attention_mask' and 'input_ids' give symbolic dimension 'seq' sizes 64 and 128 "
                        + "in shape 1,128; shapes of linked inputs must agree",
                applyError(transformer(), Map.of("attention_mask", List.of(1L, 64L)),
                        Map.of("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L)))));
        assertEquals("--input-shape: input 'input_ids' lists 2 shapes and 'attention_mask' 3; inputs with enumerated shapes "
                        + "list the same number (the k-th shapes go together)",
                applyError(transformer(), Map.of(), linked("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L)),
                        "attention_mask", List.of(List.of(1L, 8L), List.of(1L, 64L), List.of(1L, 128L)))));
    }

    /** Two entries in this order (Map.of has none). */
    private static Map<String, List<List<Long>>> linked(String a, List<List<Long>> sa, String b, List<List<Long>> sb) {
        Map<String, List<List<Long>>> m = new java.util.LinkedHashMap<>();
        m.put(a, sa);
        m.put(b, sb);
        return m;
    }

    @Test
    void shapesContradictingAFixedDimensionAreRefused() {
        Graph g = new Graph("main");
        g.rewriter().addInput("x", new TensorType(DType.FLOAT32,
                List.of(new Dim.Symbolic("N"), new Dim.Fixed(1), new Dim.Fixed(28), new Dim.Fixed(28))));
        assertEquals("--input-shape: input 'x' dimension 3 is fixed to 28, not 29 in shape 1,1,28,29",
                applyError(g, Map.of(), Map.of("x", List.of(List.of(1L, 1L, 28L, 29L), List.of(1L, 1L, 28L, 28L)))));
        assertEquals("--input-shape: input 'x' has rank 4 (f32[N,1,28,28]), the given shape 1,28 has 2 dimensions",
                applyError(g, Map.of(), Map.of("x", List.of(List.of(1L, 28L), List.of(2L, 28L)))));
    }

    @Test
    void aLinkedInputWithAnotherFreeDimensionMustBeGiven() {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        rw.addInput("ids", new TensorType(DType.INT64, List.of(new Dim.Fixed(1), new Dim.Symbolic("seq"))));
        rw.addInput("bias", new TensorType(DType.FLOAT32, List.of(new Dim.Symbolic("seq"), new Dim.Symbolic("heads"))));
        assertEquals("--input-shape: input 'bias' shares a symbolic dimension with inputs given enumerated shapes, but its "
                        + "dimension 1 (heads) is not given; give its shapes with --input-shape bias=...",
                applyError(g, Map.of(), Map.of("ids", List.of(List.of(1L, 64L), List.of(1L, 128L)))));
    }

    @Test
    void coreMlRulesForEnumeratedInputs() {
        Graph g = transformer();
        InputShapeOverrides.apply(g, Map.of(), Map.of("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L))));
        assertEquals("inputs input_ids, attention_mask get enumerated shapes; Core ML allows enumerated shapes on several "
                        + "inputs from iOS18 (specification version 9), not ios17: use --target ios18 or later",
                assertThrows(IllegalArgumentException.class, () -> EnumeratedShapeRules.check(g.inputs(), CoreMlTarget.IOS17)).getMessage());
        assertDoesNotThrow(() -> EnumeratedShapeRules.check(g.inputs(), CoreMlTarget.IOS18));

        Graph mixed = new Graph("main");
        Rewriter rw = mixed.rewriter();
        rw.addInput("ids", new TensorType(DType.INT64, List.of(new Dim.Fixed(1), new Dim.Symbolic("seq"))));
        rw.addInput("image", new TensorType(DType.FLOAT32, List.of(new Dim.Symbolic("h"), new Dim.Fixed(3))));
        InputShapeOverrides.apply(mixed, Map.of(), Map.of("ids", List.of(List.of(1L, 64L), List.of(1L, 128L))));
        assertEquals("input 'image' (f32[h,3]) would get a shape range next to the enumerated shapes of 'ids'; "
                        + "Core ML needs the other inputs static: give 'image' a shape",
                assertThrows(IllegalArgumentException.class, () -> EnumeratedShapeRules.check(mixed.inputs(), CoreMlTarget.IOS16)).getMessage());
    }
}
