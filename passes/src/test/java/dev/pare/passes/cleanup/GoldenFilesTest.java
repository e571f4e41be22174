package dev.pare.passes.cleanup;

import dev.pare.testkit.PassTester;
import org.junit.jupiter.api.Test;

/** Each pass on the same exported graph, compared with {@code golden/exporter_flatten.PASS.after.ir}. */
class GoldenFilesTest {

    private static final String BEFORE = "golden/exporter_flatten.before.ir";

    private static String after(String pass) { return "golden/exporter_flatten." + pass + ".after.ir"; }

    @Test
    void deadCodeElimination() {
        PassTester.of(new DeadCodeElimination()).assertGolden(BEFORE, after("dead_code_elimination"))
                .assertStatistic("nodes_removed", 2);
    }

    @Test
    void constDeduplication() {
        PassTester.of(new ConstDeduplication()).assertGolden(BEFORE, after("const_deduplication"))
                .assertStatistic("constant_nodes_merged", 1);
    }

    @Test
    void constFolding() {
        PassTester.of(new ConstFolding()).assertGolden(BEFORE, after("const_folding"))
                .assertStatistic("nodes_folded", 4).assertStatistic("constant_nodes_converted", 3);
    }

    @Test
    void identityElimination() {
        PassTester.of(new IdentityElimination()).assertGolden(BEFORE, after("identity_elimination"))
                .assertStatistic("nodes_removed", 2);
    }

    @Test
    void topologicalReorderLeavesAnOrderedGraphAlone() {
        PassTester.of(new TopologicalReorder()).assertGolden(BEFORE, after("topological_reorder")).assertChanged(false);
    }
}
