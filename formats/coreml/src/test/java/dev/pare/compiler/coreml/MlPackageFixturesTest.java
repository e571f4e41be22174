package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Float16;
import dev.pare.ir.StringData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads every coremltools 9.0 fixture package and compares it with its expected.json. */
class MlPackageFixturesTest {

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void modelAndDescriptionMatchTheFixtureTable(Row row) throws Exception {
        Map<String, Object> exp = CoreMlFixtures.expected(row);
        MlPackage pkg = MlPackage.read(row.path());
        CoreMlModelProto.Model model = pkg.model();

        assertEquals(row.specVersion(), model.getSpecificationVersion());
        assertEquals(((Number) exp.get("specification_version")).intValue(), model.getSpecificationVersion());
        assertTrue(model.hasMlProgram());
        MilProto.Program program = pkg.program();
        assertEquals(1L, program.getVersion());
        assertEquals(exp.get("functions"), new ArrayList<>(program.getFunctionsMap().keySet()));

        Map<String, Object> desc = map(exp.get("description"));
        checkFeatures(list(desc.get("inputs")), model.getDescription().getInputList());
        checkFeatures(list(desc.get("outputs")), model.getDescription().getOutputList());
        assertEquals(desc.get("metadata"), model.getDescription().getMetadata().getUserDefinedMap());
    }

