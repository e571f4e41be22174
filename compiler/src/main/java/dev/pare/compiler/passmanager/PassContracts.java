package dev.pare.compiler.passmanager;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.pipeline.FixpointStep;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.Step;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.PassInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@link PassInfo#requires()}, {@code establishes()} and {@code invalidates()} mean: named
 * properties of the graph that {@link PassManager} tracks through a pipeline. Two are built in and
 * hold or not for the input graph:
 * <ul>
 *   <li>{@value #ONNX}: the graph has no MIL ops (its ops are ONNX ops, and pare's compression ops);
 *   <li>{@value #MIL}: the graph has no ONNX ops (a Core ML input, or after {@code convert_to_mil},
 *       which establishes {@value #MIL} and invalidates {@value #ONNX}).
 * </ul>
 * Any other name holds only once a step establishes it, so plugins can order their own passes.
 * The whole pipeline is checked before its first pass runs: a step whose requirement does not
 * hold there is {@code M016}, naming the step and the step that invalidated it.
 */
final class PassContracts {

    static final String ONNX = "onnx";
    static final String MIL = "mil";

    private PassContracts() {}

    /** The built-in properties that hold for {@code graph} (nested graphs included). */
    static Set<String> initial(Graph graph) {
        boolean onnx = false;
        boolean mil = false;
        for (Node n : graph.allNodes()) {
            onnx |= n.dialect().equals(ONNX);
            mil |= n.dialect().equals(MIL);
        }
        Set<String> holding = new TreeSet<>();
        if (!mil) holding.add(ONNX);
        if (!onnx) holding.add(MIL);
        return holding;
    }

    /**
     * Walks {@code steps} from {@code holding} as the pass manager will run them (a fixpoint body
     * twice: its second round starts from what the first left; passes in {@code disabled} do
     * nothing) and fails at the first step whose requirement does not hold.
     */
    static void check(List<Step> steps, Set<String> holding, PassRegistry registry, Set<String> disabled)
            throws PassManagerException {
        new Walk(registry, disabled, new TreeSet<>(holding)).steps(steps);
    }

    /**
     * Why {@code info}'s pass did not keep its word on the graph it just ran on: a built-in
     * property it establishes does not hold (e.g. ONNX ops left after it claims {@value #MIL}).
     */
    static Optional<String> unkept(PassInfo info, Graph graph) {
        if (!info.establishes().contains(ONNX) && !info.establishes().contains(MIL)) return Optional.empty();
        Set<String> holding = initial(graph);
        for (String p : new TreeSet<>(info.establishes())) {
            if ((p.equals(ONNX) || p.equals(MIL)) && !holding.contains(p)) {
                return Optional.of("the pass declares it establishes '" + p + "' (" + Walk.describe(p)
                        + "), but the graph still has " + (p.equals(MIL) ? ONNX : MIL) + " ops");
            }
        }
        return Optional.empty();
    }

    private static final class Walk {
        private final PassRegistry registry;
        private final Set<String> disabled;
        private final Set<String> holding;
        /** The last step that invalidated each property, to name it. */
        private final Map<String, PassStep> invalidatedBy = new HashMap<>();

        Walk(PassRegistry registry, Set<String> disabled, Set<String> holding) {
            this.registry = registry;
            this.disabled = disabled;
            this.holding = holding;
        }

        void steps(List<Step> steps) throws PassManagerException {
            for (Step s : steps) {
                if (s instanceof PassStep p) pass(p);
                else for (int round = 0; round < 2; round++) steps(((FixpointStep) s).body());
            }
        }

        private void pass(PassStep step) throws PassManagerException {
            if (disabled.contains(step.passName())) return;
            PassInfo info = registry.find(step.passName()).map(r -> r.info()).orElse(null);
            if (info == null) return;  // the run reports the unknown pass
            for (String required : new TreeSet<>(info.requires())) {
                if (holding.contains(required)) continue;
                PassStep by = invalidatedBy.get(required);
                String why = by != null
                        ? ", which step '" + by.passName() + "' at " + by.origin() + " invalidates; run it before that step"
                        : required.equals(ONNX) || required.equals(MIL)
                        ? ", which does not hold for the input graph and no earlier step establishes"
                        : ", which no earlier step establishes";
                String code = CompilerCode.M016.code();
                throw new PassManagerException(code, CompilerCode.M016.tag() + " pass '" + step.passName() + "' at "
                        + step.origin() + " requires '" + required + "' (" + describe(required) + ")" + why,
                        step.passName(), null, null, null);
            }
            holding.removeAll(info.invalidates());
            for (String p : info.invalidates()) invalidatedBy.put(p, step);
            holding.addAll(info.establishes());
            for (String p : info.establishes()) invalidatedBy.remove(p);
        }

        private static String describe(String property) {
            return switch (property) {
                case ONNX -> "the graph's ops are ONNX ops";
                case MIL -> "the graph's ops are Core ML MIL ops";
                default -> "a property passes declare";
            };
        }
    }
}
