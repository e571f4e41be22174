package dev.pare.cli;

import dev.pare.compiler.inspect.Json;
import dev.pare.compiler.inspect.TextTable;
import dev.pare.compiler.pipeline.OptionsCodec;
import dev.pare.compiler.pipeline.Suggestions;
import dev.pare.compiler.registry.OptionSpec;
import dev.pare.compiler.registry.RegisteredPass;
import dev.pare.spi.PassInfo;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pare passes [NAME]}: every pass found, or one pass with all its options. */
@Command(name = "passes", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Lists the passes found on the class path and in --plugin-path: name, whether it is "
                + "required or optional (only optional passes can be disabled), and a summary.",
                "With NAME, shows that pass and every option: type, default, range and help."})
final class PassesCommand implements Callable<Integer> {

    /** The default column of an {@code Optional} option: not setting it is a choice of its own, not a value. */
    static final String NO_DEFAULT = "optional, no default";

    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A pass to describe.")
    String name;

    @Mixin PluginOptions plugins;

    @Option(names = "--json", description = "Print JSON (sorted keys) instead of tables.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        CompilerSession session = CompilerSession.open(plugins);
        Map<String, RegisteredPass> passes = session.registry().passes();
        PrintWriter out = spec.commandLine().getOut();
        if (name == null) {
            out.print(json ? Json.write(Map.of("passes", passes.values().stream().map(p -> toJson(p, false)).toList()))
                    : table(passes.values()));
        } else {
            RegisteredPass pass = passes.get(name);
            if (pass == null) {
                throw new CliException(ExitCodes.USAGE, "unknown pass '" + name + "'"
                        + Suggestions.didYouMean(name, passes.keySet()) + " (see 'pare passes')");
            }
            out.print(json ? Json.write(toJson(pass, true)) : describe(pass));
        }
        out.flush();
        return ExitCodes.OK;
    }

    static String kind(PassInfo info) { return info.required() ? "required" : "optional"; }

    private static String table(Iterable<RegisteredPass> passes) {
        TextTable t = new TextTable("name", "kind", "summary");
        int n = 0;
        for (RegisteredPass p : passes) {
            t.row(p.name(), kind(p.info()), p.info().summary());
            n++;
        }
        return "Passes: " + n + "\n" + t.render();
    }

    private static String describe(RegisteredPass p) {
        StringBuilder sb = new StringBuilder();
        PassInfo info = p.info();
        sb.append("Pass ").append(p.name()).append(" (").append(kind(info)).append(")\n");
        sb.append("  ").append(info.summary()).append('\n');
        TextTable about = new TextTable("", "");
        about.row("provider", p.providerClassName());
        about.row("from", origin(p));
        if (!info.requires().isEmpty()) about.row("requires", String.join(", ", new TreeSet<>(info.requires())));
        if (!info.establishes().isEmpty()) about.row("establishes", String.join(", ", new TreeSet<>(info.establishes())));
        if (!info.invalidates().isEmpty()) about.row("invalidates", String.join(", ", new TreeSet<>(info.invalidates())));
        // the header row of a two-column key/value table is blank: drop it
        String rows = about.render();
        sb.append(rows.substring(rows.indexOf('\n') + 1));
        List<OptionSpec> options = p.schema().options();
        if (options.isEmpty()) {
            sb.append("Options: none\n");
        } else {
            sb.append("Options (").append(p.name()).append("{key=value, ...} in a pipeline):\n");
            TextTable t = new TextTable("option", "type", "default", "range", "help");
            for (OptionSpec o : options) {
                t.row(o.key(), o.type().describe(), o.optional() ? NO_DEFAULT : OptionsCodec.encode(o.type(), o.defaultValue()),
                        o.describeRange(), o.help());
            }
            sb.append(t.render());
        }
        return sb.toString();
    }

    /** The jar or directory the provider class was loaded from. */
    static String origin(RegisteredPass p) {
        CodeSource source = p.provider().getClass().getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) return "(unknown)";
        try {
            return Path.of(source.getLocation().toURI()).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return source.getLocation().toString();
        }
    }

    private static Map<String, Object> toJson(RegisteredPass p, boolean details) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("required", p.required());
        m.put("summary", p.info().summary());
        m.put("provider", p.providerClassName());
        m.put("from", origin(p));
        m.put("requires", sorted(p.info().requires()));
        m.put("establishes", sorted(p.info().establishes()));
        m.put("invalidates", sorted(p.info().invalidates()));
        if (details || !p.schema().options().isEmpty()) {
            List<Object> options = new ArrayList<>();
            for (OptionSpec o : p.schema().options()) {
                Map<String, Object> om = new LinkedHashMap<>();
                om.put("key", o.key());
                om.put("type", o.type().describe());
                om.put("default", o.optional() ? null : OptionsCodec.encode(o.type(), o.defaultValue()));
                om.put("range", o.describeRange());
                om.put("help", o.help());
                options.add(om);
            }
            m.put("options", options);
        }
        return m;
    }

    private static List<String> sorted(Set<String> s) { return List.copyOf(new TreeSet<>(s)); }
}
