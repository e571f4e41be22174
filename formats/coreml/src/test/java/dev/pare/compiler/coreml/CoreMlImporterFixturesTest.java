package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.pare.compiler.coreml.MlPackageFixturesTest.list;
import static dev.pare.compiler.coreml.MlPackageFixturesTest.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Imports every coremltools 9.0 fixture into the mil dialect and compares the graph with expected.json. */
class CoreMlImporterFixturesTest {

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    private static Model read(Row row) throws Exception {
        return new CoreMlFormat().read(row.path());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void graphMatchesExpected(Row row) throws Exception {
        Map<String, Object> exp = CoreMlFixtures.expected(row);
        Map<String, Object> main = map(exp.get("main"));
        Model model = read(row);
        Graph g = model.graph();

        assertEquals("coreml", model.format());
        assertEquals("main", g.name());
        assertEquals(Integer.toString(row.specVersion()), model.properties().get(CoreMlKeys.SPECIFICATION_VERSION));
        assertEquals(row.opset(), model.properties().get(CoreMlKeys.OPSET));
        assertEquals(map(exp.get("description")).get("metadata"), model.metadataProps());
        assertTrue(model.functions().isEmpty());

        List<Object> inputs = list(main.get("inputs"));
        assertEquals(inputs.size(), g.inputs().size());
        for (int i = 0; i < inputs.size(); i++) checkTyped(map(inputs.get(i)), g.inputs().get(i));
        List<String> outs = new ArrayList<>();
        for (Value v : g.outputs()) outs.add(v.name());
        assertEquals(main.get("outputs"), outs);

        int nodeIndex = 0;
        int constOps = 0;
        int inline = 0;
        for (Object o : list(main.get("ops"))) {
            Map<String, Object> op = map(o);
            String where = row.name() + " op " + op.get("index") + " " + op.get("name");
            if (op.get("type").equals("const")) {
                constOps++;
                Map<String, Object> out = map(list(op.get("outputs")).get(0));
                Value c = g.value((String) out.get("name")).orElseThrow();
                assertTrue(c.isConstant(), where);
                checkTyped(out, c);
                checkData(map(map(op.get("attributes")).get("val")), c.data(), where);
                assertEquals(String.valueOf(op.get("index")), c.metadata().get(CoreMlKeys.OP_INDEX), where);
                continue;
            }
            Node n = g.nodes().get(nodeIndex++);
            assertEquals("mil." + op.get("type"), n.op(), where);
            assertEquals(op.get("name"), n.name(), where);
            List<Object> results = list(op.get("outputs"));
            assertEquals(results.size(), n.results().size(), where);
            for (int k = 0; k < results.size(); k++) checkTyped(map(results.get(k)), n.result(k));

            // Operands by parameter: name bindings resolve to the named value, inline values and
            // iOS16 constexpr attributes become constants holding the same data.
            Map<String, List<Object>> byParam = new TreeMap<>();
            map(op.get("inputs")).forEach((k, v) -> byParam.put(k, list(v)));
            if (op.get("type").toString().startsWith("constexpr_") && op.containsKey("attributes")) {
                map(op.get("attributes")).forEach((k, v) -> byParam.put(k, List.of(Map.of("inline_value", v))));
            }
            assertEquals(byParam.keySet(), new java.util.TreeSet<>(MilParams.names(n)), where);
            for (Map.Entry<String, List<Object>> p : byParam.entrySet()) {
                List<Value> operands = MilParams.all(n, p.getKey());
                assertEquals(p.getValue().size(), operands.size(), where + " " + p.getKey());
                for (int k = 0; k < operands.size(); k++) {
                    Object binding = p.getValue().get(k);
                    Value v = operands.get(k);
                    if (binding instanceof String) {
                        assertEquals(binding, v.name(), where + " " + p.getKey());
                    } else {
                        inline++;
                        assertTrue(v.isConstant(), where);
                        assertEquals("true", v.metadata().get(CoreMlKeys.INLINE), where);
                        checkData(map(map(binding).get("inline_value")), v.data(), where + " " + p.getKey());
                    }
                }
            }
        }
        assertEquals(nodeIndex, g.nodes().size());
        assertEquals(constOps + inline, g.constants().size());
        assertEquals(List.of(), Verifier.verify(g));
    }

    private static void checkTyped(Map<String, Object> e, Value v) {
        assertEquals(e.get("name"), v.name());
        assertEquals(e.get("dtype"), v.tensorType().dtype().name(), v.name());
        List<Object> shape = new ArrayList<>();
        for (long s : v.tensorType().shape()) shape.add(s);
        assertEquals(e.get("shape"), shape, v.name());
    }

    /** Type and content of a constant against an expected.json value (blob or immediate). */
    private static void checkData(Map<String, Object> e, TensorData d, String where) {
        assertEquals(e.get("dtype"), d.dtype().name(), where);
        List<Object> shape = new ArrayList<>();
        for (long s : d.type().shape()) shape.add(s);
        assertEquals(e.get("shape"), shape, where);
        assertEquals(e.get("storage"), d.annotation(CoreMlKeys.STORAGE), where);
        if ("blob".equals(e.get("storage"))) {
            DenseData dense = (DenseData) d;
            assertFalse(dense.isMaterialized(), where + ": blob read before its bytes were asked for");
            assertEquals("file weight.bin@" + e.get("data_offset"), dense.origin(), where);
            assertEquals(e.get("file"), d.annotation(CoreMlKeys.BLOB_FILE), where);
            assertEquals(String.valueOf(e.get("metadata_offset")), d.annotation(CoreMlKeys.BLOB_OFFSET), where);
            assertEquals(e.get("sha256_data"), CoreMlFixtures.sha256(d.bytes()), where);
            assertEquals(e.get("sha256_f32"), CoreMlFixtures.sha256(MlPackageFixturesTest.asFloat32(dense)), where);
        } else if (e.containsKey("value")) {
            assertEquals(MlPackageFixturesTest.expectedElements(e.get("value")), MlPackageFixturesTest.elements(d), where);
        } else {
            assertEquals(e.get("sha256_f32"), CoreMlFixtures.sha256(MlPackageFixturesTest.asFloat32((DenseData) d)), where);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void readingMapsNoWeight(Row row) throws Exception {
        Model model = read(row);
        int blobs = 0;
        for (Value c : model.graph().constants()) {
            if (!"blob".equals(c.data().annotation(CoreMlKeys.STORAGE))) continue;
            blobs++;
            DenseData d = (DenseData) c.data();
            assertFalse(d.isMaterialized(), c.name());
        }
        assertEquals(((Number) map(CoreMlFixtures.expected(row).get("main")).get("const_blob_count")).intValue(), blobs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void printedIrIsStable(Row row) throws Exception {
        String first = IrPrinter.print(read(row).graph());
        assertEquals(first, IrPrinter.print(read(row).graph()));
    }

    /** The golden text of the smallest fixture: a transformer block, fp32, iOS18. */
    @Test
    void goldenTextOfTheBlockFixture() throws Exception {
        Row row = CoreMlFixtures.PACKAGES.get(9);
        Path golden = Path.of("src/test/resources/coreml/block_fp32_ios18.ir");
        String actual = IrPrinter.print(read(row).graph());
        if (Boolean.getBoolean("pare.updateGolden")) Files.writeString(golden, actual);
        assertEquals(Files.readString(golden), actual);
    }
}
