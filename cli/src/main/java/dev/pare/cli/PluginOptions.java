package dev.pare.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --plugin-path} and {@code --pipeline-path}: where passes and pipeline files come from (a picocli mixin). */
final class PluginOptions {

    @Option(names = "--plugin-path", paramLabel = "DIR",
            description = "A directory of plugin jars (or one jar) whose passes and built-in pipelines are added.")
    Path pluginPath;

    @Option(names = "--pipeline-path", paramLabel = "DIR",
            description = "A directory searched for *.pipeline files (named pipelines and includes); repeatable.")
    List<Path> pipelinePath = new ArrayList<>();
}
