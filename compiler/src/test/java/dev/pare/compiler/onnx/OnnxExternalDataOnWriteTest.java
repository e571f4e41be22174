package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tensors written to external data: which ones (threshold, made by a pass or read inline), where
 * (4096-aligned offsets in {@code <out>.data}), that ONNX Runtime computes the same as with the
 * inline file, that a stale {@code <out>.data} goes, and the error for an ONNX file over 2 GiB.
 */
class OnnxExternalDataOnWriteTest {

    @TempDir Path tmp;

    private static Map<String, String> external(TensorProto t) {
        Map<String, String> m = new HashMap<>();
        for (StringStringEntryProto e : t.getExternalDataList()) m.put(e.getKey(), e.getValue());
        return m;
    }

    /** Every initializer of at least {@code threshold} bytes is external at an aligned offset, the others inline. */
    private static void assertPlaced(Path out, long threshold) throws Exception {
        GraphProto g = ModelProto.parseFrom(Files.readAllBytes(out)).getGraph();
        int external = 0;
        for (TensorProto t : g.getInitializerList()) {
            long bytes = t.getDataLocation() == TensorProto.DataLocation.EXTERNAL
                    ? Long.parseLong(external(t).get("length")) : t.getRawData().size();
            boolean isExternal = t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
            assertEquals(bytes >= threshold, isExternal, t.getName() + " of " + bytes + " bytes");
            if (isExternal) {
                external++;
                assertEquals(out.getFileName() + ".data", external(t).get("location"));
                assertEquals(0, Long.parseLong(external(t).get("offset")) % 4096, t.getName());
            }
        }
        assertTrue(external > 0, "nothing went to external data");
    }

