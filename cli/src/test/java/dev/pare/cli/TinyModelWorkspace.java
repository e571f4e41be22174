package dev.pare.cli;

import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What most CLI tests start from: {@link MainTest#tinyModel()} stored as {@code in.mem} in a
 * folder, an output path {@code out.mem} beside it, and in-process {@code pare} runs that read
 * and write through the in-memory format.
 */
final class TinyModelWorkspace {

    final MemoryFormat mem = new MemoryFormat();
    final Path in;
    final Path out;

    TinyModelWorkspace(Path dir) throws IOException {
        in = dir.resolve("in.mem");
        out = dir.resolve("out.mem");
        mem.put(in, MainTest.tinyModel());
    }

    CliRun run(Map<String, String> env, String... args) {
        return CliRun.of(new Main(new ModelFormats(List.of(mem)), env), args);
    }

    CliRun run(String... args) { return run(Map.of(), args); }

    /** {@code pare compile in.mem -o out.mem --pipeline PIPELINE}. */
    CliRun compile(String pipeline) {
        return run("compile", in.toString(), "-o", out.toString(), "--pipeline", pipeline);
    }
}
