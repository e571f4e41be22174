package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.FeatureTypes;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.StringData;
import dev.pare.ir.Value;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A uint8 ONNX input and output (Core ML features have no uint8 type, on any target): the package
 * has int32 features, a cast to uint8 at the start of the program and to int32 at the end, and
 * records the ONNX dtypes; the interpreter run matches ONNX Runtime on the full 0..255 range.
 */
class ConvertToMilUint8FeaturesTest {

    @TempDir Path tmp;

    /** scaled = float(pix) * (1/255); flipped = transpose(pix), still uint8. */
    static GraphProto pixels() {
        return new OnnxGraphBuilder("u8_io").input("pix", UINT8, 2, 3)
                .floats("scale", new long[0], 1f / 255f)
                .node("Cast", new String[] {"pix"}, new String[] {"f"}, intAttr("to", FLOAT))
                .node("Mul", "scaled", "f", "scale")
                .node("Transpose", new String[] {"pix"}, new String[] {"flipped"}, ints("perm", 1, 0))
                .output("scaled", FLOAT, 2, 3).output("flipped", UINT8, 3, 2).build();
    }

    @Test
    void uint8FeaturesAreInt32WithCastsAndMatchOnnxRuntime() throws Exception {
        Path onnx = OnnxGraphBuilder.write(pixels(), tmp.resolve("u8_io.onnx"));
        Path pkg = tmp.resolve("u8_io.mlpackage");
        Model m = ConvertedVsOrt.convert(onnx, List.of(), pkg);

        CoreMlModelProto.ModelDescription d = MlPackage.read(pkg).model().getDescription();
        assertEquals(List.of("pix:INT32"), d.getInputList().stream()
                .map(f -> f.getName() + ":" + f.getType().getMultiArrayType().getDataType()).toList());
        assertEquals(List.of("scaled:FLOAT32", "flipped:INT32"), d.getOutputList().stream()
                .map(f -> f.getName() + ":" + f.getType().getMultiArrayType().getDataType()).toList());
        assertEquals("{\"pix\":\"u8\",\"flipped\":\"u8\"}", d.getMetadata().getUserDefinedOrThrow(CoreMlKeys.ORIGINAL_DTYPES));

        Value pix = m.graph().inputs().get(0);
        assertEquals("u8", pix.metadata().get(FeatureTypes.ORIGINAL_DTYPE));
        assertEquals(1, pix.uses().size());
        Node cast = pix.uses().get(0).user();
        assertEquals("mil.cast", cast.op());
        assertEquals(m.graph().nodes().get(0), cast);
        assertEquals(List.of("uint8"), cast.operands().stream().filter(v -> v.data() instanceof StringData)
                .map(v -> new String(((StringData) v.data()).element(0), StandardCharsets.UTF_8)).toList());

        for (long[] values : new long[][] {{0, 1, 127, 128, 200, 255}, {255, 254, 3, 64, 9, 0}}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("pix", ConvertedVsOrt.longs(new long[] {2, 3}, values)), 0);
        }
    }
}
