package dev.pare.compiler.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.GuiceServiceLookup;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrtModelExecutorTest {

    private static float[] floats(TensorData t) {
        FloatBuffer b = t.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        return v;
    }

    @Test
    void runsTheGraphAndCapturesIntermediateValuesWithoutChangingIt() throws Exception {
        Model model = new OnnxFormat().read(TestModels.MNIST);
        Node firstConv = model.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        Node gemm = model.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).findFirst().orElseThrow();
        int outputs = model.graph().outputs().size();
        OrtRunner.Tensor images = RealModelInputs.mnistTestImages(4).get("input");
        Map<String, OrtRunner.Tensor> expected = OrtRunner.run(TestModels.MNIST, Map.of("input", images));

        ModelExecutor executor = new OrtModelExecutor(model, 1);
        Map<String, TensorData> out;
        try (ModelExecutor.Session s = executor.open(model.graph(), List.of(firstConv.result(0), gemm.operand(0)))) {
            out = s.run(Map.of("input", TensorData.ofFloats(images.shape(), images.floats())));
        }
        assertEquals(List.of("logits", firstConv.result(0).name(), gemm.operand(0).name()), List.copyOf(out.keySet()));
        assertArrayEquals(expected.get("logits").floats(), floats(out.get("logits")), 1e-5f);
        TensorData conv = out.get(firstConv.result(0).name());
        assertEquals(DType.FLOAT32, conv.dtype());
        assertEquals(4, conv.type().shape()[0]);
        assertEquals(4, conv.type().shape().length);
        assertEquals(outputs, model.graph().outputs().size(), "the graph keeps its outputs");
    }

    @Test
    void refusesToCaptureAConstant() throws Exception {
        Model model = new OnnxFormat().read(TestModels.MNIST);
        Value weight = model.graph().constants().get(0);
        ModelExecutionException e = assertThrows(ModelExecutionException.class,
                () -> new OrtModelExecutor(model, 1).open(model.graph(), List.of(weight)));
        assertEquals("cannot capture '" + weight.name() + "': not a computed value of graph " + model.graph().name(), e.getMessage());
    }

    @Test
    void compilerModuleBindsAnExecutorForTheModelOfARun() throws Exception {
        Model model = new OnnxFormat().read(TestModels.MNIST);
        GuiceServiceLookup lookup = Guice.createInjector(new CompilerModule(CompilerConfig.defaults()))
                .getInstance(GuiceServiceLookup.class);
        assertTrue(lookup.find(ModelExecutor.class).isEmpty(), "no executor outside a run over a model");
        ModelExecutor executor = lookup.forModel(model).find(ModelExecutor.class).orElseThrow();
        assertTrue(executor instanceof OrtModelExecutor);
    }
}
