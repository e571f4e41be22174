package dev.pare.cli;

import dev.pare.compiler.inspect.Json;
import dev.pare.compiler.inspect.TextTable;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.pipeline.SourceSpan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pare pipelines [--explain PIPELINE]}: named pipelines and where they are defined, or one expanded. */
@Command(name = "pipelines", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Lists the named pipelines: the built-in ones (shipped in jars as "
                + "META-INF/pare/pipelines/*.pipeline) and those in --pipeline-path directories, with where each is defined.",
                "--explain prints a pipeline in canonical form: references expanded, every option written."})
final class PipelinesCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--explain", paramLabel = "PIPELINE",
            description = "A pipeline NAME, inline steps or @FILE to print in canonical form.")
    String explain;

    @Mixin PluginOptions plugins;

    @Option(names = "--json", description = "Print JSON (sorted keys) instead of text.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        CompilerSession session = CompilerSession.open(plugins);
        PrintWriter out = spec.commandLine().getOut();
        if (explain != null) {
            PipelineSpec p = session.pipeline(explain);
            String canonical = p.canonicalText();
            out.print(json ? Json.write(Map.of("pipeline", explain, "canonical", canonical, "passes", p.passSteps().size()))
                    : canonical);
        } else {
            SortedMap<String, SourceSpan> all = session.pipelines().availablePipelines();
            if (json) {
                List<Object> rows = new ArrayList<>();
                all.forEach((name, at) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", name);
                    m.put("file", at.file());
                    m.put("line", at.line());
                    m.put("column", at.column());
                    rows.add(m);
                });
                out.print(Json.write(Map.of("pipelines", rows)));
            } else {
                TextTable t = new TextTable("name", "defined at");
                all.forEach((name, at) -> t.row(name, at.toString()));
                out.print("Pipelines: " + all.size() + "\n" + t.render());
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
