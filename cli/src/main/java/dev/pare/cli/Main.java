package dev.pare.cli;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.io.TempFiles;
import dev.pare.spi.MessageText;
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
        description = "Makes trained neural-network models smaller.")
public final class Main implements Callable<Integer> {

    /**
     * The subcommands by name, in the order {@code pare --help} lists them. They are added to the
     * command line in code, not in the annotation, so that a run of one command builds only its
     * own model: picocli reads every option of every subcommand when it is added, which was about
     * a third of {@code pare compile}'s start-up CPU time.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = orderedSubcommands();

    private static Map<String, Class<?>> orderedSubcommands() {
        Map<String, Class<?>> m = new java.util.LinkedHashMap<>();
        m.put("compile", CompileCommand.class);
        m.put("analyze", AnalyzeCommand.class);
        m.put("inspect", InspectCommand.class);
        m.put("compare", CompareCommand.class);
        m.put("passes", PassesCommand.class);
        m.put("pipelines", PipelinesCommand.class);
        m.put("explain", ExplainCommand.class);
        m.put("sweep", SweepCommand.class);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static final String[] EXIT_CODES_FOOTER = {
        "  0  ok", "  1  compilation or pass failure", "  2  usage error (bad flags or arguments)",
        "  3  bad input model (missing, unreadable or invalid)", "  4  I/O error writing the output",
        "  5  out of memory (the message says which JAVA_OPTS=-Xmx to try)",
        " 70  internal error (a bug in Pare or a plugin; please report it)",
        "", "Pass --stacktrace (or --verbose, or set PARE_DEBUG=1) to see stack traces."};

    static final String STACKTRACE = "--stacktrace";

    private final ModelFormats formats;
    private final Map<String, String> env;
    /** Whether stderr is a terminal (progress bars); only the real command can tell. */
    private boolean terminal;
    /** The clock progress is timed with; tests set one, and then no timer thread runs. */
    private java.util.function.LongSupplier progressClock;

    @Spec CommandSpec spec;

    @CommandLine.Option(names = "--verbose", description = "Print stack traces of errors (also an option of every command).")
    boolean verbose;

    @CommandLine.Option(names = STACKTRACE, scope = CommandLine.ScopeType.INHERIT,
            description = "Print the stack trace of an error (an option of every command).")
    boolean stacktrace;

    /** The real command: formats found on the class path, the process environment. */
    public Main() { this(ModelFormats.discover(), System.getenv()); }

    /** For tests and embedding: explicit formats and environment. */
    public Main(ModelFormats formats, Map<String, String> env) {
        this.formats = formats;
        this.env = Map.copyOf(env);
    }

