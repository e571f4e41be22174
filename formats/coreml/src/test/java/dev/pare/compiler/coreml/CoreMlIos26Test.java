package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code --target ios26}: specification version 10 and opset CoreML9, int8 features, the LUT-first
 * order of a scaled palettized weight (and the scaled-LUT order below iOS26), and the round trip
 * through the reader and the MIL interpreter.
 */
class CoreMlIos26Test {

    @TempDir Path tmp;

    private final CoreMlFormat coreml = new CoreMlFormat();

    private Path write(MilGraphs g, String target) throws Exception {
        g.target(target);
        Path out = tmp.resolve(target + "-" + System.nanoTime() + ".mlpackage");
        LoweredCoreMl.write(g.model, out);
        return out;
    }

    private static MilProto.Function main(MlPackage pkg) throws Exception {
        return pkg.program().getFunctionsOrThrow("main");
    }

    private static List<String> opTypes(MlPackage pkg, String opset) throws Exception {
        return main(pkg).getBlockSpecializationsOrThrow(opset).getOperationsList().stream().map(MilProto.Operation::getType).toList();
    }

    @Test
    void targetIsSpecificationTenWithOpsetCoreML9() throws Exception {
        assertEquals(CoreMlTarget.IOS26, CoreMlTarget.parse("iOS26").orElseThrow());
        MilGraphs g = new MilGraphs(3);
        g.linear(g.constant("W", MilGraphs.f32(new long[]{2, 3}, 6, 1f)), g.constant("b", MilGraphs.f32(new long[]{2}, 2, 0f)));
        MlPackage pkg = MlPackage.read(write(g, "ios26"));
        assertEquals(10, pkg.model().getSpecificationVersion());
        assertEquals("CoreML9", main(pkg).getOpset());
        assertEquals(List.of("CoreML9"), List.copyOf(main(pkg).getBlockSpecializationsMap().keySet()));
    }

