package dev.pare.cli;

import dev.pare.compiler.inspect.TextTable;
import dev.pare.spi.DiagnosticCatalogs;
import dev.pare.spi.DiagnosticCode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pare explain CODE} / {@code --list}: a diagnostic code's entry in the catalogue
 * (every {@link dev.pare.spi.DiagnosticCatalog} on the class path and {@code --plugin-path}).
 */
@Command(name = "explain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Explains a diagnostic code such as CW010 (printed in brackets after error, warning or note): its severity, the module that "
                + "emits it, what it means and what to do.", "--list lists every known code."})
final class ExplainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "CODE", description = "A diagnostic code, e.g. CW010 or P002.")
    String code;

    @Option(names = "--list", description = "List every known code with its severity, owner and meaning.")
    boolean list;

    @Mixin PluginOptions plugins;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        if (list == (code != null)) throw new CliException(ExitCodes.USAGE, "pare explain takes a CODE or --list");
        DiagnosticCatalogs catalogs;
        try {
            catalogs = DiagnosticCatalogs.load(CompilerSession.open(plugins).registry().classLoader());
        } catch (IllegalStateException e) {  // a code declared twice: the plugin set is broken
            throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (list) {
            TextTable t = new TextTable("code", "severity", "owner", "meaning");
            for (DiagnosticCatalogs.Entry e : catalogs.all()) {
                t.row(e.code().code(), severity(e.code()), e.owner(), e.code().summary());
            }
            out.print(t.render());
        } else {
            DiagnosticCatalogs.Entry e = catalogs.find(code).orElseThrow(() -> unknown(catalogs));
            DiagnosticCode c = e.code();
            out.println(c.code() + ": " + c.summary());
            out.println("severity: " + severity(c));
            out.println("owner: " + e.owner());
            if (!c.explanation().isBlank()) out.print("\n" + c.explanation().strip() + "\n");
        }
        out.flush();
        return ExitCodes.OK;
    }

    private CliException unknown(DiagnosticCatalogs catalogs) {
        List<String> near = catalogs.nearest(code);
        return new CliException(ExitCodes.USAGE, "unknown diagnostic code '" + code + "'"
                + (near.isEmpty() ? "" : "; nearest: " + String.join(", ", near)) + "; pare explain --list lists them all");
    }

    private static String severity(DiagnosticCode c) { return c.severity().name().toLowerCase(Locale.ROOT); }
}
