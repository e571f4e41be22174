package dev.pare.compiler.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelInspectorTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = ModelInspectorTest.class.getResourceAsStream("/inspect/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void findsAWeightInEveryKindOfStorage() {
        Model m = SampleModels.everyStorage();
        assertEquals(List.of(), Verifier.verify(m.graph()));
        ModelReport r = ModelInspector.inspect(m);

        assertEquals(List.of("bias", "w", "mask", "ext", "shape", "step", "two", "ConstantOfShape_9.value"),
                r.weights().stream().map(WeightReport::name).toList());
        assertEquals(List.of(Storage.INPUT_DEFAULT, Storage.INITIALIZER, Storage.SPARSE_INITIALIZER,
                        Storage.EXTERNAL_FILE, Storage.CONSTANT_NODE, Storage.INITIALIZER, Storage.CONSTANT_NODE,
                        Storage.NODE_ATTRIBUTE),
                r.weights().stream().map(WeightReport::storage).toList());
        assertEquals(new WeightReport("", "mask", List.of(1L, 2L), DType.FLOAT32, 2, 12, Storage.SPARSE_INITIALIZER,
                "", "", 1, List.of("Add_6")), r.weights().get(2));
        assertEquals(new WeightReport("", "shape", List.of(2L), DType.INT64, 2, 16, Storage.CONSTANT_NODE,
                "Constant_2", "", -1, List.of("Reshape_3", "ConstantOfShape_9")), r.weights().get(4));
        assertEquals(new WeightReport("Loop_4/body", "step", List.of(2L), DType.FLOAT32, 2, 8, Storage.INITIALIZER,
                "", "", -1, List.of("Add_0")), r.weights().get(5));
        assertEquals("weights.bin", r.weights().get(3).location());

        assertEquals(20, r.parameters());
        assertEquals(92, r.bytes());
        assertEquals(List.of(new DTypeTotal(DType.FLOAT32, 7, 18, 76), new DTypeTotal(DType.INT64, 1, 2, 16)),
                r.dtypeTotals());
        assertEquals(11, r.nodes());
        assertEquals(1, r.subgraphNodes());
        assertEquals(new OpCount("onnx.Add", 3), r.ops().get(0));
        assertEquals(List.of(new Model.OpsetImport("", 13), new Model.OpsetImport("com.microsoft", 1)), r.opsets());
        assertEquals(Map.of("ir_version", "7", "producer_name", "pare-test"), r.properties());
    }

    @Test
    void textReportIsExact() throws IOException {
        ModelReport r = ModelInspector.inspect(SampleModels.everyStorage());
        assertEquals(resource("every-storage.txt"), ReportText.render(r, "sample.onnx"));
    }

    @Test
    void jsonReportIsExact() throws IOException {
        ModelReport r = ModelInspector.inspect(SampleModels.everyStorage());
        assertEquals(resource("every-storage.json"), ReportJson.write(r, "sample.onnx"));
    }

    @Test
    void opsTieBreakByNameAndDtypesBySize() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 2));
        Value a = rw.addConstant("a", TensorData.ofFloats(new long[] {2}, 1, 2));
        Value b = rw.addConstant("b", TensorData.ofLongs(new long[] {2}, 1, 2));
        Value s = node(rw, "Sub", "onnx.Sub", List.of(x, a), "s");
        Value t = node(rw, "Add", "onnx.Add", List.of(s, b), "t");
        rw.addOutput(t);
        ModelReport r = ModelInspector.inspect(new Model("onnx", g));
        assertEquals(List.of(new OpCount("onnx.Add", 1), new OpCount("onnx.Sub", 1)), r.ops());
        assertEquals(List.of(new DTypeTotal(DType.INT64, 1, 2, 16), new DTypeTotal(DType.FLOAT32, 1, 2, 8)),
                r.dtypeTotals());
    }

    @Test
    void graphListsStringsAndUnnamedNodes() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.BOOL));
        Graph thenG = new Graph("then", g);
        Rewriter tr = thenG.rewriter();
        Value label = tr.addConstant("label", new StringData(TensorType.of(DType.STRING, 2),
                List.of("yes".getBytes(StandardCharsets.UTF_8), "no".getBytes(StandardCharsets.UTF_8)), Map.of()));
        tr.addOutput(label);
        Graph elseG = new Graph("else", g);
        Rewriter er = elseG.rewriter();
        Value ints = node(er, "c", "onnx.Constant", List.of(), "ints",
                Attributes.builder().put("value_ints", Attribute.ofInts(4, 5, 6)).build());
        er.addOutput(ints);
        Value out = rw.createNode("", "onnx.Sequence", List.of(x), List.of("out"), List.of(TensorType.unknown()),
                Attributes.builder().put("branches", new Attribute.GraphsAttr(List.of(thenG, elseG))).build(),
                Location.UNKNOWN).result(0);
        rw.addOutput(out);
        ModelReport r = ModelInspector.inspect(new Model("onnx", g));
        assertEquals(List.of(
                new WeightReport("<Sequence>/branches[0]", "label", List.of(2L), DType.STRING, 2, 5, Storage.INITIALIZER,
                        "", "", -1, List.of()),
                new WeightReport("<Sequence>/branches[1]", "ints", List.of(3L), DType.INT64, 3, 24, Storage.CONSTANT_NODE,
                        "c", "", -1, List.of())), r.weights());
        assertTrue(r.hasSubgraphWeights());
    }

    @Test
    void usersBeyondThreeAreSummarised() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value w = rw.addConstant("w", TensorData.ofFloats(new long[] {1}, 1));
        Value last = w;
        for (int i = 0; i < 5; i++) last = node(rw, "n" + i, "onnx.Add", List.of(last, w), "v" + i);
        rw.addOutput(last);
        String text = ReportText.render(ModelInspector.inspect(new Model("onnx", g)), "m.onnx");
        assertTrue(text.contains("  w     [1]    f32     4 B  initializer  n0, n1, n2, +2 more\n"), text);
    }

    @Test
    void emptyModel() {
        Graph g = new Graph("empty");
        String text = ReportText.render(ModelInspector.inspect(new Model("onnx", g)), "e.onnx");
        assertEquals("""
                Model e.onnx (onnx)
                Opsets: none

                Graph empty: 0 inputs, 0 outputs
                  port  name  type

                Ops: 0 nodes, 0 op types

                Weights: 0 tensors, 0 parameters, 0 B
                """, text);
    }

    @Test
    void readableSizes() {
        assertEquals("0 B", ReportText.size(0));
        assertEquals("1023 B", ReportText.size(1023));
        assertEquals("1.0 KiB", ReportText.size(1024));
        assertEquals("2.1 MiB", ReportText.size(2_189_608));
        assertEquals("3.0 GiB", ReportText.size(3L << 30));
        assertEquals("547,402", ReportText.count(547_402));
    }

    private static Value node(Rewriter r, String name, String op, List<Value> operands, String result) {
        return node(r, name, op, operands, result, Attributes.empty());
    }

    private static Value node(Rewriter r, String name, String op, List<Value> operands, String result, Attributes a) {
        return r.createNode(name, op, operands, List.of(result), List.of(TensorType.unknown()), a, Location.UNKNOWN)
                .result(0);
    }
}
