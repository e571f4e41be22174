package dev.pare.cli;

import dev.pare.spi.MessageText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --plugin-path} and {@code --pipeline-path}: where passes and pipeline files come from (a picocli mixin). */
final class PluginOptions {

    @Option(names = "--plugin-path", paramLabel = "DIR",
            description = "A directory of plugin jars (or one jar) whose passes and built-in pipelines are added.")
    Path pluginPath;

    @Option(names = "--pipeline-path", paramLabel = "DIR",
            description = "A directory searched for *.pipeline files (named pipelines and includes); repeatable.")
    List<Path> pipelinePath = new ArrayList<>();

    /** The command these options belong to (null when built by hand, e.g. in tests). */
    @Spec(Spec.Target.MIXEE) CommandSpec command;

    /** {@code pare: warning: <text>} on the command's stderr. */
    void warn(String text) {
        if (command == null) return;
        PrintWriter err = command.commandLine().getErr();
        err.println("pare: warning: " + MessageText.forDisplay(text));
        err.flush();
    }
}
