package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ONNX format is found through ServiceLoader and chosen by extension. */
class OnnxFormatDiscoveryTest {

    @Test
    void registeredForDotOnnx() throws Exception {
        ModelFormats formats = ModelFormats.discover();
        OnnxFormat onnx = assertInstanceOf(OnnxFormat.class, formats.forPath(Path.of("dir/Model.ONNX")));
        assertEquals("onnx", onnx.name());
        assertEquals(List.of(".onnx"), onnx.extensions());
        Model m = formats.read(TestModels.MNIST);
        assertEquals("onnx", m.format());
        assertEquals(92, m.graph().nodes().size());
    }
}
