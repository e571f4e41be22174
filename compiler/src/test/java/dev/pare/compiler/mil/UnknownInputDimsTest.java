package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs as Paddle exports them (PP-OCRv3): dim_value -1 and dim_param "?" are unknown dims, so
 * the input keeps its element type and input_shapes fixes H and W to different sizes.
 */
class UnknownInputDimsTest {

    @TempDir Path tmp;

    @Test
    void minusOneAndQuestionMarkDimsAreUnknownAndTakeTheGivenShape() throws Exception {
        Path onnx = OnnxGraphBuilder.write(new OnnxGraphBuilder("paddle").input("x", FLOAT, -1, 2, "?", "?")
                .node("Relu", "y", "x").output("y", FLOAT, -1, 2, "?", "?").build(), tmp.resolve("paddle.onnx"));
        assertEquals("f32[?,2,?,?]", new OnnxFormat().read(onnx).graph().inputs().get(0).type().toString());
        Model m = ConvertedVsOrt.convert(onnx, List.of("x:1,2,3,4"), tmp.resolve("paddle.mlpackage"));
        assertEquals("f32[1,2,3,4]", m.graph().inputs().get(0).type().toString());
        float[] x = new float[24];
        for (int i = 0; i < x.length; i++) x[i] = i - 12;
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(new long[] {1, 2, 3, 4}, x)), 0);
    }
}
