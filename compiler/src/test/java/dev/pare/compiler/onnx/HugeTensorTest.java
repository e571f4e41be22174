package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.BlobFile;
import dev.pare.compiler.coreml.BlobMetadata;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompileHook;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model with one fp32 external tensor of Qwen2-7B's embedding shape, 152064x3584 (2.18 GB, over
 * the 2 GiB one Java buffer holds), in a sparse file: it is inspected, and compiled with no passes
 * and with {@code DEFAULT} to ONNX and converted to a Core ML package, and the known bytes at its start, at 1 GiB and 2 GiB (chunk
 * boundaries) and at its end arrive at the right offsets. Each compile writes 2.18 GB, so the test
 * is tagged {@code large} and left out of the regular suite; {@code DenseDataChunksTest} in ir
 * covers the chunk boundaries with small chunks.
 */
@Tag("large")
class HugeTensorTest {

    private static final long ROWS = 152064;
    private static final long COLS = 3584;
    private static final long SIZE = ROWS * COLS * 4;
    /** Offsets inside the tensor where known bytes are put (the rest is the sparse file's zeros). */
    private static final long[] MARKS = {0, (1L << 30) - 3, (1L << 31) - 3, SIZE - 8};

    @TempDir Path tmp;

    private static byte[] mark(int i) {
        byte[] b = new byte[8];
        for (int k = 0; k < 8; k++) b[k] = (byte) (0x11 * (i + 1) + k);
        return b;
    }

    private static Path hugeModel(Path dir) throws IOException {
        Path data = dir.resolve("model.onnx.data");
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
            f.setLength(SIZE);
            for (int i = 0; i < MARKS.length; i++) {
                f.seek(MARKS[i]);
                f.write(mark(i));
            }
        }
        TensorProto embed = ExternalModels.externalTensor("embed", 0, "model.onnx.data", 0, SIZE).toBuilder()
                .clearDims().addDims(ROWS).addDims(COLS).build();
        // and an inline 1.2 MB tensor: the input is over 2 GiB, so it goes to external data too
        TensorProto small = TensorProto.newBuilder().setName("small").setDataType(1).addDims(300_000)
                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[1_200_000])).build();
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(tensorInfo("ids", 7, 1, 4))
                .addInput(tensorInfo("x", 1, 300_000))
                .addInitializer(embed).addInitializer(small)
                .addNode(node("gather", "Gather", List.of("embed", "ids"), List.of("y")))
                .addNode(node("add", "Add", List.of("x", "small"), List.of("z")))
                .addOutput(tensorInfo("y", 1, 1, 4, COLS)).addOutput(tensorInfo("z", 1, 300_000)).build();
        return Protos.save(Protos.model(13).setGraph(g).build(), dir.resolve("model.onnx"));
    }

    /** The known bytes are at {@code base + mark} in {@code file}. */
    private static void assertMarks(Path file, long base) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            for (int i = 0; i < MARKS.length; i++) {
                byte[] got = new byte[8];
                f.seek(base + MARKS[i]);
                f.readFully(got);
                assertArrayEquals(mark(i), got, file + " at " + (base + MARKS[i]));
            }
        }
    }

    private static CompileHook pipeline(PassManager pm, dev.pare.compiler.pipeline.PipelineSpec spec) {
        return m -> {
            try {
                pm.run(spec, m);
            } catch (PassManagerException e) {
                throw new IllegalStateException(e);
            }
            return m;
        };
    }

    @Test
    void aTensorOverTwoGibIsInspectedAndWrittenToOnnxAndCoreMl() throws Exception {
        Path in = hugeModel(Files.createDirectory(tmp.resolve("in")));
        ModelFormats formats = ModelFormats.discover();
        Model model = formats.read(in);
        ModelReport report = ModelInspector.inspect(model);
        assertEquals(SIZE + 1_200_000, report.bytes());
        assertTrue(ReportText.render(report, in.toString()).contains("embed"));

        Path onnx = tmp.resolve("out.onnx");
        new Compilation(formats).run(new CompileRequest(in, onnx, false));
        GraphProto written = ModelProto.parseFrom(Files.readAllBytes(onnx)).getGraph();
        assertEquals(TensorProto.DataLocation.EXTERNAL, written.getInitializer(0).getDataLocation());
        assertEquals(TensorProto.DataLocation.EXTERNAL, written.getInitializer(1).getDataLocation(), "planned before the passes");
        assertEquals((SIZE + 4095) / 4096 * 4096 + 1_200_000, Files.size(tmp.resolve("out.onnx.data")));
        assertMarks(tmp.resolve("out.onnx.data"), 0);
        Files.delete(tmp.resolve("out.onnx.data"));

        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        // the DEFAULT pipeline (cleanup) to ONNX, then convert_to_mil to a Core ML package
        Path cleaned = tmp.resolve("cleaned.onnx");
        new Compilation(formats, pipeline(pm, new PipelineCompiler(registry).parseInline("DEFAULT")))
                .run(new CompileRequest(in, cleaned, false));
        assertMarks(tmp.resolve("cleaned.onnx.data"), 0);
        Files.delete(tmp.resolve("cleaned.onnx.data"));

        Path pkg = tmp.resolve("out.mlpackage");
        new Compilation(formats, pipeline(pm, new PipelineCompiler(registry).parseInline("convert_to_mil")))
                .run(new CompileRequest(in, pkg, false, Map.of(), Map.of()));
        Path weights = pkg.resolve("Data/com.apple.CoreML/weights/weight.bin");
        BlobMetadata blob = BlobFile.open(weights).blobs().stream().filter(b -> b.sizeInBytes() == SIZE)
                .findFirst().orElseThrow();
        assertMarks(weights, blob.dataOffset());
    }
}
