package dev.pare.compiler.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.inspect.SampleModels;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.PassFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompilationTest {

    @TempDir Path dir;
    MemoryFormat mem;
    ModelFormats formats;
    Path in;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        mem = new MemoryFormat();
        formats = new ModelFormats(List.of(mem));
        in = dir.resolve("in.mem");
        out = dir.resolve("out.mem");
        mem.put(in, SampleModels.everyStorage());
    }

    private CompilationException failure(CompileHook hook, CompileRequest request) {
        return assertThrows(CompilationException.class, () -> new Compilation(formats, hook).run(request));
    }

    @Test
    void readsVerifiesAndWrites() throws Exception {
        CompileResult r = new Compilation(formats).run(new CompileRequest(in, out, false));
        assertSame(mem.get(in), mem.get(out));
        assertEquals(11, r.nodesIn());
        assertEquals(11, r.nodesOut());
        assertEquals(8, r.weightsIn());
        assertEquals(8, r.weightsOut());
        assertEquals(92, r.weightBytesIn());
        assertEquals(92, r.weightBytesOut());
        assertEquals(Files.size(in), r.fileBytesIn());
        assertEquals(Files.size(out), r.fileBytesOut());
    }

    @Test
    void hookChangesTheModel() throws Exception {
        CompileHook addWeight = CompileHook.of(m -> {
            m.graph().rewriter().addConstant("extra", TensorData.ofFloats(new long[] {1}, 1f));
            return m;
        });
        CompileResult r = new Compilation(formats, addWeight).run(new CompileRequest(in, out, false));
        assertEquals(9, r.weightsOut());
        assertEquals(96, r.weightBytesOut());
    }

    @Test
    void passFailureIsACompileFailure() {
        CompileHook failing = m -> {
            throw new PassFailure("Q001", m.graph().node("MatMul_0").orElseThrow(), "cannot quantize");
        };
        CompilationException e = failure(failing, new CompileRequest(in, out, false));
        assertEquals(CompilationException.Kind.COMPILE_FAILED, e.kind());
        assertEquals("pass failed at node MatMul_0: cannot quantize [Q001]", e.getMessage());
        assertEquals(false, Files.exists(out));
    }

    @Test
    void modelThatNoLongerVerifiesIsACompileFailure() {
        CompileHook breaking = CompileHook.of(m -> {
            Graph other = new Graph("other");
            Value stray = other.rewriter().addInput("stray", TensorType.of(DType.FLOAT32, 1));
            m.graph().rewriter().setOutput(0, stray);
            return m;
        });
        CompilationException e = failure(breaking, new CompileRequest(in, out, false));
        assertEquals(CompilationException.Kind.COMPILE_FAILED, e.kind());
        assertEquals("compiled model does not verify: graph main: V006: graph output %stray is not defined",
                e.getMessage());
    }

    @Test
    void refusesToOverwriteTheInputEvenWithOverwrite() {
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, dir.resolve("x/../in.mem"), true));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(dir.resolve("x/../in.mem") + ": output would overwrite the input model", e.getMessage());
    }

    @Test
    void refusesToWriteThroughALinkToTheInput() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.mem"), in);
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, link, true));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(link + ": output would overwrite the input model", e.getMessage());
    }

    @Test
    void existingOutputNeedsOverwrite() throws Exception {
        Files.writeString(out, "old");
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, out, false));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(out + ": already exists (use --force to replace it)", e.getMessage());
        new Compilation(formats).run(new CompileRequest(in, out, true));
        assertSame(mem.get(in), mem.get(out));
    }

    @Test
    void missingInput() {
        Path missing = dir.resolve("missing.mem");
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(missing, out, false));
        assertEquals(CompilationException.Kind.BAD_INPUT, e.kind());
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void unreadableInput() throws IOException {
        Path junk = dir.resolve("junk.mem");
        Files.writeString(junk, "junk");
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(junk, out, false));
        assertEquals(CompilationException.Kind.BAD_INPUT, e.kind());
        assertEquals(junk + ": not a model this test wrote", e.getMessage());
    }

    @Test
    void invalidInputModel() throws IOException {
        Model m = SampleModels.everyStorage();
        Value stray = new Graph("other").rewriter().addInput("stray", TensorType.of(DType.FLOAT32, 1));
        m.graph().rewriter().setOutput(1, stray);
        mem.put(in, m);
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, out, false));
        assertEquals(CompilationException.Kind.BAD_INPUT, e.kind());
        assertEquals(in + ": invalid model: graph main: V006: graph output %stray is not defined", e.getMessage());
    }

    @Test
    void unknownOutputExtension() {
        Path txt = dir.resolve("out.txt");
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, txt, false));
        assertEquals(CompilationException.Kind.BAD_REQUEST, e.kind());
        assertEquals(txt + ": unknown model file extension (known: .mem)", e.getMessage());
    }

    @Test
    void missingOutputDirectory() {
        Path deep = dir.resolve("no/such/out.mem");
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, deep, false));
        assertEquals(CompilationException.Kind.OUTPUT_FAILED, e.kind());
        assertEquals(deep + ": directory " + dir.resolve("no/such") + " does not exist", e.getMessage());
    }

    @Test
    void writeFailure() {
        mem.failWritesWith = "disk full";
        CompilationException e = failure(CompileHook.identity(), new CompileRequest(in, out, false));
        assertEquals(CompilationException.Kind.OUTPUT_FAILED, e.kind());
        assertEquals(out + ": disk full", e.getMessage());
    }
}
