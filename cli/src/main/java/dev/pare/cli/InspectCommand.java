package dev.pare.cli;

import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.inspect.ReportJson;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.ir.Model;
import dev.pare.ir.Problem;
import dev.pare.spi.MessageText;
import dev.pare.ir.Verifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pare inspect MODEL [--json]}: ops, weights and their totals. */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Shows a model's ops and every weight: shape, dtype, size, where it is stored and "
                + "which nodes use it, with totals per dtype.",
                "A model that fails verification is still shown, with a warning on stderr."})
final class InspectCommand implements Callable<Integer> {

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model to inspect, e.g. model.onnx or model.mlpackage.")
    Path model;

    @Option(names = "--json", description = "Print JSON (sorted keys, schema in README.md) instead of tables.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        Model m;
        try {
            m = new Compilation(main.formats()).readInput(model);
        } catch (CompilationException e) {
            throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        List<Problem> problems = Verifier.verify(m.graph());
        if (!problems.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("pare: warning: " + MessageText.forDisplay(model + ": " + problems.size() + " verifier problem"
                    + (problems.size() == 1 ? "" : "s") + "; first: " + problems.get(0)));
            err.flush();
        }
        ModelReport report = ModelInspector.inspect(m);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? ReportJson.write(report, model.toString()) : ReportText.render(report, model.toString()));
        out.flush();
        return ExitCodes.OK;
    }
}
