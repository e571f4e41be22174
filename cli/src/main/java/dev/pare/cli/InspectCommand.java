package dev.pare.cli;

import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.inspect.DecodedWeightCheck;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.inspect.ReportJson;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.ir.Model;
import dev.pare.ir.Problem;
import dev.pare.spi.MessageText;
import dev.pare.spi.ModelExecutionException;
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

    @Option(names = "--check-weight", paramLabel = "NAME", description = {"Instead of the tables: decode this compressed weight "
            + "(ONNX models, with ONNX Runtime) and compare it value by value with --original's: max and mean |error| and the "
            + "bound its encoding promises (int: scale/2; LUT: the nearest entry of its group; sparse: kept values exact). "
            + "Repeatable. Exit 1 if a bound does not hold."})
    List<String> checkWeights = List.of();

    @Option(names = "--original", paramLabel = "MODEL", description = "The model the checked weights were compressed from.")
    Path original;

    @Override public Integer call() {
        Model m;
        try {
            m = new Compilation(main.formats()).readInput(model);
        } catch (CompilationException e) {
            throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        if (!checkWeights.isEmpty() || original != null) return checkWeights(m);
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

    /** {@code --check-weight}: one block per weight; exit 1 when a bound does not hold. */
    private int checkWeights(Model m) {
        if (checkWeights.isEmpty()) throw new CliException(ExitCodes.USAGE, "--original needs --check-weight NAME");
        if (original == null) throw new CliException(ExitCodes.USAGE, "--check-weight needs --original MODEL (the model it was compressed from)");
        Model o;
        try {
            o = new Compilation(main.formats()).readInput(original);
        } catch (CompilationException e) {
            throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> failed = new java.util.ArrayList<>();
        for (String name : checkWeights) {
            DecodedWeightCheck.Result r;
            try {
                r = DecodedWeightCheck.check(m, o, name);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.BAD_INPUT, model + ": weight '" + name + "': " + e.getMessage(), e);
            } catch (ModelExecutionException e) {
                throw new CliException(ExitCodes.BAD_INPUT, model + ": cannot decode weight '" + name + "': " + e.getMessage(), e);
            }
            out.print(DecodedWeightCheck.render(r));
            out.flush();
            if (!r.holds()) failed.add(name + "' (" + (r.values() - r.withinBound()) + " of " + r.values() + " values outside: " + r.bound() + ")");
        }
        if (!failed.isEmpty()) throw new CliException(ExitCodes.COMPILE_FAILED, model + ": decoded weight '" + String.join(", '", failed));
        return ExitCodes.OK;
    }
}
