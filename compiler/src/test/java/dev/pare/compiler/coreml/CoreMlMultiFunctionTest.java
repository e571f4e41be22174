package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read → write → read of a multi-function package: the coremltools fixture mnist_dwnet_fp32_ios18
 * with a second function made from its main one (one relu6 turned into relu, opset CoreML7), both
 * using the fixture's weight.bin, as a multi-function package shares its weights.
 */
class CoreMlMultiFunctionTest {

    private static final CoreMlFixtures.Row FIXTURE = CoreMlFixtures.PACKAGES.get(1); // mnist_dwnet_fp32_ios18

    @TempDir Path tmp;

    /** The two-function package; its description lists both functions and has no top-level features. */
    private Path twoFunctionPackage() throws Exception {
        return twoFunctionPackage("main");
    }

    private Path twoFunctionPackage(String defaultFunction) throws Exception {
        CoreMlModelProto.Model one = spec(FIXTURE.path());
        MilProto.Function main = one.getMlProgram().getFunctionsOrThrow("main");
        MilProto.Block block = main.getBlockSpecializationsOrThrow("CoreML8");
        MilProto.Block.Builder changed = block.toBuilder();
        int relu6 = -1;
        for (int i = 0; i < block.getOperationsCount() && relu6 < 0; i++) {
            if (block.getOperations(i).getType().equals("relu6")) relu6 = i;
        }
        changed.setOperations(relu6, block.getOperations(relu6).toBuilder().setType("relu"));
        MilProto.Function second = main.toBuilder().setOpset("CoreML7").clearBlockSpecializations()
                .putBlockSpecializations("CoreML7", changed.build()).build();

        CoreMlModelProto.ModelDescription d = one.getDescription();
        CoreMlModelProto.ModelDescription.Builder desc = d.toBuilder().clearInput().clearOutput()
                .setDefaultFunctionName(defaultFunction);
        for (String name : List.of("main", "second")) {
            desc.addFunctions(CoreMlModelProto.FunctionDescription.newBuilder().setName(name)
                    .addAllInput(d.getInputList()).addAllOutput(d.getOutputList()));
        }
        CoreMlModelProto.Model two = one.toBuilder().setDescription(desc)
                .setMlProgram(one.getMlProgram().toBuilder().putFunctions("second", second)).build();

        return writePackage(two, "two.mlpackage");
    }

    /** A package of {@code spec} with the fixture's weight.bin. */
    private Path writePackage(CoreMlModelProto.Model spec, String name) throws Exception {
        Path pkg = tmp.resolve(name);
        Files.createDirectories(pkg.resolve("Data/com.apple.CoreML/weights"));
        Files.copy(FIXTURE.path().resolve("Manifest.json"), pkg.resolve("Manifest.json"));
        Files.copy(CoreMlFixtures.weightBin(FIXTURE), pkg.resolve(CoreMlExporter.WEIGHTS_PATH));
        Files.write(pkg.resolve(CoreMlExporter.MODEL_PATH), spec.toByteArray());
        return pkg;
    }

    @Test
    void everyFunctionIsWrittenWithSharedWeights() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model original = coreml.read(twoFunctionPackage());
        assertEquals("main", original.graph().name());
        assertEquals(List.of("second"), original.functions().stream().map(Graph::name).toList());

        Path out = tmp.resolve("out.mlpackage");
        coreml.write(original, out);
        Model again = coreml.read(out);

        assertEquals(List.of("second"), again.functions().stream().map(Graph::name).toList());
        assertSameGraph(original.graph(), again.graph(), "main");
        assertSameGraph(original.functions().get(0), again.functions().get(0), "second");
        assertEquals("CoreML7", again.functions().get(0).metadata().get(CoreMlKeys.FUNCTION_OPSET));
        assertEquals(original.properties(), again.properties());
        assertEquals(original.metadataProps(), again.metadataProps());

