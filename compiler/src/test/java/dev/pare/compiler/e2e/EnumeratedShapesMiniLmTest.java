package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileHook;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MiniLM compiled with {@code --input-shape input_ids=1,64|1,128}: the three inputs share
 * [batch, sequence], so all get the enumerated shapes; the package's description lists them, the
 * MIL program keeps the sequence symbolic, and the reference interpreter matches ONNX Runtime at
 * both shapes. Tolerance as in {@link CoreMlPackagesMatchOrtTest}.
 */
class EnumeratedShapesMiniLmTest {

    private static final double TOLERANCE = 2e-5;
    private static final List<String> INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");

    private static PassRegistry registry;

    @TempDir Path tmp;

    @BeforeAll
    static void discover() throws Exception {
        registry = PassRegistry.discover(EnumeratedShapesMiniLmTest.class.getClassLoader());
    }

    private Path compile(Path out, String target) throws CompilationException {
        CompileHook convert = m -> {
            run("convert_to_mil", m);
            return m;
        };
        ModelFormats formats = new ModelFormats(List.of(new OnnxFormat(), new CoreMlFormat()));
        new Compilation(formats, convert).run(new CompileRequest(TestModels.MINILM, out, false,
                Map.of(CoreMlTarget.PROPERTY, target), Map.of(),
                Map.of("input_ids", List.of(List.of(1L, 64L), List.of(1L, 128L)))));
        return out;
    }

    @Test
    void everyLinkedInputGetsTheShapesAndThePackageMatchesOrtAtEach() throws Exception {
        assertTrue(Files.isRegularFile(TestModels.MINILM), TestModels.MINILM + " is missing; build the compiler module (mvn test)");
        Path pkg = compile(tmp.resolve("minilm.mlpackage"), "ios18");

        CoreMlModelProto.Model spec = MlPackage.read(pkg).model();
        assertEquals(9, spec.getSpecificationVersion());
        assertEquals(INPUTS, spec.getDescription().getInputList().stream().map(CoreMlModelProto.FeatureDescription::getName).toList());
        for (CoreMlModelProto.FeatureDescription f : spec.getDescription().getInputList()) {
            CoreMlFeatureTypesProto.ArrayFeatureType a = f.getType().getMultiArrayType();
            assertEquals(CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.INT32, a.getDataType(), f.getName());
            assertEquals(List.of(1L, 64L), a.getShapeList(), f.getName() + " default shape");
            assertEquals(2, a.getEnumeratedShapes().getShapesCount(), f.getName());
            assertEquals(List.of(1L, 64L), a.getEnumeratedShapes().getShapes(0).getShapeList(), f.getName());
            assertEquals(List.of(1L, 128L), a.getEnumeratedShapes().getShapes(1).getShapeList(), f.getName());
            assertFalse(a.hasShapeRange(), f.getName());
        }

        // Read back: the program's sequence dimension is not folded to one size; the shapes are kept.
        CoreMlFormat coreml = new CoreMlFormat();
        Model read = coreml.read(pkg);
        for (int i = 0; i < INPUTS.size(); i++) {
            TensorType t = read.graph().inputs().get(i).tensorType();
            assertEquals(new Dim.Fixed(1), t.dims().get(0));
            assertFalse(t.dims().get(1) instanceof Dim.Fixed, INPUTS.get(i) + " sequence must stay symbolic, is " + t);
            assertEquals("1,64|1,128", read.graph().inputs().get(i).metadata().get(CoreMlKeys.ENUMERATED_SHAPES));
        }
        String shown = ModelInspector.inspect(read).inputs().get(0).type();
        assertTrue(shown.endsWith(" shapes 1,64|1,128"), shown);

        // A read -> write round trip keeps the description's inputs.
        Path again = tmp.resolve("again.mlpackage");
        LoweredCoreMl.write(read, again);
        assertEquals(spec.getDescription().getInputList(), MlPackage.read(again).model().getDescription().getInputList());

        for (int seq : new int[]{64, 128}) {
            Map<String, Tensor> inputs = tokens(seq);
            Map<String, Tensor> expected = OrtRunner.run(TestModels.MINILM, inputs);
            Map<String, TensorData> in = new HashMap<>();
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) in.put(e.getKey(), ints(e.getValue()));
            Map<String, TensorData> actual = new MilInterpreter(read.graph()).run(in);
            assertEquals(expected.size(), actual.size());
            List<String> names = List.copyOf(actual.keySet());
            int k = 0;
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                float[] x = e.getValue().floats();
                float[] a = MilTensor.of(actual.get(names.get(k++))).toFloats();
                assertEquals(x.length, a.length, e.getKey() + " at sequence " + seq);
                double maxAbs = 0;
                double scale = 0;
                for (int i = 0; i < x.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs((double) x[i] - a[i]));
                    scale = Math.max(scale, Math.abs(x[i]));
                }
                double relative = maxAbs / Math.max(1, scale);
                System.out.printf(Locale.ROOT, "MiniLM enumerated shapes, sequence %d, %s: max abs %.3g, rel %.3g%n",
                        seq, e.getKey(), maxAbs, relative);
                assertTrue(relative <= TOLERANCE, e.getKey() + " at sequence " + seq + ": max abs " + maxAbs);
            }
        }
    }

    @Test
    void severalEnumeratedInputsBeforeIos18AreABadRequest() {
        Path out = tmp.resolve("minilm17.mlpackage");
        CompilationException e = org.junit.jupiter.api.Assertions.assertThrows(CompilationException.class, () -> compile(out, "ios17"));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(TestModels.MINILM + ": --input-shape: inputs input_ids, attention_mask, token_type_ids get enumerated shapes; "
                + "Core ML allows enumerated shapes on several inputs from iOS18 (specification version 9), not ios17: "
                + "use --target ios18 or later", e.getMessage());
        assertFalse(Files.exists(out));
    }

    /** One sequence of {@code seq} tokens: [CLS], random ids, [SEP], then 7 padding positions (mask 0). */
    private static Map<String, Tensor> tokens(int seq) {
        long[] ids = new long[seq];
        long[] mask = new long[seq];
        long[] types = new long[seq];
        int len = seq - 7;
        SplittableRandom r = new SplittableRandom(seq);
        for (int s = 0; s < seq; s++) {
            ids[s] = s == 0 ? 101 : s == len - 1 ? 102 : s < len ? 1000 + r.nextInt(20000) : 0;
            mask[s] = s < len ? 1 : 0;
        }
        long[] shape = {1, seq};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, mask));
        in.put("token_type_ids", Tensor.ofLongs(shape, types));
        return in;
    }

    private static TensorData ints(Tensor t) {
        int[] shape = java.util.Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
        int[] v = java.util.Arrays.stream(t.longs()).mapToInt(Math::toIntExact).toArray();
        return MilTensor.ints(DType.INT32, shape, v).toData();
    }

    private static void run(String pipeline, Model model) {
        try {
            PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                    .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
            pm.run(new PipelineCompiler(registry).parseInline(pipeline), model);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
