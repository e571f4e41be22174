package dev.pare.compiler.passmanager;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Graph;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * On a pass failure, writes a directory that replays it: {@code DIR/<model>} (the input model,
 * through the {@link InputModelWriter}), {@code DIR/pipeline.pipeline} (the canonical pipeline),
 * {@code DIR/seed} and {@code DIR/README} with the command
 * {@code pare compile DIR/<model> -o out --pipeline @DIR/pipeline.pipeline --seed N}.
 */
public final class ReproducerInstrumentation implements PassInstrumentation {

    public static final String PIPELINE_FILE = "pipeline.pipeline";

    private final Path dir;
    private final InputModelWriter modelWriter;
    private final long seed;
    private final Set<String> disabledPasses;
    private final PrintStream out;
    private String pipelineText = "";

    public ReproducerInstrumentation(Path dir, InputModelWriter modelWriter, long seed, Set<String> disabledPasses, PrintStream out) {
        this.dir = dir;
        this.modelWriter = modelWriter;
        this.seed = seed;
        this.disabledPasses = new TreeSet<>(disabledPasses);
        this.out = out;
    }

    @Override public void beforePipeline(PipelineSpec pipeline, Graph graph) { pipelineText = pipeline.canonicalText(); }

    @Override public void afterPassFailed(PassExecution execution, Graph graph, PassManagerException failure) {
        try {
            Files.createDirectories(dir);
            String model = "<model>";
            if (modelWriter != null) {
                Path written = modelWriter.write(dir);
                model = dir.resolve(written.getFileName()).toString();
            }
            Files.writeString(dir.resolve(PIPELINE_FILE), pipelineText, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("seed"), seed + "\n", StandardCharsets.UTF_8);
            String command = "pare compile " + model + " -o out --pipeline @" + dir.resolve(PIPELINE_FILE) + " --seed " + seed
                    + (disabledPasses.isEmpty() ? "" : " --disable-pass=" + String.join(",", disabledPasses));
            String readme = "Pare reproducer\n\n"
                    + "The pipeline failed:\n  " + failure.getMessage() + "\n\n"
                    + "Replay it with:\n  " + command + "\n"
                    + (modelWriter == null ? "\nThe input model was not saved; use the model the run started from.\n" : "");
            Files.writeString(dir.resolve("README"), readme, StandardCharsets.UTF_8);
            out.println("reproducer written to " + dir);
        } catch (IOException | RuntimeException e) {
            out.println(CompilerCode.M007.tag() + " could not write the reproducer to " + dir + ": " + e.getMessage());
        }
        out.flush();
    }
}
