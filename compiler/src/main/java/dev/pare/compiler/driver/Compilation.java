package dev.pare.compiler.driver;

import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.io.TempFiles;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.OnnxKeys;
import dev.pare.ir.Model;
import dev.pare.ir.Value;
import dev.pare.ir.Problem;
import dev.pare.ir.Verifier;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import dev.pare.spi.PassFailure;
import dev.pare.spi.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Runs a {@link CompileRequest}: checks the request, reads the model, verifies it, runs the
 * {@link CompileHook} (the pass manager, later), verifies again, and writes the result. Each
 * failure is a {@link CompilationException} whose kind tells bad requests, bad input, failed
 * compilation and failed output apart.
 */
public final class Compilation {

    /** Model property naming the output's format (the writer's name), set before the pipeline runs. */
    public static final String OUTPUT_FORMAT_PROPERTY = "pare.output_format";


    private final ModelFormats formats;
    private final CompileHook hook;
    private final Progress progress;

    public Compilation(ModelFormats formats, CompileHook hook) { this(formats, hook, Progress.NONE); }

    /** Reading and writing are tasks of {@code progress} (the hook reports its own, e.g. per pass). */
    public Compilation(ModelFormats formats, CompileHook hook, Progress progress) {
        this.formats = formats;
        this.hook = hook;
        this.progress = progress;
    }

    /** A compilation that only reads, verifies and writes. */
    public Compilation(ModelFormats formats) { this(formats, CompileHook.identity()); }

