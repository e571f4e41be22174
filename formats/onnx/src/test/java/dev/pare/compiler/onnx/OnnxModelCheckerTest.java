package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.floats;
import static dev.pare.compiler.onnx.Protos.longs;
import static dev.pare.compiler.onnx.Protos.model;
import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each rule of {@link OnnxModelChecker} on a hand-built model broken in exactly one way. */
class OnnxModelCheckerTest {

    @TempDir Path tmp;

    /** A branch graph computing {@code out = Add(in, c)} with {@code in} from the enclosing graph. */
    private static GraphProto branch(String name, String outer, String out) {
        return GraphProto.newBuilder().setName(name)
                .addInitializer(floats(name + "_c", new long[] {1}, 1f))
                .addNode(node(name + "_add", "Add", List.of(outer, name + "_c"), List.of(out)))
                .addOutput(tensorInfo(out, 1, "N"))
                .build();
    }

    private static AttributeProto graphAttr(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
    }

    /**
     * x -> relu -> r; c = (k == 1); If(c) { r + 1 } else { r + 1 } -> y. Valid: the branches use
     * {@code r}, defined before the If node in the main graph.
     */
    private static GraphProto.Builder valid() {
        return GraphProto.newBuilder().setName("main")
                .addInput(tensorInfo("x", 1, "N"))
                .addInitializer(longs("k", new long[0], 1))
                .addInitializer(longs("one", new long[0], 1))
                .addNode(node("relu", "Relu", List.of("x"), List.of("r")))
                .addNode(node("eq", "Equal", List.of("k", "one"), List.of("c")))
                .addNode(node("if", "If", List.of("c"), List.of("y"),
                        graphAttr("then_branch", branch("then", "r", "t")),
                        graphAttr("else_branch", branch("else", "r", "e"))))
                .addOutput(tensorInfo("y", 1, "N"));
    }

    private static List<String> check(GraphProto.Builder g) {
        return OnnxModelChecker.check(model(17).setGraph(g).build());
    }

    private static void assertProblem(String expected, GraphProto.Builder g) {
        assertEquals(List.of(expected), check(g));
    }

    @Test
    void aValidModelWithOuterScopeReferencesPasses() {
        assertEquals(List.of(), check(valid()));
    }

    @Test
    void initializerWithoutName() {
        GraphProto.Builder g = valid();
        g.setInitializer(0, g.getInitializer(0).toBuilder().clearName());
        assertEquals("graph 'main': initializer #0 has no name", check(g).get(0));
    }

    @Test
    void initializerDefinedTwice() {
        assertProblem("graph 'main': initializer 'k' is defined twice",
                valid().addInitializer(longs("k", new long[0], 2)));
    }

    @Test
    void nodesOutOfOrder() {
        GraphProto.Builder g = valid();
        var relu = g.getNode(0);
        g.removeNode(0).addNode(relu);
        List<String> problems = check(g);
        assertEquals("graph 'main' > node 'if' (If) attribute 'then_branch' subgraph 'then': node 'then_add' (Add)"
                + " input 'r' is not a graph input, initializer or output of an earlier node here or in an enclosing graph",
                problems.get(0));
    }

