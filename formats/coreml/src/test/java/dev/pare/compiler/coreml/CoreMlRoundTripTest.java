package dev.pare.compiler.coreml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lossless round trip of every coremltools fixture: read, write for the same target with no pass,
 * read again. The two models must agree on every op (type, name, order), every parameter binding
 * (the bound value's name, type and, for constants, the sha256 of its bytes), every result, the
 * graph inputs/outputs, the model properties and metadata, and the ModelDescription message as
 * written; and the MIL interpreter must give bit-identical outputs on a fixed random input.
 */
class CoreMlRoundTripTest {

    @TempDir Path tmp;

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void readWriteReadIsLossless(Row row) throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model original = coreml.read(row.path());
        Path out = tmp.resolve(row.name() + ".mlpackage");
        coreml.write(original, out);
        Model again = coreml.read(out);

        List<String> a = describe(original.graph());
        List<String> b = describe(again.graph());
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) assertEquals(a.get(i), b.get(i), row.name() + " line " + i);
        assertEquals(a.size(), b.size(), row.name() + " line count");
        assertEquals(original.properties(), again.properties(), row.name() + " properties");
        assertEquals(original.metadataProps(), again.metadataProps(), row.name() + " userDefined metadata");
        // userDefined is a protobuf map: its order is not part of the model (the writer sorts keys).

        CoreMlModelProto.Model before = spec(row.path());
        CoreMlModelProto.Model after = spec(out);
        assertEquals(before.getSpecificationVersion(), after.getSpecificationVersion(), row.name());
        assertEquals(before.getDescription(), after.getDescription(), row.name() + " ModelDescription");
        assertEquals(before.getIsUpdatable(), after.getIsUpdatable(), row.name());
        assertEquals(before.getMlProgram().getFunctionsMap().keySet(), after.getMlProgram().getFunctionsMap().keySet(), row.name());
        for (String fn : before.getMlProgram().getFunctionsMap().keySet()) {
            assertEquals(before.getMlProgram().getFunctionsOrThrow(fn).getOpset(), after.getMlProgram().getFunctionsOrThrow(fn).getOpset(),
                    row.name() + " opset of " + fn);
        }

        Map<String, TensorData> inputs = fixedInputs(original.graph());
        Map<String, TensorData> expected = new MilInterpreter(original.graph()).run(inputs);
        Map<String, TensorData> actual = new MilInterpreter(again.graph()).run(inputs);
        assertEquals(expected.keySet(), actual.keySet(), row.name());
        assertFalse(expected.isEmpty(), row.name());
        for (String k : expected.keySet()) {
            assertEquals(expected.get(k).type(), actual.get(k).type(), row.name() + " output " + k);
            assertEquals(CoreMlFixtures.sha256(expected.get(k).bytes()), CoreMlFixtures.sha256(actual.get(k).bytes()),
                    row.name() + " output " + k + " bits");
        }
    }

    @org.junit.jupiter.api.Test
    void authorLicenseVersionAndUserDefinedSurviveARoundTrip() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model m = coreml.read(CoreMlFixtures.PACKAGES.get(9).path());
        m.setProperty(CoreMlExporter.AUTHOR, "Ada");
        m.setProperty(CoreMlExporter.LICENSE, "MIT");
        m.setProperty(CoreMlExporter.VERSION_STRING, "1.2.3");
        m.setProperty(CoreMlExporter.SHORT_DESCRIPTION, "a block");
        m.setMetadataProp("team", "pare");
        Path out = tmp.resolve("meta.mlpackage");
        coreml.write(m, out);
        Model again = coreml.read(out);
        CoreMlModelProto.Metadata md = spec(out).getDescription().getMetadata();
        assertEquals(List.of("Ada", "MIT", "1.2.3", "a block", "pare"),
                List.of(md.getAuthor(), md.getLicense(), md.getVersionString(), md.getShortDescription(), md.getUserDefinedOrThrow("team")));
        assertEquals(m.metadataProps(), again.metadataProps());
        for (String k : List.of(CoreMlExporter.AUTHOR, CoreMlExporter.LICENSE, CoreMlExporter.VERSION_STRING, CoreMlExporter.SHORT_DESCRIPTION)) {
            assertEquals(m.properties().get(k), again.properties().get(k), k);
        }
    }

    /** A deterministic random input for each graph input (floats in [-1, 1), ints in [0, 8)). */
    static Map<String, TensorData> fixedInputs(Graph g) {
        Random random = new Random(26);
        Map<String, TensorData> inputs = new LinkedHashMap<>();
        for (Value in : g.inputs()) {
            TensorType t = (TensorType) in.type();
            long[] shape = t.shape();
            int n = Math.toIntExact(t.elementCount());
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = t.dtype() == DType.INT32 ? random.nextInt(8) : random.nextFloat() * 2 - 1;
            inputs.put(in.name(), MilTensor.floats(t.dtype(), java.util.Arrays.stream(shape).mapToInt(Math::toIntExact).toArray(), f).toData());
        }
        return inputs;
    }

    /** One line per input, node (op, name, params with bound values, results) and output. */
    static List<String> describe(Graph g) {
        List<String> lines = new ArrayList<>();
        for (Value in : g.inputs()) lines.add("input " + in.name() + " : " + in.type());
        for (Node n : g.allNodes()) {
            StringBuilder sb = new StringBuilder(n.op()).append(' ').append(n.name()).append('(');
            List<String> params = n.attributes().get(MilParams.ATTRIBUTE).isPresent() ? MilParams.names(n) : List.of();
            // Bindings are matched by parameter name (MIL_DIALECT.md: consumers never rely on operand
            // order); a stable sort keeps the element order of a tuple parameter.
            List<String> bindings = new ArrayList<>();
            for (int i = 0; i < n.operands().size(); i++) {
                Value v = n.operand(i);
                String b = (i < params.size() ? params.get(i) : "#" + i) + "=" + v.name() + ":" + v.type();
                if (v.isConstant()) b += " sha256=" + CoreMlFixtures.sha256(bytes(v.data()));
                bindings.add(b);
            }
            bindings.sort(java.util.Comparator.comparing(b -> b.substring(0, b.indexOf('='))));
            sb.append(String.join(", ", bindings));
            sb.append(") ->");
            for (Value r : n.results()) sb.append(' ').append(r.name()).append(':').append(r.type());
            for (Map.Entry<String, dev.pare.ir.Attribute> a : n.attributes().asMap().entrySet()) {
                if (!a.getKey().equals(MilParams.ATTRIBUTE)) sb.append(" {").append(a.getKey()).append('=').append(a.getValue()).append('}');
            }
            lines.add(sb.toString());
        }
        for (Value out : g.outputs()) lines.add("output " + out.name() + " : " + out.type());
        return lines;
    }

    private static ByteBuffer bytes(TensorData d) {
        if (!(d instanceof dev.pare.ir.StringData s)) return d.bytes();
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.size(); i++) { b.writeBytes(s.element(i)); b.write(0); }
        return ByteBuffer.wrap(b.toByteArray());
    }

    private static CoreMlModelProto.Model spec(Path pkg) throws Exception {
        return CoreMlModelProto.Model.parseFrom(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL_PATH)));
    }

}
