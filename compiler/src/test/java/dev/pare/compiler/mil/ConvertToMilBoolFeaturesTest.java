package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.ConvertedVsOrt.scalar;
import static dev.pare.compiler.mil.OnnxGraphBuilder.BOOL;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.graph;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.FeatureTypes;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Value;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bool ONNX input and output (Core ML features cannot be bool): the package has int32 features,
 * a cast to bool at the start of the program and to int32 at the end, and records the ONNX dtypes
 * next to the original names; the interpreter run matches ONNX Runtime fed the same truth values.
 */
class ConvertToMilBoolFeaturesTest {

    @TempDir Path tmp;

    private static final long[] X_SHAPE = {2, 3};
    private static final float[] X = {0.5f, 1f, -0.25f, 2f, 0.75f, -1f};

    /**
     * As ONNX's test_loop11: a Loop whose condition is the bool input {@code cond} (with the trip
     * count m) adds x to v per iteration; {@code positive = v_final > 0} is a bool output.
     */
    static GraphProto boolLoop() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 2, 3)
                .node("Add", "v_out", "v", "x").node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 2, 3).build();
        return new OnnxGraphBuilder("bool_io").input("x", FLOAT, 2, 3).input("m", INT64).input("cond", BOOL)
                .floats("zero", new long[0], 0f)
                .node("Loop", new String[] {"m", "cond", "x"}, new String[] {"v_final"}, graph("body", body))
                .node("Greater", "positive", "v_final", "zero")
                .output("v_final", FLOAT, 2, 3).output("positive", BOOL, 2, 3).build();
    }

    @Test
    void boolFeaturesAreInt32WithCastsAndTheOnnxDTypesInTheMetadata() throws Exception {
        Path onnx = OnnxGraphBuilder.write(boolLoop(), tmp.resolve("bool_io.onnx"));
        Path pkg = tmp.resolve("bool_io.mlpackage");
        Model m = ConvertedVsOrt.convert(onnx, List.of(), pkg);

        CoreMlModelProto.ModelDescription d = MlPackage.read(pkg).model().getDescription();
        assertEquals(List.of("x:FLOAT32", "m:INT32", "cond:INT32"), d.getInputList().stream()
                .map(f -> f.getName() + ":" + f.getType().getMultiArrayType().getDataType()).toList());
        assertEquals(List.of("v_final:FLOAT32", "positive:INT32"), d.getOutputList().stream()
                .map(f -> f.getName() + ":" + f.getType().getMultiArrayType().getDataType()).toList());
        assertEquals(ArrayDataType.INT32, d.getInput(2).getType().getMultiArrayType().getDataType());
        assertEquals("{\"m\":\"i64\",\"cond\":\"bool\",\"positive\":\"bool\"}",
                d.getMetadata().getUserDefinedOrThrow(CoreMlKeys.ORIGINAL_DTYPES));

        // read back: the records are on the values, the cond input is cast to bool before any use
        Value cond = m.graph().inputs().get(2);
        assertEquals("bool", cond.metadata().get(FeatureTypes.ORIGINAL_DTYPE));
        assertEquals("i64", m.graph().inputs().get(1).metadata().get(FeatureTypes.ORIGINAL_DTYPE));
        assertEquals(null, m.graph().inputs().get(0).metadata().get(FeatureTypes.ORIGINAL_DTYPE));
        assertEquals("bool", m.graph().outputs().get(1).metadata().get(FeatureTypes.ORIGINAL_DTYPE));
        assertEquals(1, cond.uses().size());
        Node cast = cond.uses().get(0).user();
        assertEquals("mil.cast", cast.op());
        assertEquals(m.graph().nodes().get(0), cast);
        Node last = m.graph().outputs().get(1).producer();
        assertEquals("mil.cast", last.op());
        assertEquals(List.of("int32", "positive_bool"), last.operands().stream()
                .map(v -> v.name().equals("positive_bool") ? v.name() : new String(((dev.pare.ir.StringData) v.data()).element(0), java.nio.charset.StandardCharsets.UTF_8))
                .toList());
        assertEquals(false, m.metadataProps().containsKey(CoreMlKeys.ORIGINAL_DTYPES), "the record moved onto the values");
    }

    @Test
    void theConvertedModelMatchesOnnxRuntimeForBothTruthValues() throws Exception {
        Path onnx = OnnxGraphBuilder.write(boolLoop(), tmp.resolve("bool_io.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("bool_io.mlpackage"));
        // cond false runs no iteration (v_final = x, positive where x > 0); true runs m of them
        for (long c : new long[] {0, 1}) {
            for (long trips : new long[] {0, 2}) {
                ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(X_SHAPE, X), "m", scalar(trips), "cond", scalar(c)), 0);
            }
        }
    }
}