        CoreMlModelProto.Model before = spec(tmp.resolve("two.mlpackage"));
        CoreMlModelProto.Model after = spec(out);
        assertEquals(9, after.getSpecificationVersion());
        assertEquals(before.getDescription(), after.getDescription(), "ModelDescription with its FunctionDescriptions");
        assertEquals(Map.of("main", "CoreML8", "second", "CoreML7"), opsets(after));
        // The writer reproduces each function op for op (blob offsets aside: the layout is its own).
        for (String fn : List.of("main", "second")) {
            assertEquals(withoutOffsets(before.getMlProgram().getFunctionsOrThrow(fn)),
                    withoutOffsets(after.getMlProgram().getFunctionsOrThrow(fn)), fn);
        }

        // The weights both functions use are stored once: weight.bin is the one-function size.
        long shared = Files.size(out.resolve(CoreMlExporter.WEIGHTS_PATH));
        Path single = tmp.resolve("single.mlpackage");
        coreml.write(coreml.read(FIXTURE.path()), single);
        assertEquals(Files.size(single.resolve(CoreMlExporter.WEIGHTS_PATH)), shared);
        assertEquals(Files.size(CoreMlFixtures.weightBin(FIXTURE)), shared);

        // Each function computes what it computed before writing, and the two differ.
        Map<String, TensorData> inputs = CoreMlRoundTripTest.fixedInputs(original.graph());
        Map<String, String> mainBefore = run(original.graph(), inputs);
        Map<String, String> secondBefore = run(original.functions().get(0), inputs);
        assertEquals(mainBefore, run(again.graph(), inputs), "main outputs");
        assertEquals(secondBefore, run(again.functions().get(0), inputs), "second outputs");
        assertNotEquals(mainBefore, secondBefore, "the changed op changes the second function's output");
    }

    @Test
    void theDefaultFunctionIsTheMainGraphAndStaysTheDefault() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Path in = twoFunctionPackage("second");
        Model m = coreml.read(in);
        assertEquals("second", m.graph().name());
        assertEquals(List.of("main"), m.functions().stream().map(Graph::name).toList());
        Path out = tmp.resolve("out.mlpackage");
        coreml.write(m, out);
        assertEquals(spec(in).getDescription(), spec(out).getDescription());
        assertEquals("second", spec(out).getDescription().getDefaultFunctionName());
        assertEquals(Map.of("main", "CoreML8", "second", "CoreML7"), opsets(spec(out)));
        assertEquals("second", coreml.read(out).graph().name());
    }

    @Test
    void aSingleFunctionTheDescriptionNamesKeepsItsName() throws Exception {
        CoreMlModelProto.Model one = spec(FIXTURE.path());
        MilProto.Program program = one.getMlProgram().toBuilder().clearFunctions()
                .putFunctions("predict", one.getMlProgram().getFunctionsOrThrow("main")).build();
        Path in = writePackage(one.toBuilder().setMlProgram(program)
                .setDescription(one.getDescription().toBuilder().setDefaultFunctionName("predict")).build(), "predict.mlpackage");
        CoreMlFormat coreml = new CoreMlFormat();
        Path out = tmp.resolve("out.mlpackage");
        coreml.write(coreml.read(in), out);
        assertEquals(List.of("predict"), List.copyOf(spec(out).getMlProgram().getFunctionsMap().keySet()));
        assertEquals(spec(in).getDescription(), spec(out).getDescription());
        assertEquals(withoutOffsets(program.getFunctionsOrThrow("predict")),
                withoutOffsets(spec(out).getMlProgram().getFunctionsOrThrow("predict")));
    }

    @Test
    void aMultiFunctionModelBelowIos18IsRefusedWithNoOutput() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model m = coreml.read(twoFunctionPackage());
        m.setProperty(CoreMlKeys.TARGET, "ios16");
        Path out = tmp.resolve("low.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> coreml.write(m, out));
        assertEquals(out + ": the model has 2 functions [main, second]; Core ML multi-function models need "
                + "--target ios18 or later (specification version 9), not ios16", e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of("two.mlpackage"), left.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void anExplicitTargetEqualToTheReadOneKeepsEachOpset() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model m = coreml.read(twoFunctionPackage());
        m.setProperty(CoreMlKeys.TARGET, "ios18");
        // Same target as read: each function keeps its opset.
        Path out = tmp.resolve("same.mlpackage");
        coreml.write(m, out);
        assertEquals(Map.of("main", "CoreML8", "second", "CoreML7"), opsets(spec(out)));
    }

    @Test
    void aFunctionNameMilCannotSpellIsRefused() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model m = coreml.read(twoFunctionPackage());
        Model renamed = new Model(m.format(), m.graph());
        m.properties().forEach(renamed::setProperty);
        renamed.addFunction(new Graph("2nd"));
        Path out = tmp.resolve("bad.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> coreml.write(renamed, out));
        assertEquals(out + ": function name '2nd' is not a MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)", e.getMessage());
        assertFalse(Files.exists(out));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    @Test
    void aPipelineCompressesEveryFunctionAndSharedWeightsStayShared() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model model = coreml.read(twoFunctionPackage());
        Map<String, TensorData> inputs = CoreMlRoundTripTest.fixedInputs(model.graph());
        Map<String, String> secondBefore = run(model.functions().get(0), inputs);
        dev.pare.compiler.registry.PassRegistry registry = dev.pare.compiler.registry.PassRegistry.discover(getClass().getClassLoader());
        dev.pare.compiler.passmanager.RunReport report = dev.pare.compiler.passmanager.PassManager.builder(registry)
                .options(dev.pare.compiler.passmanager.PassManagerOptions.DEFAULTS)
                .output(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8)).build()
                .run(new dev.pare.compiler.pipeline.PipelineCompiler(registry).parseInline("PALETTIZE_4BIT"), model);
        for (Graph g : List.of(model.graph(), model.functions().get(0))) {
            assertEquals(11, g.nodes().stream().filter(n -> n.op().equals("pare.lut_to_dense")).count(), g.name());
        }
        assertTrue(report.diagnostics().stream().anyMatch(d -> d.message().startsWith("in function 'second': palettize: weight ")),
                report.diagnostics().toString());
        long compressedWeights = report.statistics().stream().filter(s -> s.step().toString().contains("palettize"))
                .mapToLong(s -> s.counters().getOrDefault("weights_compressed", 0L)).sum();
        assertEquals(22, compressedWeights, "11 weights in each function, counted once per step");

        // The test package's second function is CoreML7, which stores LUTs in the iOS16/17 form; with
        // both functions at CoreML8 the compressed weights are the same blobs.
        Graph second = model.functions().get(0);
        Map<String, String> meta = new java.util.LinkedHashMap<>(second.metadata());
        meta.put(CoreMlKeys.FUNCTION_OPSET, "CoreML8");
        second.rewriter().setGraphMetadata(meta);
        Path out = tmp.resolve("pal4.mlpackage");
        LoweredCoreMl.write(model, out);
        Path single = tmp.resolve("single-pal4.mlpackage");
        Model one = coreml.read(FIXTURE.path());
        dev.pare.compiler.passmanager.PassManager.builder(registry).options(dev.pare.compiler.passmanager.PassManagerOptions.DEFAULTS)
                .output(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8)).build()
                .run(new dev.pare.compiler.pipeline.PipelineCompiler(registry).parseInline("PALETTIZE_4BIT"), one);
        LoweredCoreMl.write(one, single);
        // the same weights compress to the same LUTs and indices in both functions: stored once
        assertEquals(Files.size(single.resolve(CoreMlExporter.WEIGHTS_PATH)), Files.size(out.resolve(CoreMlExporter.WEIGHTS_PATH)));
        Model back = coreml.read(out);
        assertEquals(11, back.functions().get(0).nodes().stream().filter(n -> n.op().equals("mil.constexpr_lut_to_dense")).count());
        assertNotEquals(secondBefore, run(back.functions().get(0), inputs), "the second function runs on 4-bit weights");
    }

    @Test
    void inspectListsEveryFunctionAndCountsSharedBlobsOnce() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        dev.pare.compiler.inspect.ModelReport two = dev.pare.compiler.inspect.ModelInspector.inspect(coreml.read(twoFunctionPackage()));
        dev.pare.compiler.inspect.ModelReport one = dev.pare.compiler.inspect.ModelInspector.inspect(coreml.read(FIXTURE.path()));
        assertEquals(List.of("second"), two.functions().stream().map(dev.pare.compiler.inspect.FunctionPorts::name).toList());
        assertEquals(two.inputs(), two.functions().get(0).inputs());
        assertEquals(List.of(), one.functions());
        assertEquals(2 * one.weights().size(), two.weights().size(), "each function's weights are listed");
        assertTrue(two.weights().stream().anyMatch(w -> w.graphPath().equals("function second")));
        assertEquals(one.bytes(), two.bytes(), "the blobs both functions read are counted once");
        assertEquals(one.parameters(), two.parameters());
        assertEquals(2 * one.nodes(), two.nodes());
        assertEquals(0, two.subgraphNodes());
        String text = dev.pare.compiler.inspect.ReportText.render(two, "two.mlpackage");
        assertTrue(text.contains("\nFunction second: 1 input, 1 output (graph column \"function second\" below)\n  port "), text);
        assertTrue(text.contains("\n  function second  const_8 "), text);
    }

    private static void assertSameGraph(Graph a, Graph b, String what) {
        List<String> x = CoreMlRoundTripTest.describe(a);
        List<String> y = CoreMlRoundTripTest.describe(b);
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) assertEquals(x.get(i), y.get(i), what + " line " + i);
        assertEquals(x.size(), y.size(), what + " line count");
        assertTrue(x.size() > 40, what + " has its " + x.size() + " lines");
    }

    /** Output name → sha256 of its bytes. */
    private static Map<String, String> run(Graph g, Map<String, TensorData> inputs) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        new MilInterpreter(g).run(inputs).forEach((k, v) -> out.put(k, v.type() + " " + CoreMlFixtures.sha256(v.bytes())));
        assertFalse(out.isEmpty());
        return out;
    }

    private static Map<String, String> opsets(CoreMlModelProto.Model spec) {
        Map<String, String> out = new java.util.TreeMap<>();
        spec.getMlProgram().getFunctionsMap().forEach((k, v) -> {
            assertEquals(List.of(v.getOpset()), List.copyOf(v.getBlockSpecializationsMap().keySet()), k);
            out.put(k, v.getOpset());
        });
        return out;
    }

    /** The function with every blob offset set to 0. */
    private static MilProto.Function withoutOffsets(MilProto.Function fn) {
        MilProto.Function.Builder b = fn.toBuilder();
        for (Map.Entry<String, MilProto.Block> e : fn.getBlockSpecializationsMap().entrySet()) {
            MilProto.Block.Builder blk = e.getValue().toBuilder();
            for (MilProto.Operation.Builder op : blk.getOperationsBuilderList()) {
                for (Map.Entry<String, MilProto.Value> a : op.getAttributesMap().entrySet()) {
                    if (a.getValue().hasBlobFileValue()) {
                        op.putAttributes(a.getKey(), a.getValue().toBuilder().setBlobFileValue(
                                a.getValue().getBlobFileValue().toBuilder().setOffset(0)).build());
                    }
                }
            }
            b.putBlockSpecializations(e.getKey(), blk.build());
        }
        return b.build();
    }

    static CoreMlModelProto.Model spec(Path pkg) throws Exception {
        return CoreMlModelProto.Model.parseFrom(Files.readAllBytes(pkg.resolve(CoreMlExporter.MODEL_PATH)));
    }
}
