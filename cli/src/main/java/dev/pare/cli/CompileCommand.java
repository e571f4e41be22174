package dev.pare.cli;

import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.driver.CompileResult;
import dev.pare.compiler.inspect.ReportText;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pare compile MODEL -o OUT}: read, compile (no passes yet), verify, write. */
@Command(name = "compile", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Reads MODEL, compiles it and writes the result to OUT.",
                "The output format follows OUT's extension. OUT is never the input file, and an existing "
                        + "OUT is replaced only with --force."})
final class CompileCommand implements Callable<Integer> {

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The input model, e.g. model.onnx.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Where to write the compiled model.")
    Path output;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        CompileResult r;
        try {
            r = new Compilation(main.formats(), main.hook()).run(new CompileRequest(model, output, force));
        } catch (CompilationException e) {
            throw new CliException(exitCode(e.kind()), e.getMessage(), e);
        }
        spec.commandLine().getOut().println(summary(r));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    /**
     * One line, e.g. {@code compiled a.onnx -> b.onnx: nodes 92 -> 92, weights 70 -> 70 (2.1 MiB -> 2.1 MiB),
     * file 2.1 MiB -> 2.1 MiB, 0.31 s}. Weight bytes count external data; the file size does not.
     */
    static String summary(CompileResult r) {
        return String.format(Locale.ROOT, "compiled %s -> %s: nodes %s -> %s, weights %s -> %s (%s -> %s), file %s -> %s, %.2f s",
                r.input(), r.output(), ReportText.count(r.nodesIn()), ReportText.count(r.nodesOut()),
                ReportText.count(r.weightsIn()), ReportText.count(r.weightsOut()),
                ReportText.size(r.weightBytesIn()), ReportText.size(r.weightBytesOut()),
                ReportText.size(r.fileBytesIn()), ReportText.size(r.fileBytesOut()), r.elapsed().toNanos() / 1e9);
    }

    static int exitCode(CompilationException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> ExitCodes.USAGE;
            case BAD_INPUT -> ExitCodes.BAD_INPUT;
            case COMPILE_FAILED -> ExitCodes.COMPILE_FAILED;
            case OUTPUT_FAILED -> ExitCodes.OUTPUT_FAILED;
        };
    }
}