    /** {@code x: i8[1,4] -> cast fp32 -> relu -> cast int8 -> y: i8[1,4]}. */
    private static MilGraphs int8Model() {
        MilGraphs g = new MilGraphs(4);
        g.rw.setType(g.input(), TensorType.of(DType.INT8, 1, 4));
        Attributes castParams = Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "dtype"))));
        Value f = g.op("xf", "mil.cast", List.of(g.input(), g.constant("to_fp32", MilTensors.stringScalar("fp32"))),
                TensorType.of(DType.FLOAT32, 1, 4), castParams);
        Value r = g.op("r", "mil.relu", List.of(f), TensorType.of(DType.FLOAT32, 1, 4),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x")))));
        Value y = g.op("y", "mil.cast", List.of(r, g.constant("to_int8", MilTensors.stringScalar("int8"))),
                TensorType.of(DType.INT8, 1, 4), castParams);
        g.rw.addOutput(y);
        return g;
    }

    @Test
    void int8InputsAndOutputsAreDescribedAsInt8AndRunAfterReading() throws Exception {
        Path out = write(int8Model(), "ios26");
        CoreMlModelProto.ModelDescription d = MlPackage.read(out).model().getDescription();
        assertEquals(ArrayDataType.INT8, d.getInput(0).getType().getMultiArrayType().getDataType());
        assertEquals(ArrayDataType.INT8, d.getOutput(0).getType().getMultiArrayType().getDataType());
        assertEquals(131080, d.getInput(0).getType().getMultiArrayType().getDataTypeValue());

        Model read = coreml.read(out);
        assertEquals("10", read.properties().get(CoreMlKeys.SPECIFICATION_VERSION));
        assertEquals(TensorType.of(DType.INT8, 1, 4), read.graph().inputs().get(0).type());
        TensorData x = TensorData.of(TensorType.of(DType.INT8, 1, 4), new byte[]{-3, 0, 5, 127});
        TensorData y = new MilInterpreter(read.graph()).run(Map.of("x", x)).get("y");
        assertEquals(TensorType.of(DType.INT8, 1, 4), y.type());
        assertEquals(TensorData.of(TensorType.of(DType.INT8, 1, 4), new byte[]{0, 0, 5, 127}).sha256(), y.sha256());

        // Written again without --target, it stays an iOS26 package.
        Path again = tmp.resolve("again.mlpackage");
        coreml.write(read, again);
        assertEquals(10, MlPackage.read(again).model().getSpecificationVersion());
    }

    @Test
    void int8FeaturesBelowIos26AreRefused() {
        MilGraphs g = int8Model().target("ios18");
        Path out = tmp.resolve("i8.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoweredCoreMl.write(g.model, out));
        assertEquals(out + ": input 'x' has dtype i8; Core ML ML Program features are i8 from specification version 10 on: "
                + "use --target ios26 (now ios18), or cast it to i32", e.getMessage());
    }

    @Test
    void ios18OnlyFeaturesAreAllowedAtIos26() throws Exception {
        MilGraphs g = new MilGraphs(16);
        long[] shape = {8, 16};
        // 3-bit palettization: "needs --target ios18 or later" below.
        g.linear(g.lut("W", MilGraphs.packed(DType.UINT3, shape, MilGraphs.cycle(128, 8)),
                MilGraphs.f32(new long[]{1, 1, 8, 1}, 8, -1f), DType.FLOAT32, shape, null), g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        assertEquals(List.of("constexpr_lut_to_dense"), opTypes(MlPackage.read(write(g, "ios26")), "CoreML9").stream()
                .filter(t -> t.startsWith("constexpr_")).toList());
    }

    // ---- palettization with a per-channel scale --------------------------------------------------

    /** {@code W = affine(lut_to_dense(indices, lut[2 groups of 4 rows]), scale per row)} feeding a linear. */
    private static MilGraphs scaledPalettized() {
        MilGraphs g = new MilGraphs(16);
        long[] shape = {8, 16};
        long[] idx = new long[128];
        for (int i = 0; i < idx.length; i++) idx[i] = (i * 7 + i / 16) % 16;
        Value pal = g.lut("W_pal", MilGraphs.packed(DType.UINT4, shape, idx),
                MilGraphs.f32(new long[]{2, 1, 16, 1}, 32, -3.1f), DType.FLOAT32, shape, null);
        float[] scales = new float[8];
        for (int i = 0; i < 8; i++) scales[i] = 0.37f + 0.113f * i;
        Value scaled = g.op("W", "pare.affine_dequantize", List.of(pal, g.constant("W_pcs", TensorData.ofFloats(new long[]{8, 1}, scales))),
                TensorType.of(DType.FLOAT32, shape), Attributes.empty());
        g.linear(scaled, g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        return g;
    }

    private static List<MilProto.Operation> constexprOps(MlPackage pkg, String opset) throws Exception {
        return main(pkg).getBlockSpecializationsOrThrow(opset).getOperationsList().stream()
                .filter(op -> op.getType().startsWith("constexpr_")).toList();
    }

    @Test
    void scaledLutIsLookedUpFirstAtIos26AndScaledFirstAtIos18() throws Exception {
        MlPackage ios26 = MlPackage.read(write(scaledPalettized(), "ios26"));
        List<MilProto.Operation> lutFirst = constexprOps(ios26, "CoreML9");
        assertEquals(List.of("constexpr_lut_to_dense", "constexpr_blockwise_shift_scale"), lutFirst.stream().map(MilProto.Operation::getType).toList());
        assertEquals(Map.of("data", "var", "scale", "FLOAT32[8,1] immediate", "->", "FLOAT32[8,16]"),
                CoreMlLoweringTest.signature(lutFirst.get(1)));

        MlPackage ios18 = MlPackage.read(write(scaledPalettized(), "ios18"));
        List<MilProto.Operation> scaleFirst = constexprOps(ios18, "CoreML8");
        assertEquals(List.of("constexpr_blockwise_shift_scale", "constexpr_lut_to_dense"), scaleFirst.stream().map(MilProto.Operation::getType).toList());
        // One LUT per row: the 2 LUT groups of 4 rows meet 8 scale rows.
        assertEquals(Map.of("data", "FLOAT32[8,1,16,1] blob", "scale", "FLOAT32[8,1,1,1] immediate", "->", "FLOAT32[8,1,16,1]"),
                CoreMlLoweringTest.signature(scaleFirst.get(0)));
        assertEquals(Map.of("indices", "UINT4[8,16] blob", "lut", "var", "->", "FLOAT32[8,16]"), CoreMlLoweringTest.signature(scaleFirst.get(1)));
    }

    @Test
    void bothOrdersDecodeToTheSameBitsAndRunAlike() throws Exception {
        MilGraphs g = scaledPalettized();
        Value w = g.graph.value("W").orElseThrow();
        Value pal = g.graph.value("W_pal").orElseThrow();
        TensorData decoded = PareDialectEvaluator.evaluate("pare.affine_dequantize",
                List.of(PareDialectEvaluator.evaluate("pare.lut_to_dense", List.of(pal.producer().operand(0).data(), pal.producer().operand(1).data()),
                        Attributes.empty()), w.producer().operand(1).data()), Attributes.empty());
        TensorData x = MilGraphs.f32(new long[]{1, 16}, 16, -2f);
        String expected = null;
        for (String target : List.of("ios18", "ios26")) {
            Model read = coreml.read(write(scaledPalettized(), target));
            // The reader keeps the constexpr chain; the interpreter decodes it to the pare weight bit for bit.
            Value weight = read.graph().nodes().stream().filter(n -> n.op().equals("mil.linear")).findFirst().orElseThrow().operand(1);
            Map<String, TensorData> run = new MilInterpreter(read.graph()).run(Map.of("x", x), List.of(weight));
            assertEquals(decoded.sha256(), run.get(weight.name()).sha256(), target);
            if (expected == null) expected = run.get("y").sha256();
            assertEquals(expected, run.get("y").sha256(), target);
        }
    }
}
