package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.registry.PassRegistry;
import org.junit.jupiter.api.Test;

/** The data-aware options of palettize, quantize_weights and prune: what parses, and the one-line errors of what does not. */
class DataAwareOptionsTest {

    private final PipelineCompiler compiler;

    DataAwareOptionsTest() throws Exception {
        compiler = new PipelineCompiler(PassRegistry.discover(getClass().getClassLoader()));
    }

    private String error(String pipeline) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(pipeline)).getMessage().lines().findFirst().orElseThrow();
    }

    @Test
    void dataAwarePipelinesParse() throws Exception {
        compiler.parseInline("palettize{nbits=2, algorithm=gptq}");
        compiler.parseInline("palettize{nbits=2, algorithm=gptq, sensitivity=hessian, damp=0.05, act_order=true, column_block=64}");
        compiler.parseInline("palettize{nbits=3, sensitivity=hessian, granularity=per_grouped_channel, group_size=8}");
        compiler.parseInline("quantize_weights{dtype=int4, granularity=per_block, block_size=32, algorithm=gptq, act_order=true}");
        compiler.parseInline("prune{mode=magnitude, target_sparsity=0.5, algorithm=sparsegpt}");
        compiler.parseInline("prune{mode=magnitude, target_sparsity=0.75, algorithm=sparsegpt, per_channel_sparsity=true}");
        compiler.parseInline("prune{mode=magnitude, n_m_ratio=\"2:4\", algorithm=sparsegpt}");
        compiler.parseInline("prune{mode=magnitude, target_sparsity=0.75, algorithm=sparsegpt, sparsity_allocation=output_error}");
    }

    @Test
    void outputErrorAllocationNeedsSparseGptWithATargetOfAtMost95Percent() {
        String needs = "<pipeline>:1:6: error[P007]: invalid options for pass 'prune': sparsity_allocation=output_error needs "
                + "algorithm=sparsegpt with target_sparsity (not n_m_ratio or per_channel_sparsity)";
        assertEquals(needs, error("prune{mode=magnitude, target_sparsity=0.75, sparsity_allocation=output_error}"));
        assertEquals(needs, error("prune{mode=magnitude, n_m_ratio=\"2:4\", algorithm=sparsegpt, sparsity_allocation=output_error}"));
        assertEquals(needs, error("prune{mode=magnitude, target_sparsity=0.5, algorithm=sparsegpt, per_channel_sparsity=true, "
                + "sparsity_allocation=output_error}"));
        assertEquals("<pipeline>:1:39: error[P006]: option 'target_sparsity' of pass 'prune' must be at most 0.95 with "
                + "sparsity_allocation=output_error, got 0.97",
                error("prune{mode=magnitude, target_sparsity=0.97, algorithm=sparsegpt, sparsity_allocation=output_error}"));
    }

    @Test
    void impossibleCombinationsAreOneLineAtTheOptions() {
        assertEquals("<pipeline>:1:10: error[P007]: invalid options for pass 'palettize': sensitivity=hessian needs mode=kmeans, got mode=uniform",
                error("palettize{mode=uniform, sensitivity=hessian}"));
        assertEquals("<pipeline>:1:6: error[P007]: invalid options for pass 'prune': algorithm=sparsegpt needs mode=magnitude",
                error("prune{algorithm=sparsegpt}"));
        assertEquals("<pipeline>:1:6: error[P007]: invalid options for pass 'prune': algorithm=sparsegpt does not take block_size "
                + "(use n_m_ratio or per_channel_sparsity)",
                error("prune{mode=magnitude, target_sparsity=0.5, block_size=2, algorithm=sparsegpt}"));
        assertEquals("<pipeline>:1:6: error[P007]: invalid options for pass 'prune': per_channel_sparsity needs algorithm=sparsegpt with target_sparsity",
                error("prune{mode=magnitude, target_sparsity=0.5, per_channel_sparsity=true}"));
        assertEquals("<pipeline>:1:16: error[P006]: option 'damp' of pass 'palettize' must be >= 0.0, got -0.1",
                error("palettize{damp=-0.1}"));
        assertEquals("<pipeline>:1:47: error[P006]: option 'column_block' of pass 'quantize_weights' must be >= 1, got 0",
                error("quantize_weights{algorithm=gptq, column_block=0}"));
        assertEquals("<pipeline>:1:21: error[P006]: option 'algorithm' of pass 'palettize' must be one of rtn, gptq, got sparsegpt",
                error("palettize{algorithm=sparsegpt}"));
    }
}
