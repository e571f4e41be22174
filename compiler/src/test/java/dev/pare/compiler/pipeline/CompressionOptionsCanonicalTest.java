package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.registry.PassRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compression passes' options that have no default (nbits, channel_axis, target_sparsity,
 * n_m_ratio, dim, mixed_precision's targets and analysis): absent from the canonical text when not
 * given, printed like any value when given, and the same text after a round trip. Their old
 * sentinels (nbits=0, channel_axis=-1, dim=-1, a target of 0) are now out-of-range values.
 */
class CompressionOptionsCanonicalTest {

    private final PipelineCompiler compiler;

    CompressionOptionsCanonicalTest() throws Exception {
        compiler = new PipelineCompiler(PassRegistry.discover(getClass().getClassLoader()));
    }

    private String canonical(String pipeline) throws PipelineException {
        String text = compiler.parseInline(pipeline).canonicalText();
        assertEquals(text, compiler.parseInline(text).canonicalText(), "round trip of " + pipeline);
        return text;
    }

    private String error(String pipeline) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(pipeline)).getMessage().lines().findFirst().orElseThrow();
    }

    @Test
    void palettizeLeavesOutNbitsAndChannelAxisUntilGiven() throws Exception {
        assertEquals("palettize{act_order=false, algorithm=rtn, bias_correction=none, calibration=one_shot, cluster_dim=1, column_block=128, "
                + "damp=0.01, enable_per_channel_scale=false, granularity=per_tensor, group_size=32, lut=[], mode=kmeans, "
                + "sensitivity=none, skip_inapplicable=false, weight_threshold=2048}\n", canonical("palettize"));
        assertEquals("palettize{act_order=false, algorithm=rtn, bias_correction=none, calibration=one_shot, channel_axis=1, cluster_dim=1, "
                + "column_block=128, damp=0.01, enable_per_channel_scale=false, granularity=per_grouped_channel, group_size=8, lut=[], "
                + "mode=kmeans, nbits=2, sensitivity=none, skip_inapplicable=false, weight_threshold=2048}\n",
                canonical("palettize{nbits=2, channel_axis=1, granularity=per_grouped_channel, group_size=8}"));
    }

    @Test
    void pruneLeavesOutTargetSparsityNmRatioAndDimUntilGiven() throws Exception {
        assertEquals("prune{act_order=false, algorithm=magnitude, bias_correction=none, block_size=0, calibration=one_shot, column_block=128, "
                + "damp=0.01, minimum_sparsity_percentile=0.5, mode=threshold, per_channel_sparsity=false, skip_inapplicable=false, "
                + "sparsity_allocation=uniform, threshold=1.0e-12, weight_threshold=2048}\n", canonical("prune"));
        assertEquals("prune{act_order=false, algorithm=magnitude, bias_correction=none, block_size=0, calibration=one_shot, column_block=128, "
                + "damp=0.01, dim=0, minimum_sparsity_percentile=0.5, mode=magnitude, n_m_ratio=\"2:4\", per_channel_sparsity=false, "
                + "skip_inapplicable=false, sparsity_allocation=uniform, threshold=1.0e-12, weight_threshold=2048}\n",
                canonical("prune{mode=magnitude, n_m_ratio=\"2:4\", dim=0}"));
        assertEquals("prune{mode=magnitude, target_sparsity=0.5}", PipelinePrinter.brief(
                compiler.parseInline("prune{mode=magnitude, target_sparsity=0.5}").passSteps().get(0),
                compiler.registry().passes().get("prune").schema().defaults()));
    }

    @Test
    void mixedPrecisionPrintsOnlyTheTargetGiven() throws Exception {
        String candidates = "candidates=[\"palettize{nbits=2}\", \"palettize{nbits=4}\"]";
        assertEquals("mixed_precision{" + candidates + ", samples=64, target_ratio=0.25}\n",
                canonical("mixed_precision{target_ratio=0.25, " + candidates + "}"));
        assertEquals("mixed_precision{analysis=\"a.json\", " + candidates + ", samples=64, target_bytes=4096}\n",
                canonical("mixed_precision{target_bytes=4096, analysis=\"a.json\", " + candidates + "}"));
    }

    @Test
    void theOldSentinelsAreValuesOutOfRangeNamedAtTheValue() {
        assertEquals("<pipeline>:1:24: error[P006]: option 'channel_axis' of pass 'palettize' must be >= 0, got -1",
                error("palettize{channel_axis=-1}"));
        assertEquals("<pipeline>:1:44: error[P006]: option 'dim' of pass 'prune' must be in [0, 1], got -1",
                error("prune{mode=magnitude, n_m_ratio=\"2:4\", dim=-1}"));
        assertEquals("<pipeline>:1:39: error[P006]: option 'target_sparsity' of pass 'prune' must be in [0, 1), got -1.0",
                error("prune{mode=magnitude, target_sparsity=-1}"));
        assertEquals("<pipeline>:1:40: error[P006]: option 'target_bits_per_weight' of pass 'mixed_precision' must be > 0, got 0.0",
                error("mixed_precision{target_bits_per_weight=0}"));
        assertEquals("<pipeline>:1:30: error[P006]: option 'target_bytes' of pass 'mixed_precision' must be >= 1, got 0",
                error("mixed_precision{target_bytes=0}"));
        assertEquals("<pipeline>:1:30: error[P006]: option 'target_ratio' of pass 'mixed_precision' must be in (0, 1], got 0.0",
                error("mixed_precision{target_ratio=0}"));
        assertEquals("<pipeline>:1:16: error[P007]: invalid options for pass 'mixed_precision': give exactly one of "
                + "target_bits_per_weight, target_bytes and target_ratio (got 2)",
                error("mixed_precision{target_ratio=0.5, target_bytes=10}"));
    }

    @Test
    void optionalsListTheirSetInTheOrderTheyAreGiven() throws Exception {
        List<String> keys = compiler.registry().passes().get("prune").schema().options().stream().filter(o -> o.optional())
                .map(o -> o.key()).toList();
        assertEquals(List.of("target_sparsity", "n_m_ratio", "dim"), keys);
    }
}