    /** Set just before a normal exit; a shutdown hook that finds it unset ran for a signal (Ctrl-C, kill). */
    private static volatile boolean exiting;

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> cleanUp(System.console() != null), "pare-cleanup"));
        int code;
        try {
            Main main = new Main();
            // Java cannot ask whether stderr alone is a terminal; a console means stdin and stdout are
            main.terminal = System.console() != null;
            code = main.commandLine(args).execute(args);
        } catch (Throwable t) { // picocli rethrows nothing it handles; this is the very last guard
            code = InternalFailure.report(t, System.err, "1".equals(System.getenv("PARE_DEBUG")));
        }
        exiting = true;
        System.exit(code);
    }

    /**
     * The shutdown hook: removes the writers' temporary files ({@link TempFiles}). On SIGINT or
     * SIGTERM it also says so; the JVM then exits with 128 + the signal (130, 143).
     */
    private static void cleanUp(boolean terminal) {
        int removed = TempFiles.removeAll();
        if (exiting) return;
        System.err.println((terminal ? "\n" : "") + interruptedLine(removed));
        System.err.flush();
    }

    static String interruptedLine(int removed) {
        return removed == 0 ? "pare: interrupted" : "pare: interrupted; removed " + removed + " temporary file"
                + (removed == 1 ? "" : "s");
    }

    ModelFormats formats() { return formats; }

    boolean terminal() { return terminal; }

    /** For tests: time progress with {@code nanoClock} (and no timer thread). */
    Main progressClock(java.util.function.LongSupplier nanoClock) {
        this.progressClock = nanoClock;
        return this;
    }

    java.util.function.LongSupplier progressClock() { return progressClock; }

    /** A command line with Pare's error handling and every subcommand; set its out/err writers to capture output. */
    public CommandLine commandLine() {
        return commandLine(SUBCOMMANDS.keySet());
    }

    /**
     * The command line to run {@code args} with: when the first argument names a subcommand, only
     * that one is added (its parsing, help and errors are the same); otherwise (no command, a
     * typo, {@code --help}, {@code --version}) all of them, so that the usage and picocli's
     * suggestions list every command.
     */
    public CommandLine commandLine(String[] args) {
        return commandLine(args.length > 0 && SUBCOMMANDS.containsKey(args[0]) ? java.util.Set.of(args[0]) : SUBCOMMANDS.keySet());
    }

    private CommandLine commandLine(java.util.Set<String> subcommands) {
        CommandLine cl = new CommandLine(this);
        for (Map.Entry<String, Class<?>> sub : SUBCOMMANDS.entrySet()) {
            if (subcommands.contains(sub.getKey())) cl.addSubcommand(sub.getValue());
        }
        // --pipeline @FILE is ours: picocli must not expand @FILE into arguments
        cl.setExpandAtFiles(false);
        footer(cl);
        cl.setParameterExceptionHandler(this::usageErrorGuarded);
        cl.setExecutionExceptionHandler(this::executionError);
        // Errors (OutOfMemoryError, StackOverflowError) pass picocli's handlers: catch them here.
        cl.setExecutionStrategy(this::executeGuarded);
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

    /** Runs the command; whatever escapes it becomes one line and an exit code, never a raw trace. */
    private int executeGuarded(CommandLine.ParseResult parsed) {
        try {
            return new CommandLine.RunLast().execute(parsed);
        } catch (CommandLine.ParameterException e) {
            throw e;  // the parameter handler reports it
        } catch (CommandLine.ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return failed(cause, e.getCommandLine(), parsed);
        } catch (Throwable t) {
            return failed(t, spec.commandLine(), parsed);
        }
    }

    private int usageErrorGuarded(CommandLine.ParameterException e, String[] args) {
        try {
            return usageError(e, args);
        } catch (Throwable t) {
            return InternalFailure.report(t, e.getCommandLine().getErr(), debug(e.getCommandLine().getParseResult()));
        }
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
        err.println("pare: error: " + MessageText.forDisplay(message) + " (see '" + help + " --help')");
        if (debug(cmd.getParseResult())) e.printStackTrace(err);
        err.flush();
        return ExitCodes.USAGE;
    }

    private int executionError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        return failed(e, cmd, parsed);
    }

    /** A known error ({@link CliException}) with its own exit code, or an internal error (70). */
    private int failed(Throwable t, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        boolean debug;
        try {
            debug = debug(parsed);
        } catch (Throwable ignored) {
            debug = false;
        }
        OutOfMemoryError oom = OutOfMemory.in(t);
        if (oom != null && !(t instanceof CliException)) {
            InternalFailure.releaseReserve(); // room to build the line
            t = OutOfMemory.failure(oom, java.util.Optional.empty());
            InternalFailure.restoreReserve();
        }
        if (!(t instanceof CliException c)) return InternalFailure.report(t, err, debug);
        try {
            err.println(c.render());
            if (debug) c.printStackTrace(err);
            err.flush();
            return c.exitCode();
        } catch (Throwable inRendering) {
            return InternalFailure.report(inRendering, err, debug);
        }
    }

    /**
     * Stack traces on request: {@code --stacktrace} or {@code --verbose} anywhere on the command
     * line, or {@code PARE_DEBUG=1}.
     */
    private boolean debug(CommandLine.ParseResult parsed) {
        if ("1".equals(env.get("PARE_DEBUG"))) return true;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose") || p.hasMatchedOption(STACKTRACE)) return true;
        }
        return false;
    }
}
