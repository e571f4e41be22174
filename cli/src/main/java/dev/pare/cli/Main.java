package dev.pare.cli;

import dev.pare.compiler.io.ModelFormats;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code pare} command: subcommands, the exit-code contract and one-line errors. */
@Command(name = "pare", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Makes trained neural-network models smaller.",
        subcommands = {CompileCommand.class, InspectCommand.class, CompareCommand.class, PassesCommand.class, PipelinesCommand.class})
public final class Main implements Callable<Integer> {

    private static final String[] EXIT_CODES_FOOTER = {
        "  0  ok", "  1  compilation or pass failure", "  2  usage error (bad flags or arguments)",
        "  3  bad input model (missing, unreadable or invalid)", "  4  I/O error writing the output",
        "", "Set PARE_DEBUG=1 or pass --verbose to see stack traces."};

    private final ModelFormats formats;
    private final Map<String, String> env;

    @Spec CommandSpec spec;

    @CommandLine.Option(names = "--verbose", description = "Print stack traces of errors (also an option of every command).")
    boolean verbose;

    /** The real command: formats found on the class path, the process environment. */
    public Main() { this(ModelFormats.discover(), System.getenv()); }

    /** For tests and embedding: explicit formats and environment. */
    public Main(ModelFormats formats, Map<String, String> env) {
        this.formats = formats;
        this.env = Map.copyOf(env);
    }

    public static void main(String[] args) {
        System.exit(new Main().commandLine().execute(args));
    }

    ModelFormats formats() { return formats; }

    /** A command line with Pare's error handling; set its out/err writers to capture output. */
    public CommandLine commandLine() {
        CommandLine cl = new CommandLine(this);
        // --pipeline @FILE is ours: picocli must not expand @FILE into arguments
        cl.setExpandAtFiles(false);
        footer(cl);
        cl.setParameterExceptionHandler(this::usageError);
        cl.setExecutionExceptionHandler(this::executionError);
        return cl;
    }

    /** Every command's help ends with the exit codes. */
    private static void footer(CommandLine cl) {
        cl.getCommandSpec().usageMessage().footerHeading("%nExit codes:%n").footer(EXIT_CODES_FOOTER);
        for (CommandLine sub : cl.getSubcommands().values()) footer(sub);
    }

    /** {@code pare} alone: the usage goes to stderr and the exit code says "usage error". */
    @Override public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("pare: error: missing command (compile, inspect, compare, passes, pipelines)");
        spec.commandLine().usage(err);
        return ExitCodes.USAGE;
    }

    private int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String help = cmd.getCommandSpec().qualifiedName();
        String message = e.getMessage();
        // picocli reports a missing argument before an unknown flag; the flag is the real mistake.
        List<String> unmatched = cmd.getUnmatchedArguments();
        if (!(e instanceof CommandLine.UnmatchedArgumentException) && !unmatched.isEmpty()) {
            String first = unmatched.get(0);
            message = (first.startsWith("-") ? "Unknown option: '" : "Unexpected argument: '") + first + "'";
        }
        err.println("pare: error: " + message + " (see '" + help + " --help')");
        if (debug(cmd.getParseResult())) e.printStackTrace(err);
        err.flush();
        return ExitCodes.USAGE;
    }

    private int executionError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        int code;
        if (e instanceof CliException c) {
            err.println(c.render());
            code = c.exitCode();
        } else {
            err.println("pare: error: internal error: " + e);
            code = ExitCodes.COMPILE_FAILED;
        }
        if (debug(parsed)) e.printStackTrace(err);
        err.flush();
        return code;
    }

    /** Stack traces on request: {@code --verbose} anywhere on the command line, or {@code PARE_DEBUG=1}. */
    private boolean debug(CommandLine.ParseResult parsed) {
        if ("1".equals(env.get("PARE_DEBUG"))) return true;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }
}
