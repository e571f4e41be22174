package dev.pare.compiler.compare;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ONNX model whose input and output names are not MIL identifiers ({@code input:0},
 * {@code out/1}) is converted to Core ML, and {@code pare compare} pairs the two through the
 * original names the package keeps ({@code com.github.pare.originalNames}).
 */
class OriginalNamesComparisonTest {

    @TempDir Path tmp;

    /** {@code out/1 = input:0 + bias:1}, {@code out:2 = relu(out/1)}. */
    private Path onnxModel() throws Exception {
        Graph g = new Graph("names");
        Rewriter rw = g.rewriter();
        TensorType t = TensorType.of(DType.FLOAT32, 1, 4);
        Value x = rw.addInput("input:0", t);
        Value b = rw.addInput("bias:1", t);
        Value sum = rw.createNode("add", "onnx.Add", List.of(x, b), List.of("out/1"), List.of(t), Attributes.empty(),
                Location.created("test")).result(0);
        Value relu = rw.createNode("relu", "onnx.Relu", List.of(sum), List.of("out:2"), List.of(t), Attributes.empty(),
                Location.created("test")).result(0);
        rw.addOutput(sum);
        rw.addOutput(relu);
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        Path p = tmp.resolve("names.onnx");
        new OnnxFormat().write(OnnxLowering.lower(m), p);
        return p;
    }

    private Path convert(Path onnx) throws Exception {
        Model model = new OnnxFormat().read(onnx);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline("convert_to_mil"), model);
        Path pkg = tmp.resolve("names.mlpackage");
        LoweredCoreMl.write(model, pkg);
        return pkg;
    }

    private static CompareReport compare(Path a, Path b, Path data) throws CompareException {
        return new ModelComparison(ModelFormats.discover()).run(new CompareRequest(a, b, data, null, null, 0, 3, Map.of(), 1));
    }

    @Test
    void thePackageKeepsTheOriginalNamesAndTheReaderPutsThemOnTheValues() throws Exception {
        Path pkg = convert(onnxModel());
        MlPackage p = MlPackage.read(pkg);
        assertEquals(List.of("input_0", "bias_1"), p.model().getDescription().getInputList().stream().map(f -> f.getName()).toList());
        assertEquals("{\"input_0\":\"input:0\",\"bias_1\":\"bias:1\",\"out_1\":\"out/1\",\"out_2\":\"out:2\"}",
                p.model().getDescription().getMetadata().getUserDefinedOrThrow(CoreMlKeys.ORIGINAL_NAMES));

        Model read = new CoreMlFormat().read(pkg);
        assertEquals("input:0", read.graph().inputs().get(0).metadata().get(CoreMlKeys.ORIGINAL_NAME));
        assertEquals("out:2", read.graph().outputs().get(1).metadata().get(CoreMlKeys.ORIGINAL_NAME));
        assertTrue(!read.metadataProps().containsKey(CoreMlKeys.ORIGINAL_NAMES), "the record moved onto the values");
        // Written again, the record is rebuilt from the values.
        Path again = tmp.resolve("again.mlpackage");
        LoweredCoreMl.write(read, again);
        assertEquals(p.model().getDescription().getMetadata().getUserDefinedOrThrow(CoreMlKeys.ORIGINAL_NAMES),
                MlPackage.read(again).model().getDescription().getMetadata().getUserDefinedOrThrow(CoreMlKeys.ORIGINAL_NAMES));
    }

    @Test
    void compareMatchesInputsAndOutputsByOriginalName() throws Exception {
        Path onnx = onnxModel();
        Path pkg = convert(onnx);
        for (CompareReport r : List.of(compare(onnx, pkg, null), compare(pkg, onnx, null))) {
            assertEquals(List.of("out/1", "out:2"), r.outputs().stream().map(OutputComparison::nameA).toList());
            for (OutputComparison o : r.outputs()) assertEquals(0.0, o.maxAbsError(), o.toString());
            assertEquals(List.of(), r.onlyInA());
            assertEquals(List.of(), r.onlyInB());
        }
    }

    @Test
    void dataKeyedByOriginalNamesFeedsEitherSide() throws Exception {
        Path onnx = onnxModel();
        Path pkg = convert(onnx);
        Path npz = tmp.resolve("data.npz");
        try (OutputStream out = Files.newOutputStream(npz); ZipOutputStream zip = new ZipOutputStream(out)) {
            member(zip, "input:0.npy", new float[]{-2, -1, 0, 1, 2, 3, 4, 5});
            member(zip, "bias:1.npy", new float[]{0.5f, 0.5f, 0.5f, 0.5f, -9, 1, 1, 1});
        }
        CompareReport fromPackage = compare(pkg, onnx, npz);
        CompareReport fromOnnx = compare(onnx, pkg, npz);
        for (CompareReport r : List.of(fromPackage, fromOnnx)) {
            assertEquals(2, r.samples());
            for (OutputComparison o : r.outputs()) assertEquals(0.0, o.maxAbsError(), o.toString());
        }
    }

    /** A float32 batch of two {@code [1,4]} samples: {@code [2,1,4]}. */
    private static void member(ZipOutputStream zip, String name, float[] values) throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 4), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float v : values) b.putFloat(v);
        zip.putNextEntry(new ZipEntry(name));
        zip.write(b.array());
        zip.closeEntry();
    }
}
