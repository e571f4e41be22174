package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.PipelineResource;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every built-in pipeline file parses with the real pipeline language and defines the pipeline it is named after. */
class BuiltinPipelinesTest {

    private final PassRegistry registry;
    private final PipelineCompiler compiler;

    BuiltinPipelinesTest() throws Exception {
        registry = PassRegistry.discover(getClass().getClassLoader());
        compiler = new PipelineCompiler(registry);
    }

    @Test
    void everyBuiltinFileParsesAndNamesItsPipeline() throws Exception {
        // the files shipped next to CLEANUP.pipeline (the test class path adds test-only files elsewhere)
        String cleanup = registry.pipelineFiles().get("CLEANUP.pipeline").url().toString();
        String dir = cleanup.substring(0, cleanup.lastIndexOf('/') + 1);
        List<PipelineResource> builtins = registry.pipelineFiles().values().stream()
                .filter(f -> f.url().toString().equals(dir + f.fileName())).toList();
        assertEquals(12, builtins.size(), builtins.toString());
        for (PipelineResource file : builtins) {
            String name = file.fileName().replace(".pipeline", "");
            PipelineSpec spec = compiler.named(name);
            assertEquals(name, spec.name(), file.displayName());
            assertTrue(compiler.availablePipelines().containsKey(name), name);
        }
    }

    private String passSteps(String pipeline) throws Exception {
        return compiler.named(pipeline).passSteps().stream().map(PassStep::passName).collect(Collectors.joining(","));
    }

    @Test
    void compressionPipelinesCompressFirstThenCleanUp() throws Exception {
        String cleanup = passSteps("CLEANUP");
        for (String p : List.of("DEFAULT_PALETTIZATION", "PALETTIZE_4BIT", "PALETTIZE_8BIT")) assertEquals("palettize," + cleanup, passSteps(p), p);
        for (String p : List.of("DEFAULT_PRUNING", "PRUNE_50")) assertEquals("prune," + cleanup, passSteps(p), p);
        for (String p : List.of("QUANTIZE_INT8", "QUANTIZE_INT4_BLOCK32")) assertEquals("quantize_weights," + cleanup, passSteps(p), p);
        assertEquals("prune,palettize," + cleanup, passSteps("JOINT_PRUNE_PALETTIZE"));
        assertEquals("quantize_weights,activation_quantize," + cleanup, passSteps("W8A8"));
    }

    @Test
    void compressionPipelinesCarryTheirOptions() throws Exception {
        String text = compiler.named("DEFAULT_PRUNING").canonicalText() + compiler.named("QUANTIZE_INT4_BLOCK32").canonicalText()
                + compiler.named("DEFAULT_PALETTIZATION").canonicalText() + compiler.named("PRUNE_50").canonicalText();
        for (String expected : List.of("mode=threshold", "threshold=1.0e-12", "minimum_sparsity_percentile=0.5", "weight_threshold=2048",
                "dtype=int4", "granularity=per_block", "block_size=32", "mode=unique", "mode=magnitude", "target_sparsity=0.5")) {
            assertTrue(text.contains(expected), expected + " missing in\n" + text);
        }
    }
}
