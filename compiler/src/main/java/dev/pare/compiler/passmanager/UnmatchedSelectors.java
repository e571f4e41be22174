package dev.pare.compiler.passmanager;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.pipeline.NodeOverride;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.Selector;
import dev.pare.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The selectors of a step ({@code on}, {@code except}, {@code where} arms) with patterns that match
 * no node of the graph the step runs on: usually a typo, and a step whose every {@code on} pattern
 * matches nothing changes nothing. {@link PassManager} reports them as one warning per step (M015).
 */
final class UnmatchedSelectors {

    static final String CODE = CompilerCode.M015.code();

    private UnmatchedSelectors() {}

    /**
     * {@code step 'palettize': on op_name("x*") matches no node, so the step applies to none}, or
     * empty when every pattern matches some node.
     */
    static Optional<String> describe(PassStep step, List<Node> nodes) {
        List<String> unmatched = new ArrayList<>();
        boolean onMatchesNothing = !step.scope().on().isEmpty();
        for (Selector s : step.scope().on()) {
            Optional<Selector> dead = unmatched(s, nodes);
            dead.ifPresent(d -> unmatched.add("on " + d.canonical()));
            if (dead.isEmpty() || dead.get().patterns().size() < s.patterns().size()) onMatchesNothing = false;
        }
        for (Selector s : step.scope().except()) unmatched(s, nodes).ifPresent(d -> unmatched.add("except " + d.canonical()));
        for (NodeOverride o : step.overrides()) {
            unmatched(o.selector(), nodes).ifPresent(d -> unmatched.add("where " + d.canonical() + " (at " + o.span() + ")"));
        }
        if (unmatched.isEmpty()) return Optional.empty();
        return Optional.of("step '" + step.passName() + "': " + String.join(", ", unmatched)
                + (unmatched.size() == 1 ? " matches" : " match") + " no node"
                + (onMatchesNothing ? ", so the step applies to none" : ""));
    }

    /** The patterns of {@code s} that match no node, as a selector of the same kind. */
    private static Optional<Selector> unmatched(Selector s, List<Node> nodes) {
        List<String> dead = new ArrayList<>();
        for (String pattern : s.patterns()) {
            Selector one = new Selector(s.kind(), List.of(pattern));
            if (nodes.stream().noneMatch(one::matches)) dead.add(pattern);
        }
        return dead.isEmpty() ? Optional.empty() : Optional.of(new Selector(s.kind(), dead));
    }
}