    public CompileResult run(CompileRequest request) throws CompilationException {
        long start = System.nanoTime();
        Path in = request.input();
        Path out = request.output();
        checkInput(in);
        ModelFormat writer = outputFormat(request);
        OutputPlan plan = OutputPlan.of(writer, out);
        // Cheap checks first; the input's other files (external data) are known once it is read.
        plan.checkInputs(in, List.of(in));
        plan.checkFolder();
        if (!request.enumeratedShapes().isEmpty() && !writer.acceptsEnumeratedShapes()) {
            throw bad(CompilationException.Kind.BAD_REQUEST, out, "--input-shape " + request.enumeratedShapes().keySet().iterator().next()
                    + ": enumerated shapes are a Core ML feature; for " + writer.name().toUpperCase(java.util.Locale.ROOT) + " give one shape");
        }
        progress.start("read " + in.getFileName(), -1, "");
        Model model = read(in);
        progress.end();
        List<Path> inputFiles = inputFiles(in, model);
        plan.checkInputs(in, inputFiles);
        plan.checkExisting(request.overwrite());
        List<Problem> inputProblems = Verifier.verify(model.graph());
        if (!inputProblems.isEmpty()) {
            throw new CompilationException(CompilationException.Kind.BAD_INPUT,
                    in + ": invalid model: " + summary(inputProblems));
        }
        applyRequest(model, request, writer);
        planExternalData(model, writer);
        long nodesIn = model.graph().allNodes().size();
        ModelReport before = ModelInspector.inspect(model);

        Model compiled = transform(model);
        List<Problem> problems = Verifier.verify(compiled.graph());
        if (!problems.isEmpty()) {
            throw new CompilationException(CompilationException.Kind.COMPILE_FAILED,
                    "compiled model does not verify: " + summary(problems));
        }
        long nodesOut = compiled.graph().allNodes().size();
        ModelReport after = ModelInspector.inspect(compiled);

        progress.start("write " + out.getFileName(), after.bytes(), "bytes");
        long reported;
        try (WriteWatch watch = new WriteWatch(progress)) {
            write(writer, compiled, out);
            reported = watch.stop();
        }
        long written = filesSize(out, writer.outputFiles(out), true);
        progress.advance(0, Math.max(0, written - reported), null);
        progress.end();
        return new CompileResult(in, out, nodesIn, nodesOut, before.weights().size(), after.weights().size(),
                before.bytes(), after.bytes(), filesSize(in, inputFiles, false), written,
                Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * An input whose tensors already pass the 2 GiB an ONNX file can hold inline is written with
     * every initializer of the default threshold or more in external data: decided here, before the
     * passes, rather than found by the writer at the end (which also falls back to it).
     */
    private static void planExternalData(Model model, ModelFormat writer) {
        if (!writer.name().equals("onnx") || model.properties().containsKey(OnnxKeys.EXTERNAL_DATA_THRESHOLD)) return;
        long total = 0;
        for (Value c : model.graph().constants()) total += c.data().byteSize();
        for (Value v : model.graph().inputs()) if (v.data() != null) total += v.data().byteSize();
        if (total > Integer.MAX_VALUE) {
            model.setProperty(OnnxKeys.EXTERNAL_DATA_THRESHOLD, Long.toString(OnnxFormat.DEFAULT_EXTERNAL_DATA_THRESHOLD));
        }
    }

    /** The size of {@code main} and of the other existing {@code files} that go with it (e.g. external data). */
    private static long filesSize(Path main, List<Path> files, boolean output) throws CompilationException {
        long total = size(main, output);
        for (Path p : new java.util.LinkedHashSet<>(files)) {
            if (!p.equals(main) && Files.isRegularFile(p)) total += size(p, output);
        }
        return total;
    }

    /** Reads a model as compilation does; every failure is {@link CompilationException.Kind#BAD_INPUT}. */
    public Model readInput(Path in) throws CompilationException {
        checkInput(in);
        return read(in);
    }

    private static void checkInput(Path in) throws CompilationException {
        if (!Files.exists(in)) throw bad(CompilationException.Kind.BAD_INPUT, in, "no such file");
        if (Files.isDirectory(in) && !isPackage(in)) {
            throw bad(CompilationException.Kind.BAD_INPUT, in, "is a directory, not a model file");
        }
        if (!Files.isReadable(in)) throw bad(CompilationException.Kind.BAD_INPUT, in, "not readable");
    }

    /** The output's format, by extension; the output is refused if it is the input by name. */
    private ModelFormat outputFormat(CompileRequest r) throws CompilationException {
        Path out = r.output();
        if (r.input().toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw bad(CompilationException.Kind.BAD_REQUEST, out, "output would overwrite the input model");
        }
        try {
            return formats.forPath(out);
        } catch (ModelFormatException e) {
            throw new CompilationException(CompilationException.Kind.BAD_REQUEST, e.getMessage(), e);
        }
    }

    /** The files the input model reads (itself, its external data); just the file if its format cannot say. */
    private List<Path> inputFiles(Path in, Model model) {
        try {
            List<Path> files = formats.forPath(in).inputFiles(in, model);
            return files.isEmpty() ? List.of(in) : files;
        } catch (ModelFormatException e) {
            return List.of(in);
        }
    }

    private Model read(Path in) throws CompilationException {
        try {
            return formats.read(in);
        } catch (ModelFormatException e) {
            throw new CompilationException(CompilationException.Kind.BAD_INPUT, e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw bad(CompilationException.Kind.BAD_INPUT, in, message(e.getCause()), e);
        } catch (RuntimeException e) {
            throw bad(CompilationException.Kind.BAD_INPUT, in, message(e), e);
        }
    }

    /** {@code --input-shape} and request properties (e.g. the Core ML target), before the pipeline. */
    private static void applyRequest(Model model, CompileRequest request, ModelFormat writer) throws CompilationException {
        try {
            InputShapeOverrides.apply(model.graph(), request.inputShapes(), request.enumeratedShapes());
        } catch (IllegalArgumentException e) {
            throw bad(CompilationException.Kind.BAD_REQUEST, request.input(), e.getMessage());
        }
        request.modelProperties().forEach(model::setProperty);
        // passes that size weights (mixed_precision) count them as this format stores them
        model.setProperty(OUTPUT_FORMAT_PROPERTY, writer.name());
        // what the writer allows next to enumerated shapes is the format's call, asked here so it is a bad request
        if (!request.enumeratedShapes().isEmpty()) {
            java.util.Optional<String> problem = writer.enumeratedShapesProblem(model);
            if (problem.isPresent()) throw bad(CompilationException.Kind.BAD_REQUEST, request.input(), "--input-shape: " + problem.get());
        }
    }

    private Model transform(Model model) throws CompilationException {
        try {
            Model result = hook.apply(model);
            if (result == null) throw new IllegalStateException("compile hook returned no model");
            return result;
        } catch (PassFailure f) {
            String where = f.nodeName().isEmpty() ? "" : " at node " + f.nodeName();
            throw new CompilationException(CompilationException.Kind.COMPILE_FAILED,
                    "pass failed" + where + ": " + f.getMessage() + " [" + f.code() + "]", f);
        } catch (RuntimeException e) {
            throw new CompilationException(CompilationException.Kind.COMPILE_FAILED,
                    "compilation failed: " + message(e), e);
        }
    }

    private static void write(ModelFormat writer, Model model, Path out) throws CompilationException {
        try {
            writer.write(model, out);
        } catch (ModelFormatException e) {
            throw new CompilationException(CompilationException.Kind.OUTPUT_FAILED, e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw bad(CompilationException.Kind.OUTPUT_FAILED, out, message(e.getCause()), e);
        } catch (RuntimeException e) {
            throw bad(CompilationException.Kind.OUTPUT_FAILED, out, "cannot write: " + message(e), e);
        }
    }

    /**
     * Reports the bytes writers have put in their temporary files ({@link TempFiles}) twice a
     * second while the output is written, so writers need no progress code of their own.
     */
    private static final class WriteWatch implements AutoCloseable {
        private final Progress progress;
        private final Thread thread;
        private long reported;
        private volatile boolean stopped;

        WriteWatch(Progress progress) {
            this.progress = progress;
            this.thread = new Thread(this::watch, "pare-write-progress");
            thread.setDaemon(true);
            if (progress != Progress.NONE) thread.start();
        }

        private void watch() {
            while (!stopped) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                report();
            }
        }

        private synchronized void report() {
            if (stopped) return;
            long now = TempFiles.bytes();
            if (now > reported) {
                progress.advance(0, now - reported, null);
                reported = now;
            }
        }

        /** Stops watching; returns the bytes reported so far. */
        synchronized long stop() {
            stopped = true;
            thread.interrupt();
            return reported;
        }

        @Override public void close() { stop(); }
    }

    /** A model stored as a folder (a Core ML {@code .mlpackage}). */
    private static boolean isPackage(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".mlpackage");
    }

    private static long size(Path p, boolean output) throws CompilationException {
        try {
            if (Files.isDirectory(p)) {
                try (java.util.stream.Stream<Path> files = Files.walk(p)) {
                    long total = 0;
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) total += Files.size(f);
                    return total;
                }
            }
            return Files.size(p);
        } catch (IOException e) {
            throw bad(output ? CompilationException.Kind.OUTPUT_FAILED : CompilationException.Kind.BAD_INPUT,
                    p, "cannot read its size: " + message(e));
        }
    }

    private static String summary(List<Problem> problems) {
        String first = problems.get(0).toString();
        return problems.size() == 1 ? first : first + " (and " + (problems.size() - 1) + " more)";
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    private static CompilationException bad(CompilationException.Kind kind, Path file, String what) {
        return new CompilationException(kind, file + ": " + what);
    }

    private static CompilationException bad(CompilationException.Kind kind, Path file, String what, Throwable cause) {
        return new CompilationException(kind, file + ": " + what, cause);
    }
}
