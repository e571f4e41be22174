package dev.pare.compiler.coreml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lower_to_coreml pass: pare.* ops become the constexpr ops the Core ML reader builds from a
 * package of that target, a refusal is a pass failure (CL001) that leaves the model as it was, and
 * the writer takes only lowered models.
 */
class LowerToCoreMlTest {

    @TempDir Path tmp;

    private static final long[] W = {4, 8};

    private static void run(String pipeline, Model model) throws Exception {
        PassRegistry registry = PassRegistry.discover(LowerToCoreMlTest.class.getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), model);
    }

    /** y = A + B with A a 4-bit palettized weight and B int8 per channel (or {@code bBits}-bit palettized). */
    private static MilGraphs twoWeights(DType bIndices) {
        MilGraphs g = new MilGraphs(8);
        Value a = g.lut("A", MilGraphs.packed(DType.UINT4, W, MilGraphs.cycle(32, 16)), MilGraphs.f32(new long[]{1, 1, 16, 1}, 16, -1f),
                DType.FLOAT32, W, null);
        Value b = bIndices == null
                ? g.affine("B", MilGraphs.bytes(DType.INT8, W, MilGraphs.cycle(32, 100)), MilGraphs.f32(new long[]{4, 1}, 4, 0.5f), null)
                : g.lut("B", MilGraphs.packed(bIndices, W, MilGraphs.cycle(32, 1L << bIndices.bits())),
                        MilGraphs.f32(new long[]{1, 1, 1L << bIndices.bits(), 1}, (int) (1L << bIndices.bits()), 3f), DType.FLOAT32, W, null);
        Value y = g.op("y", "mil.add", List.of(a, b), TensorType.of(DType.FLOAT32, W),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "y")))));
        g.rw.addOutput(y);
        return g;
    }

    /** Each constexpr result by name: op, then param -> operand type, then the result type. */
    private static Map<String, String> constexprForm(Graph g) {
        Map<String, String> form = new TreeMap<>();
        for (Node n : g.nodes()) {
            if (!n.op().startsWith("mil.constexpr_")) continue;
            Map<String, String> params = new TreeMap<>();
            List<String> names = MilParams.names(n);
            for (int i = 0; i < names.size(); i++) params.put(names.get(i), n.operand(i).type().toString());
            form.put(n.result(0).name(), n.op() + " " + params + " -> " + n.result(0).type());
        }
        return form;
    }

    @Test
    void loweringGivesTheFormTheReaderBuildsFromThePackage() throws Exception {
        for (String target : List.of("ios16", "ios18")) {
            MilGraphs g = twoWeights(null);
            run("lower_to_coreml{target=" + target + "}", g.model);
            assertEquals(target, g.model.properties().get(CoreMlTarget.PROPERTY));
            assertTrue(g.graph.nodes().stream().noneMatch(n -> n.dialect().equals("pare")), IrPrinter.print(g.graph));
            Path out = tmp.resolve(target + ".mlpackage");
            CoreMlExporter.write(g.model, out);
            Model read = new CoreMlFormat().read(out);
            Map<String, String> lowered = constexprForm(g.graph);
            assertEquals(2, lowered.size(), lowered.toString());
            assertEquals(constexprForm(read.graph()), lowered, target);
        }
        MilGraphs g = twoWeights(null);
        run("lower_to_coreml{target=ios16}", g.model);
        assertEquals("mil.constexpr_lut_to_dense {indices=u8[16], lut=f32[16], shape=u32[2]} -> f32[4,8]", constexprForm(g.graph).get("A"));
        assertEquals("mil.constexpr_affine_dequantize {axis=i32[], quantized_data=i8[4,8], scale=f32[4], zero_point=i8[4]} -> f32[4,8]",
                constexprForm(g.graph).get("B"));
    }

    @Test
    void aRefusalIsAPassFailureThatLeavesTheModelAsItWas() {
        MilGraphs g = twoWeights(DType.UINT3);
        g.target("ios16");
        String before = IrPrinter.print(g.graph);
        PassManagerException e = assertThrows(PassManagerException.class, () -> run("lower_to_coreml", g.model));
        assertEquals("CL001", e.code());
        assertTrue(e.getMessage().contains("lower_to_coreml: weight 'B' (node y): 3-bit palettization needs --target ios18 or later "
                + "(iOS16/17 constexpr_lut_to_dense allows LUT sizes 2, 4, 16, 64, 256)"), e.getMessage());
        // A (4-bit) could be lowered for ios16, but nothing is rewritten unless everything can be
        assertEquals(before, IrPrinter.print(g.graph));
    }

    @Test
    void theWriterTakesOnlyLoweredModels() {
        MilGraphs g = twoWeights(null);
        g.target("ios18");
        Path out = tmp.resolve("unlowered.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(g.model, out));
        assertEquals(out + ": node 'A' is pare.lut_to_dense; lower the model with the lower_to_coreml pass first "
                + "(pare compile runs it for Core ML outputs)", e.getMessage());
        assertFalse(Files.exists(out));
        assertEquals(java.util.Optional.of("lower_to_coreml"), new CoreMlFormat().loweringPass());
    }

    @Test
    void aReadIos16ConstexprIsRetargetedByThePassNotTheWriter() throws Exception {
        MilGraphs g = twoWeights(null);
        run("lower_to_coreml{target=ios16}", g.model);
        Path ios16 = tmp.resolve("ios16.mlpackage");
        CoreMlExporter.write(g.model, ios16);
        Model read = new CoreMlFormat().read(ios16);
        read.setProperty(CoreMlTarget.PROPERTY, "ios18");
        Path out = tmp.resolve("ios18.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(read, out));
        assertTrue(e.getMessage().endsWith("(mil.constexpr_lut_to_dense): the iOS16 form of constexpr_lut_to_dense has no ios18 form "
                + "in the file; lower the model with the lower_to_coreml pass first"), e.getMessage());
        run("lower_to_coreml", read);
        CoreMlExporter.write(read, out);
        assertEquals(Map.of("A", "mil.constexpr_lut_to_dense {indices=u4[4,8], lut=f32[1,1,16,1]} -> f32[4,8]",
                "B", "mil.constexpr_blockwise_shift_scale {data=i8[4,8], scale=f32[4,1]} -> f32[4,8]"),
                constexprForm(new CoreMlFormat().read(out).graph()));
    }
}
