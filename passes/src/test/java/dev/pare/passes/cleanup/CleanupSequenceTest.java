package dev.pare.passes.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Verifier;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import dev.pare.testkit.TestPassContext;
import dev.pare.testkit.TextDiff;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the passes the way the built-in CLEANUP pipeline orders them (a fixpoint of
 * identity_elimination, const_folding, const_deduplication, dead_code_elimination, then
 * topological_reorder) without the pass manager, which lives in another module.
 */
class CleanupSequenceTest {

    private static String resource(String path) throws IOException {
        try (InputStream in = CleanupSequenceTest.class.getClassLoader().getResourceAsStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static <O extends Record> Pass pass(PassProvider<O> p) {
        return p.create(ScopedOptions.uniform(p.defaults()));
    }

    /** Returns the number of fixpoint rounds that changed something. */
    static int cleanup(Graph g, TestPassContext context) throws PassFailure {
        List<Pass> body = List.of(pass(new IdentityElimination()), pass(new ConstFolding()),
                pass(new ConstDeduplication()), pass(new DeadCodeElimination()));
        int rounds = 0;
        for (int i = 0; i < 8; i++) {
            boolean changed = false;
            for (Pass p : body) changed |= p.run(g, context).changed();
            if (!changed) break;
            rounds++;
        }
        pass(new TopologicalReorder()).run(g, context);
        return rounds;
    }

    @Test
    void cleansAnExportedGraphUntilNothingChanges() throws Exception {
        Graph g = IrParser.parse(resource("golden/exporter_flatten.before.ir"), "exporter_flatten.before.ir");
        TestPassContext context = new TestPassContext();
        int rounds = cleanup(g, context);
        assertEquals(List.of(), Verifier.verify(g));
        String expected = resource("golden/exporter_flatten.cleanup.after.ir");
        String actual = IrPrinter.print(g);
        assertTrue(TextDiff.normalize(expected).equals(TextDiff.normalize(actual)), () -> TextDiff.diff(expected, actual));
        assertEquals(1, rounds, "one round does it all; the second finds nothing");
        // a second cleanup finds nothing to do
        TestPassContext again = new TestPassContext();
        assertEquals(0, cleanup(g, again));
        assertEquals(actual, IrPrinter.print(g));
    }
}
