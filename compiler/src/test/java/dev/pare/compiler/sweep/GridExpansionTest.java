package dev.pare.compiler.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GridExpansionTest {

    @Test
    void oneAxisGivesOnePipelinePerValueInOrder() throws SweepException {
        assertEquals(List.of(
                Map.entry("nbits=2", "palettize{nbits=2}, CLEANUP"),
                Map.entry("nbits=4", "palettize{nbits=4}, CLEANUP"),
                Map.entry("nbits=8", "palettize{nbits=8}, CLEANUP")),
                GridExpansion.expand("palettize{nbits=2|4|8}, CLEANUP"));
    }

    @Test
    void twoAxesGiveTheProductFirstAxisSlowest() throws SweepException {
        assertEquals(List.of(
                Map.entry("mode=kmeans nbits=2", "palettize{mode=kmeans, nbits=2}"),
                Map.entry("mode=kmeans nbits=4", "palettize{mode=kmeans, nbits=4}"),
                Map.entry("mode=uniform nbits=2", "palettize{mode=uniform, nbits=2}"),
                Map.entry("mode=uniform nbits=4", "palettize{mode=uniform, nbits=4}")),
                GridExpansion.expand("palettize{mode=kmeans | uniform, nbits=2|4}"));
    }

    @Test
    void aSharedOptionNameIsPrefixedWithItsPass() throws SweepException {
        List<Map.Entry<String, String>> points = GridExpansion.expand(
                "prune{mode=magnitude, target_sparsity=0.25|0.5}, palettize{mode=kmeans|uniform}, quantize_weights{mode=linear|linear_symmetric}");
        assertEquals(List.of("target_sparsity=0.25 palettize.mode=kmeans quantize_weights.mode=linear",
                "target_sparsity=0.25 palettize.mode=kmeans quantize_weights.mode=linear_symmetric",
                "target_sparsity=0.25 palettize.mode=uniform quantize_weights.mode=linear",
                "target_sparsity=0.25 palettize.mode=uniform quantize_weights.mode=linear_symmetric",
                "target_sparsity=0.5 palettize.mode=kmeans quantize_weights.mode=linear",
                "target_sparsity=0.5 palettize.mode=kmeans quantize_weights.mode=linear_symmetric",
                "target_sparsity=0.5 palettize.mode=uniform quantize_weights.mode=linear",
                "target_sparsity=0.5 palettize.mode=uniform quantize_weights.mode=linear_symmetric"),
                points.stream().map(Map.Entry::getKey).toList());
        assertEquals("prune{mode=magnitude, target_sparsity=0.5}, palettize{mode=uniform}, quantize_weights{mode=linear}",
                points.get(6).getValue());
    }

    @Test
    void stringsAndListsAreWholeValues() throws SweepException {
        assertEquals(List.of(
                Map.entry("lut=[0, 1]", "p{lut=[0, 1], label=\"a|b\"}"),
                Map.entry("lut=[2]", "p{lut=[2], label=\"a|b\"}")),
                GridExpansion.expand("p{lut=[0, 1]|[2], label=\"a|b\"}"));
    }

    @Test
    void textWithoutAlternativesIsOnePointNamedByItsText() throws SweepException {
        assertEquals(List.of(Map.entry("palettize{nbits=4}, CLEANUP", " palettize{nbits=4}, CLEANUP ")),
                GridExpansion.expand(" palettize{nbits=4}, CLEANUP "));
    }

    @Test
    void selectorsAndOverridesAreLeftAlone() throws SweepException {
        List<Map.Entry<String, String>> points = GridExpansion.expand(
                "palettize{nbits=4|6} on op_name(\"/conv*\") where { op_type(gemm) -> {nbits=8}; }");
        assertEquals(2, points.size());
        assertEquals("palettize{nbits=6} on op_name(\"/conv*\") where { op_type(gemm) -> {nbits=8}; }", points.get(1).getValue());
    }

    @Test
    void badGridsAreOneLineErrors() {
        assertEquals("--grid 'palettize{nbits=2||4}': option 'nbits' has an empty value at column 19",
                assertThrows(SweepException.class, () -> GridExpansion.expand("palettize{nbits=2||4}")).getMessage());
        assertEquals("--grid 'palettize{nbits=4|4}': option 'nbits' lists a value twice",
                assertThrows(SweepException.class, () -> GridExpansion.expand("palettize{nbits=4|4}")).getMessage());
        assertEquals("--grid 'palettize|prune': '|' at column 10 is not between option values (write key=a|b inside a pass's { })",
                assertThrows(SweepException.class, () -> GridExpansion.expand("palettize|prune")).getMessage());
        assertEquals("--grid 'p{s=\"x|y}': the string at column 5 is not closed",
                assertThrows(SweepException.class, () -> GridExpansion.expand("p{s=\"x|y}")).getMessage());
        assertEquals("--grid 'p{l=[1|[2}': '[' at column 5 is not closed",
                assertThrows(SweepException.class, () -> GridExpansion.expand("p{l=[1|[2}")).getMessage());
        assertEquals("--grid is empty; give pipeline text such as 'palettize{nbits=2|4|8}'",
                assertThrows(SweepException.class, () -> GridExpansion.expand("  ")).getMessage());
    }

    @Test
    void tooManyCombinationsAreRefusedBeforeExpanding() {
        String grid = "p{a=1|2|3|4|5|6|7|8|9|10, b=1|2|3|4|5|6|7|8|9|10, c=1|2|3|4|5|6|7|8|9|10|11}";
        assertEquals("--grid '" + grid + "': more than 1000 combinations; sweep fewer values",
                assertThrows(SweepException.class, () -> GridExpansion.expand(grid)).getMessage());
    }
}
