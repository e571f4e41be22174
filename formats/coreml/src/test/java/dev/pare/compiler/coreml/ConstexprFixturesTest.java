package dev.pare.compiler.coreml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decompresses every constexpr op of the coremltools 9.0 fixture packages with
 * {@link MilConstexprEvaluator} (operands read straight from the protos and weight.bin) and
 * compares each result with the {@code decompressed} hash coremltools recorded in expected.json.
 */
class ConstexprFixturesTest {

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void everyConstexprResultMatchesCoremltools(Row row) throws Exception {
        Map<String, Object> exp = CoreMlFixtures.expected(row);
        List<Object> expectedOps = MlPackageFixturesTest.list(MlPackageFixturesTest.map(exp.get("main")).get("ops"));
        MlPackage pkg = MlPackage.read(row.path());
        MilProto.Function fn = pkg.program().getFunctionsOrThrow("main");
        MilProto.Block block = fn.getBlockSpecializationsOrThrow(fn.getOpset());

        Map<String, TensorData> values = new HashMap<>();
        int checked = 0;
        for (int i = 0; i < block.getOperationsCount(); i++) {
            MilProto.Operation op = block.getOperations(i);
            if (op.getType().equals("const")) {
                values.put(op.getOutputs(0).getName(), value(pkg, op.getAttributesOrThrow("val")));
                continue;
            }
            if (!op.getType().startsWith("constexpr_")) continue;
            String name = op.getAttributesOrThrow("name").getImmediateValue().getTensor().getStrings().getValues(0);
            Map<String, TensorData> params = new LinkedHashMap<>();
            for (Map.Entry<String, MilProto.Value> a : op.getAttributesMap().entrySet()) {
                if (!a.getKey().equals("name")) params.put(a.getKey(), value(pkg, a.getValue()));
            }
            for (Map.Entry<String, MilProto.Argument> in : op.getInputsMap().entrySet()) {
                MilProto.Argument.Binding b = in.getValue().getArguments(0);
                params.put(in.getKey(), b.hasValue() ? value(pkg, b.getValue()) : values.get(b.getName()));
                assertNotNull(params.get(in.getKey()), name + " input " + in.getKey());
            }
            List<TensorData> results = MilConstexprEvaluator.evaluate("mil." + op.getType(), name, params);
            assertEquals(op.getOutputsCount(), results.size(), name);

            List<Object> decompressed = MlPackageFixturesTest.list(MlPackageFixturesTest.map(expectedOps.get(i)).get("decompressed"));
            for (int k = 0; k < results.size(); k++) {
                Map<String, Object> e = MlPackageFixturesTest.map(decompressed.get(k));
                TensorData r = results.get(k);
                String where = row.name() + " " + e.get("name");
                values.put(op.getOutputs(k).getName(), r);
                assertEquals(e.get("shape"), longs(r.type().shape()), where);
                assertEquals(MilTypes.tensorType(op.getOutputs(k).getType().getTensorType()).dtype(), r.dtype(), where);
                float[] f = asFloats(r);
                assertEquals(e.get("sha256_f32"), CoreMlFixtures.sha256(CoreMlFixtures.floats(f)), where);
                long nonzero = 0;
                for (float v : f) if (v != 0f) nonzero++;
                assertEquals(((Number) e.get("nonzero_count")).longValue(), nonzero, where);
                checked++;
            }
        }
        int expected = 0;
        for (Object o : MlPackageFixturesTest.list(exp.get("constexpr_values"))) {
            expected += MlPackageFixturesTest.list(MlPackageFixturesTest.map(o).get("outputs")).size();
        }
        assertEquals(expected, checked);
        if (row.name().contains("pal") || row.name().contains("int") || row.name().contains("prune") || row.name().contains("w8a8")) {
            assertTrue(checked > 0, row.name() + " has compressed weights");
        }
    }

    private static TensorData value(MlPackage pkg, MilProto.Value v) throws Exception {
        return v.hasBlobFileValue() ? pkg.blobValue(v) : MilValues.immediate(v, pkg.modelFile());
    }

    /** One float per element (masks and indices as their integer values), the fixtures' hash input. */
    private static float[] asFloats(TensorData t) {
        ByteBuffer b = t.bytes();
        DType dt = t.dtype();
        float[] out = new float[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < out.length; i++) {
            if (dt == DType.FLOAT32) out[i] = b.getFloat(i * 4);
            else if (dt == DType.FLOAT16) out[i] = Float16.toFloat(b.getShort(i * 2));
            else if (dt == DType.INT8) out[i] = b.get(i);
            else if (dt == DType.UINT8) out[i] = b.get(i) & 0xFF;
            else if (dt.isSubByte()) out[i] = SubByte.get(b, dt, i);
            else throw new AssertionError("unexpected result type " + t.type());
        }
        return out;
    }

    private static List<Object> longs(long[] shape) {
        List<Object> l = new ArrayList<>();
        for (long s : shape) l.add(s);
        return l;
    }
}
