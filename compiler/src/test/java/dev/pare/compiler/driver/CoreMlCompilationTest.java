package dev.pare.compiler.driver;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlExporter;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver writing Core ML: target and metadata properties, --input-shape, and refusals leaving no output. */
class CoreMlCompilationTest {

    /**
     * Writes through {@link CoreMlExporter} (the Core ML format's writer) after lower_to_coreml, as
     * pare compile runs it; reading is another test's concern.
     */
    static final class CoreMlWriter implements ModelFormat {
        @Override public String name() { return "coreml"; }
        @Override public List<String> extensions() { return List.of(".mlpackage", ".mlmodel"); }
        @Override public Model read(Path file) throws ModelFormatException { throw new ModelFormatException(file, "write-only test format"); }
        @Override public void write(Model model, Path target) throws ModelFormatException { LoweredCoreMl.write(model, target); }
    }

    @TempDir Path dir;
    MemoryFormat mem;
    ModelFormats formats;
    Path in;

    @BeforeEach
    void setUp() {
        mem = new MemoryFormat();
        formats = new ModelFormats(List.of(mem, new CoreMlWriter()));
        in = dir.resolve("in.mem");
    }

    /** relu(linear(x, W, b)) with x: f32[batch, 8] and W[4, 8] palettized to {@code bits} bits. */
    private Model model(DType indexType) {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", new TensorType(DType.FLOAT32, List.of(new Dim.Symbolic("batch"), new Dim.Fixed(8))));
        long[] idx = new long[32];
        for (int i = 0; i < idx.length; i++) idx[i] = i % (1 << indexType.bits());
        Value indices = rw.addConstant("W_indices", TensorData.ofBuffer(TensorType.of(indexType, 4, 8), ByteBuffer.wrap(SubByte.pack(indexType, idx))));
        float[] lut = new float[1 << indexType.bits()];
        for (int i = 0; i < lut.length; i++) lut[i] = i - 2f;
        Value l = rw.addConstant("W_lut", TensorData.ofFloats(new long[]{1, 1, lut.length, 1}, lut));
        Value w = rw.createNode("W", "pare.lut_to_dense", List.of(indices, l), List.of("W"), List.of(TensorType.of(DType.FLOAT32, 4, 8)),
                Attributes.empty(), Location.created("test")).result(0);
        Value b = rw.addConstant("b", TensorData.ofFloats(new long[]{4}, 1f, 2f, 3f, 4f));
        TensorType yType = new TensorType(DType.FLOAT32, List.of(new Dim.Symbolic("batch"), new Dim.Fixed(4)));
        Value y = rw.createNode("fc", "mil.linear", List.of(x, w, b), List.of("fc"), List.of(yType),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight", "bias")))), Location.created("test")).result(0);
        rw.addOutput(y);
        return new Model("coreml", g);
    }

    @Test
    void targetAndMetadataPropertiesReachThePackage() throws Exception {
        mem.put(in, model(DType.UINT4));
        Path out = dir.resolve("out.mlpackage");
        new Compilation(formats).run(new CompileRequest(in, out, false,
                Map.of(CoreMlTarget.PROPERTY, "ios18", CoreMlExporter.PARE_PIPELINE_PROPERTY, "palettize{nbits=4}"), Map.of()));
        MlPackage p = MlPackage.read(out);
        assertEquals(9, p.model().getSpecificationVersion());
        assertEquals("palettize{nbits=4}", p.model().getDescription().getMetadata().getUserDefinedOrThrow("com.github.pare.pipeline"));
        CoreMlFeatureTypesProto.ArrayFeatureType x = p.model().getDescription().getInput(0).getType().getMultiArrayType();
        assertEquals(-1, x.getShapeRange().getSizeRanges(0).getUpperBound(), "the symbolic batch stays flexible");
    }

    @Test
    void inputShapeFixesSymbolicDimensionsBeforeThePipeline() throws Exception {
        mem.put(in, model(DType.UINT4));
        Path out = dir.resolve("fixed.mlpackage");
        TensorType[] seen = new TensorType[1];
        CompileHook hook = m -> {
            seen[0] = m.graph().inputs().get(0).tensorType();
            return m;
        };
        new Compilation(formats, hook).run(new CompileRequest(in, out, false, Map.of(), Map.of("x", List.of(2L, 8L))));
        assertEquals(TensorType.of(DType.FLOAT32, 2, 8), seen[0]);
        CoreMlModelProto.FeatureDescription x = MlPackage.read(out).model().getDescription().getInput(0);
        assertEquals(List.of(2L, 8L), x.getType().getMultiArrayType().getShapeList());
        assertFalse(x.getType().getMultiArrayType().hasShapeRange());
    }

    @Test
    void badInputShapeIsABadRequest() throws Exception {
        mem.put(in, model(DType.UINT4));
        Path out = dir.resolve("x.mlpackage");
        CompilationException e = assertThrows(CompilationException.class, () -> new Compilation(formats)
                .run(new CompileRequest(in, out, false, Map.of(), Map.of("ids", List.of(1L, 8L)))));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(in + ": --input-shape: the model has no input 'ids' (inputs: x)", e.getMessage());
        e = assertThrows(CompilationException.class, () -> new Compilation(formats)
                .run(new CompileRequest(in, out, false, Map.of(), Map.of("x", List.of(1L, 9L)))));
        assertEquals(in + ": --input-shape: input 'x' dimension 1 is fixed to 8, not 9", e.getMessage());
    }

    /** The pipeline pare compile appends for a Core ML output, run by the pass manager. */
    private static CompileHook lowerToCoreMl() {
        return m -> {
            try {
                PassRegistry registry = PassRegistry.discover(CoreMlCompilationTest.class.getClassLoader());
                PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                        .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                        .run(new PipelineCompiler(registry).parseInline("lower_to_coreml"), m);
            } catch (PassManagerException | dev.pare.compiler.registry.RegistryException | dev.pare.compiler.pipeline.PipelineException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            return m;
        };
    }

    @Test
    void loweringRefusalFailsTheCompilationAndWritesNothing() throws Exception {
        mem.put(in, model(DType.UINT3));
        Path out = dir.resolve("w3.mlpackage");
        CompilationException e = assertThrows(CompilationException.class, () -> new Compilation(formats, lowerToCoreMl())
                .run(new CompileRequest(in, out, false, Map.of(CoreMlTarget.PROPERTY, "ios17"), Map.of())));
        assertEquals(CompilationException.Kind.COMPILE_FAILED, e.kind());
        assertTrue(e.getMessage().endsWith("lower_to_coreml: weight 'W' (node fc): 3-bit palettization needs --target ios18 or later "
                + "(iOS16/17 constexpr_lut_to_dense allows LUT sizes 2, 4, 16, 64, 256)"), e.getMessage());
        assertTrue(e.getMessage().contains("[CL001]"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("in.mem"), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void inputShapeArgumentsParse() {
        assertEquals(Map.entry("input_ids", List.of(1L, 128L)), InputShapeOverrides.parse("input_ids=1,128"));
        assertEquals(Map.entry("a=b", List.of(3L)), InputShapeOverrides.parse("a=b=3"));
        assertEquals("--input-shape 'x' must be NAME=D0,D1,... (e.g. input_ids=1,128) or NAME=S1|S2|... (e.g. input_ids=1,64|1,128)",
                assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.parse("x")).getMessage());
        assertEquals("--input-shape 'x=1,?': '?' is not a dimension size",
                assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.parse("x=1,?")).getMessage());
        assertEquals("--input-shape 'x=0': dimension 0 must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> InputShapeOverrides.parse("x=0")).getMessage());
    }
}