    private static void assertSameOutputs(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) assertArrayEquals(expected.get(k).floats(), actual.get(k).floats(), k);
    }

    @Test
    void mnistWithASmallThresholdRunsInOrtExactlyLikeTheInlineFile() throws Exception {
        OnnxFormat onnx = new OnnxFormat();
        Model model = onnx.read(TestModels.MNIST);
        Path inline = tmp.resolve("inline.onnx");
        onnx.write(model, inline);
        assertFalse(Files.exists(tmp.resolve("inline.onnx.data")), "read inline, written inline");

        model.setProperty(OnnxKeys.EXTERNAL_DATA_THRESHOLD, "1024");
        Path split = tmp.resolve("split.onnx");
        onnx.write(model, split);
        assertPlaced(split, 1024);
        assertTrue(Files.size(split) < 100_000, "the model file keeps only the small tensors: " + Files.size(split));

        Map<String, Tensor> in = RealModelInputs.mnistTestImages(50);
        assertSameOutputs(OrtRunner.run(inline, in), OrtRunner.run(split, in));
        // read back, the tensors are the same
        Model back = onnx.read(split);
        for (Value c : model.graph().constants()) {
            assertEquals(c.data().sha256(), back.graph().value(c.name()).orElseThrow().data().sha256(), c.name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PALETTIZE_4BIT", "QUANTIZE_INT4_BLOCK32"})
    void aCompressedMnistWithExternalDataRunsInOrtLikeTheInlineFile(String pipeline) throws Exception {
        OnnxFormat onnx = new OnnxFormat();
        Model model = onnx.read(TestModels.MNIST);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), model);
        model = dev.pare.compiler.onnx.lower.OnnxLowering.lower(model); // what pare compile appends for .onnx
        Path inline = tmp.resolve("inline.onnx");
        onnx.write(model, inline);   // mnist's compressed tensors are all below the 1 MiB default
        assertFalse(Files.exists(tmp.resolve("inline.onnx.data")));

        model.setProperty(OnnxKeys.EXTERNAL_DATA_THRESHOLD, "512");
        Path split = tmp.resolve("split.onnx");
        onnx.write(model, split);
        assertPlaced(split, 512);
        Map<String, Tensor> in = RealModelInputs.mnistTestImages(50);
        assertSameOutputs(OrtRunner.run(inline, in, OrtRunner.EXACT_MATMUL_NBITS),
                OrtRunner.run(split, in, OrtRunner.EXACT_MATMUL_NBITS));
    }

    /** A model {@code y_i = x + w_i} with inline float tensors of {@code elements} each. */
    private Path inlineModel(Path file, int elements, String... names) throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addInput(tensorInfo("x", 1, elements));
        for (int t = 0; t < names.length; t++) {
            ByteBuffer b = ByteBuffer.allocate(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < elements; i++) b.putFloat(i * 0.25f + t);
            g.addInitializer(TensorProto.newBuilder().setName(names[t]).setDataType(1).addDims(elements)
                    .setRawData(ByteString.copyFrom(b.flip())));
            g.addNode(node("add" + t, "Add", List.of("x", names[t]), List.of("y" + t)));
            g.addOutput(tensorInfo("y" + t, 1, elements));
        }
        return Protos.save(Protos.model(13).setGraph(g).build(), file);
    }

    @Test
    void byDefaultOnlyTensorsAPassMadeGoOutAndInlineOnesStay() throws Exception {
        int elements = 300_000;   // 1.2 MB each, over the 1 MiB default
        Path in = inlineModel(tmp.resolve("in.onnx"), elements, "kept", "made");
        OnnxFormat onnx = new OnnxFormat();
        Model model = onnx.read(in);
        Value made = model.graph().value("made").orElseThrow();
        ByteBuffer copy = made.data().bytes();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        model.graph().rewriter().setConstantData(made, TensorData.of(made.data().type(), bytes));  // as a pass makes it

        Path out = tmp.resolve("out.onnx");
        onnx.write(model, out);
        GraphProto g = ModelProto.parseFrom(Files.readAllBytes(out)).getGraph();
        assertEquals(TensorProto.DataLocation.DEFAULT, g.getInitializer(0).getDataLocation());
        assertEquals(Map.of("location", "out.onnx.data", "offset", "0", "length", Long.toString(elements * 4L)),
                external(g.getInitializer(1)));
        assertEquals(elements * 4L, Files.size(tmp.resolve("out.onnx.data")));
        float[] x = new float[elements];
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {elements}, x));
        assertSameOutputs(OrtRunner.run(in, feeds), OrtRunner.run(out, feeds));
    }

    @Test
    void aModelTooLargeInlineIsWrittenWithExternalDataInstead() throws Exception {
        int elements = 300_000;   // 1.2 MB each, read inline; three of them pass a 2 MB limit
        Path in = inlineModel(tmp.resolve("in.onnx"), elements, "a", "b", "c");
        Path out = tmp.resolve("out.onnx");
        OnnxWriter.write(new OnnxFormat().read(in), out, p -> p, 2_000_000);
        assertPlaced(out, OnnxFormat.DEFAULT_EXTERNAL_DATA_THRESHOLD);
        assertTrue(Files.size(out) < 10_000, "all three went out: " + Files.size(out));
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {elements}, new float[elements]));
        assertSameOutputs(OrtRunner.run(in, feeds), OrtRunner.run(out, feeds));

        Path small = inlineModel(tmp.resolve("small.onnx"), 200_000, "a", "b", "c");   // 800 KB each, under 1 MiB
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxWriter.write(new OnnxFormat().read(small), tmp.resolve("small-out.onnx"), p -> p, 2_000_000));
        assertEquals(tmp.resolve("small-out.onnx") + ": cannot write ONNX: the model file would be 2400226 bytes even "
                + "with every initializer of 1048576 bytes or more in external data, over the 2 GiB protobuf limit; "
                + "lower --external-data-threshold", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("small-out.onnx")));
    }

    @Test
    void aStaleDataFileGoesWhenTheNewOutputHasNoExternalData() throws Exception {
        OnnxFormat onnx = new OnnxFormat();
        Path in = inlineModel(tmp.resolve("in.onnx"), 1000, "w");
        Model model = onnx.read(in);
        Path out = tmp.resolve("out.onnx");
        model.setProperty(OnnxKeys.EXTERNAL_DATA_THRESHOLD, "0");
        onnx.write(model, out);
        assertEquals(4000, Files.size(tmp.resolve("out.onnx.data")));

        onnx.write(onnx.read(in), out);
        assertFalse(Files.exists(tmp.resolve("out.onnx.data")), "the old out.onnx.data was left behind");
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));
    }

    @Test
    void anOnnxFileOverTwoGibNamesTheLimitAndExternalData() throws Exception {
        Path big = tmp.resolve("big.onnx");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((1L << 31) + 5);   // sparse: no disk used
        }
        try {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> new OnnxFormat().read(big));
            assertEquals(big + ": the file is 2147483653 bytes, over the 2 GiB protobuf limit (2147483647 bytes) an "
                    + "ONNX model file can hold; its weights must be stored as external data (re-save it with "
                    + "onnx.save_model(model, path, save_as_external_data=True))", e.getMessage());
        } finally {
            Files.delete(big);
        }
    }
}