    private static void checkFeatures(List<Object> expected, List<CoreMlModelProto.FeatureDescription> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Map<String, Object> e = map(expected.get(i));
            CoreMlModelProto.FeatureDescription f = actual.get(i);
            assertEquals(e.get("name"), f.getName());
            assertEquals("multiArrayType", e.get("type"));
            CoreMlFeatureTypesProto.ArrayFeatureType a = f.getType().getMultiArrayType();
            assertEquals(e.get("dataType"), a.getDataType().name());
            assertEquals(e.get("shape"), new ArrayList<Object>(a.getShapeList()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void mainFunctionOpsAndBlobsMatchExpected(Row row) throws Exception {
        Map<String, Object> exp = CoreMlFixtures.expected(row);
        Map<String, Object> main = map(exp.get("main"));
        MlPackage pkg = MlPackage.read(row.path());
        MilProto.Function fn = pkg.program().getFunctionsOrThrow("main");

        assertEquals(row.opset(), fn.getOpset());
        assertEquals(main.get("opset"), fn.getOpset());
        assertEquals(main.get("block_specializations"), new ArrayList<>(fn.getBlockSpecializationsMap().keySet()));
        List<Object> inputs = list(main.get("inputs"));
        assertEquals(inputs.size(), fn.getInputsCount());
        for (int i = 0; i < inputs.size(); i++) checkNamedType(map(inputs.get(i)), fn.getInputs(i));

        MilProto.Block block = fn.getBlockSpecializationsOrThrow(fn.getOpset());
        assertEquals(main.get("outputs"), new ArrayList<Object>(block.getOutputsList()));
        List<Object> ops = list(main.get("ops"));
        assertEquals(row.ops(), block.getOperationsCount());
        assertEquals(ops.size(), block.getOperationsCount());
        int blobRefs = 0;
        for (int i = 0; i < ops.size(); i++) {
            Map<String, Object> e = map(ops.get(i));
            MilProto.Operation op = block.getOperations(i);
            String where = row.name() + " op " + i;
            assertEquals(e.get("type"), op.getType(), where);
            assertEquals(e.get("name"), op.getAttributesOrThrow("name").getImmediateValue().getTensor()
                    .getStrings().getValues(0), where);
            List<Object> outs = list(e.get("outputs"));
            assertEquals(outs.size(), op.getOutputsCount(), where);
            for (int k = 0; k < outs.size(); k++) checkNamedType(map(outs.get(k)), op.getOutputs(k));

            Map<String, Object> expInputs = map(e.get("inputs"));
            assertEquals(new TreeSet<>(expInputs.keySet()), new TreeSet<>(op.getInputsMap().keySet()), where);
            for (Map.Entry<String, Object> in : expInputs.entrySet()) {
                List<Object> bindings = list(in.getValue());
                MilProto.Argument arg = op.getInputsOrThrow(in.getKey());
                assertEquals(bindings.size(), arg.getArgumentsCount(), where + " input " + in.getKey());
                for (int k = 0; k < bindings.size(); k++) {
                    MilProto.Argument.Binding b = arg.getArguments(k);
                    if (bindings.get(k) instanceof String) {
                        assertEquals(bindings.get(k), b.getName(), where);
                    } else {
                        Map<String, Object> inline = map(map(bindings.get(k)).get("inline_value"));
                        blobRefs += checkValue(pkg, inline, b.getValue(), where + " input " + in.getKey());
                    }
                }
            }
            Map<String, Object> attrs = e.containsKey("attributes") ? map(e.get("attributes")) : Map.of();
            TreeSet<String> actualAttrs = new TreeSet<>(op.getAttributesMap().keySet());
            actualAttrs.remove("name");
            assertEquals(new TreeSet<>(attrs.keySet()), actualAttrs, where);
            for (Map.Entry<String, Object> a : attrs.entrySet()) {
                blobRefs += checkValue(pkg, map(a.getValue()), op.getAttributesOrThrow(a.getKey()),
                        where + " attribute " + a.getKey());
            }
        }
        assertEquals(((Number) main.get("const_blob_count")).intValue(), blobRefs);
        Map<String, Object> header = map(exp.get("weight_bin_header"));
        BlobFile weights = pkg.blobFile("@model_path/weights/weight.bin");
        assertEquals(pkg.weightsDir().resolve("weight.bin"), weights.file());
        assertEquals(row.path().resolve("Data/com.apple.CoreML/weights").toAbsolutePath().normalize(), pkg.weightsDir());
        assertEquals(((Number) header.get("count")).longValue(), weights.count());
    }

    /** Checks type and, for blob storage, the metadata fields and hashes; returns 1 per blob reference. */
    private static int checkValue(MlPackage pkg, Map<String, Object> e, MilProto.Value v, String where) throws Exception {
        MilProto.TensorType tt = v.getType().getTensorType();
        assertEquals(e.get("dtype"), tt.getDataType().name(), where);
        assertEquals(((Number) e.get("rank")).longValue(), tt.getRank(), where);
        if (!"blob".equals(e.get("storage"))) {
            assertEquals("immediate", e.get("storage"), where);
            TensorData t = MilValues.immediate(v, pkg.modelFile());
            assertEquals(e.get("shape"), longs(t.type().shape()), where);
            if (e.containsKey("value")) {
                assertEquals(expectedElements(e.get("value")), elements(t), where);
            } else {
                assertEquals(e.get("sha256_f32"), CoreMlFixtures.sha256(asFloat32((DenseData) t)), where);
            }
            return 0;
        }
        assertTrue(v.hasBlobFileValue(), where);
        assertEquals(e.get("file"), v.getBlobFileValue().getFileName(), where);
        long offset = v.getBlobFileValue().getOffset();
        assertEquals(((Number) e.get("metadata_offset")).longValue(), offset, where);
        BlobMetadata m = pkg.blobFile(v.getBlobFileValue().getFileName()).metadata(offset);
        assertEquals(((String) e.get("blob_dtype")).toUpperCase(java.util.Locale.ROOT), m.dtype().name(), where);
        assertEquals(((Number) e.get("size_in_bytes")).longValue(), m.sizeInBytes(), where);
        assertEquals(((Number) e.get("data_offset")).longValue(), m.dataOffset(), where);
        assertEquals(((Number) e.get("padding_size_in_bits")).longValue(), m.paddingBits(), where);

        DenseData data = pkg.blobValue(v);
        assertEquals("mapped", data.origin(), where);
        assertEquals(e.get("shape"), longs(data.type().shape()), where);
        assertEquals(((Number) e.get("num_elements")).longValue(), data.type().elementCount(), where);
        assertEquals(e.get("sha256_data"), CoreMlFixtures.sha256(data.bytes()), where);
        assertEquals(e.get("sha256_f32"), CoreMlFixtures.sha256(asFloat32(data)), where);
        return 1;
    }

    /** One float32 per element, as the fixture hash convention says (sub-byte values unpacked). */
    static ByteBuffer asFloat32(DenseData data) {
        ByteBuffer b = data.bytes();
        int n = Math.toIntExact(data.type().elementCount());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) element(b, data.type().dtype(), i);
        return CoreMlFixtures.floats(out);
    }

    private static double element(ByteBuffer b, DType dt, int i) {
        if (dt == DType.FLOAT32) return b.getFloat(i * 4);
        if (dt == DType.FLOAT64) return b.getDouble(i * 8);
        if (dt == DType.FLOAT16) return Float16.toFloat(b.getShort(i * 2));
        if (dt == DType.INT8) return b.get(i);
        if (dt == DType.UINT8 || dt == DType.BOOL) return Byte.toUnsignedInt(b.get(i));
        if (dt == DType.INT16) return b.getShort(i * 2);
        if (dt == DType.UINT16) return Short.toUnsignedInt(b.getShort(i * 2));
        if (dt == DType.INT32) return b.getInt(i * 4);
        if (dt == DType.UINT32) return Integer.toUnsignedLong(b.getInt(i * 4));
        if (dt == DType.INT64 || dt == DType.UINT64) return b.getLong(i * 8);
        if (dt.isSubByte()) return SubByte.get(b, dt, i);
        throw new AssertionError("no numeric view for " + dt);
    }

    /** A decoded immediate as the dump script writes it: a scalar for rank 0, else a flat list. */
    static Object elements(TensorData t) {
        List<Object> out = new ArrayList<>();
        if (t instanceof StringData) {
            StringData s = (StringData) t;
            for (int i = 0; i < s.size(); i++) out.add(new String(s.element(i), StandardCharsets.UTF_8));
        } else {
            ByteBuffer b = t.bytes();
            for (int i = 0; i < t.elementCount(); i++) out.add(element(b, t.dtype(), i));
        }
        return t.type().rank() == 0 ? out.get(0) : out;
    }

    static Object expectedElements(Object value) {
        if (value instanceof Number) return ((Number) value).doubleValue();
        if (value instanceof String) return value;
        List<Object> out = new ArrayList<>();
        flatten(value, out);
        return out;
    }

    private static void flatten(Object value, List<Object> out) {
        if (value instanceof List) {
            for (Object o : (List<?>) value) flatten(o, out);
        } else {
            out.add(expectedElements(value));
        }
    }

    private static void checkNamedType(Map<String, Object> e, MilProto.NamedValueType actual) {
        assertEquals(e.get("name"), actual.getName());
        MilProto.TensorType tt = actual.getType().getTensorType();
        assertEquals(e.get("dtype"), tt.getDataType().name(), actual.getName());
        assertEquals(((Number) e.get("rank")).longValue(), tt.getRank(), actual.getName());
        TensorType t = MilTypes.tensorType(tt);
        assertFalse(t.dtype() == DType.UNDEFINED, actual.getName());
        assertEquals(e.get("shape"), longs(t.shape()), actual.getName());
    }

    private static List<Object> longs(long[] shape) {
        List<Object> l = new ArrayList<>();
        for (long s : shape) l.add(s);
        return l;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) { return (List<Object>) o; }
}