    @Test
    void inputProducedByALaterNode() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("main").addInput(tensorInfo("x", 1, 2))
                .addNode(node("neg", "Neg", List.of("a"), List.of("b")))
                .addNode(node("abs", "Abs", List.of("x"), List.of("a")))
                .addOutput(tensorInfo("b", 1, 2));
        assertProblem("graph 'main': node 'neg' (Neg) input 'a' is produced by node 'abs' (Abs), which comes later"
                + " (nodes are not in topological order)", g);
    }

    @Test
    void undefinedInputNamesTheNodeAndTheInput() {
        GraphProto.Builder g = valid();
        g.setNode(1, node("eq", "Equal", List.of("k", "Constant_0_output"), List.of("c")));
        assertProblem("graph 'main': node 'eq' (Equal) input 'Constant_0_output' is not a graph input, initializer"
                + " or output of an earlier node", g);
    }

    @Test
    void unnamedNodesAreNamedByIndex() {
        GraphProto.Builder g = valid();
        g.setNode(1, node(null, "Equal", List.of("k", "missing"), List.of("c")));
        assertProblem("graph 'main': node #1 (Equal) input 'missing' is not a graph input, initializer or output of an"
                + " earlier node", g);
    }

    @Test
    void subgraphSeesOnlyOuterValuesDefinedBeforeItsNode() {
        GraphProto.Builder g = valid();
        // The else branch reads 'late', which the main graph computes after the If node.
        g.setNode(2, g.getNode(2).toBuilder().setAttribute(1, graphAttr("else_branch", branch("else", "late", "e"))));
        g.addNode(node("late_node", "Neg", List.of("x"), List.of("late")));
        assertProblem("graph 'main' > node 'if' (If) attribute 'else_branch' subgraph 'else': node 'else_add' (Add)"
                + " input 'late' is not a graph input, initializer or output of an earlier node here or in an enclosing graph", g);
    }

    @Test
    void subgraphOutputMayNameAnOuterValueButMustExist() {
        GraphProto.Builder ok = valid();
        GraphProto passThrough = GraphProto.newBuilder().setName("else").addOutput(tensorInfo("r", 1, "N")).build();
        ok.setNode(2, ok.getNode(2).toBuilder().setAttribute(1, graphAttr("else_branch", passThrough)));
        assertEquals(List.of(), check(ok));

        GraphProto.Builder broken = valid();
        GraphProto nothing = GraphProto.newBuilder().setName("else").addOutput(tensorInfo("nowhere", 1, "N")).build();
        broken.setNode(2, broken.getNode(2).toBuilder().setAttribute(1, graphAttr("else_branch", nothing)));
        assertProblem("graph 'main' > node 'if' (If) attribute 'else_branch' subgraph 'else': output 'nowhere'"
                + " is not produced by any node, input or initializer", broken);
    }

    @Test
    void graphOutputNotProduced() {
        assertProblem("graph 'main': output 'z' is not produced by any node, input or initializer",
                valid().addOutput(tensorInfo("z", 1, "N")));
    }

    @Test
    void nodeOutputAssignedTwice() {
        assertProblem("graph 'main': node 'again' (Neg) output 'r' is already defined (by an input, an initializer or an earlier node)",
                valid().addNode(node("again", "Neg", List.of("x"), List.of("r"))));
    }

    @Test
    void mainGraphInputsNeedTypes() {
        GraphProto.Builder g = valid();
        g.setInput(0, ValueInfoProto.newBuilder().setName("x"));
        assertProblem("graph 'main': input 'x' has no type", g);

        GraphProto.Builder h = valid();
        h.setInput(0, ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder())));
        assertProblem("graph 'main': input 'x' has no element type", h);

        GraphProto.Builder untypedOutput = valid();
        untypedOutput.setOutput(0, ValueInfoProto.newBuilder().setName("y"));
        assertEquals(List.of(), check(untypedOutput), "ONNX Runtime infers an output's type");
    }

    @Test
    void initializerDisagreesWithItsDeclaredType() {
        assertProblem("graph 'main': initializer 'k' is i64 but its declared type is f32",
                valid().addValueInfo(tensorInfo("k", 1)));
        assertProblem("graph 'main': initializer 'k' has shape [] but its declared shape is [2]",
                valid().addValueInfo(tensorInfo("k", 7, 2)));
    }

    @Test
    void oneNameDeclaredWithTwoElementTypes() {
        assertProblem("graph 'main': value 'r' is declared with element types f32 and f16",
                valid().addValueInfo(tensorInfo("r", 1, "N")).addValueInfo(tensorInfo("r", 10, "N")));
    }

    @Test
    void everyUsedDomainNeedsAnOpsetImport() {
        GraphProto.Builder g = valid();
        g.setNode(0, g.getNode(0).toBuilder().setDomain("com.example"));
        assertProblem("graph 'main': node 'relu' (com.example.Relu) uses domain 'com.example', which has no opset import", g);
        ModelProto noDefault = ModelProto.newBuilder().setIrVersion(8).setGraph(valid()).build();
        assertEquals("graph 'main': node 'relu' (Relu) uses domain 'ai.onnx', which has no opset import",
                OnnxModelChecker.check(noDefault).get(0));
    }

    @Test
    void modelWithoutIrVersion() {
        assertEquals(List.of("model has no ir_version"),
                OnnxModelChecker.check(model(17).clearIrVersion().setGraph(valid()).build()));
    }

    @Test
    void theWriterRefusesAnInvalidModelAndWritesNothing() throws Exception {
        Path source = Protos.save(model(17).setGraph(valid()).build(), tmp.resolve("in.onnx"));
        Model m = new OnnxFormat().read(source);
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Path out = outDir.resolve("bad.onnx");
        // An extra output naming a value that does not exist is exactly what the checker must stop.
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxFormat.writeWithExtraOutputs(m, out, Map.of("ghost", DType.FLOAT32)));
        assertEquals(out + ": cannot write ONNX: the model would be invalid: graph 'main': output 'ghost' is not"
                + " produced by any node, input or initializer", e.getMessage());
        try (Stream<Path> files = Files.list(outDir)) {
            assertEquals(List.of(), files.toList(), "nothing may be left behind");
        }
        new OnnxFormat().write(m, out);
        assertTrue(Files.isRegularFile(out));
        assertFalse(OnnxModelChecker.check(ModelProto.parseFrom(Files.readAllBytes(out))).iterator().hasNext());
    }
}
