package dev.pare.compiler.pipeline;

import dev.pare.ir.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes a step applies to: those matching any {@code on} selector (all nodes when there is
 * none) and no {@code except} selector. Kept with at most one selector per kind in each list,
 * op_type first, which is the canonical form.
 */
public record StepScope(List<Selector> on, List<Selector> except) {

    public static final StepScope ALL = new StepScope(List.of(), List.of());

    public StepScope {
        on = merge(on);
        except = merge(except);
    }

    public boolean isAll() { return on.isEmpty() && except.isEmpty(); }

    public boolean contains(Node node) {
        if (!on.isEmpty() && on.stream().noneMatch(s -> s.matches(node))) return false;
        return except.stream().noneMatch(s -> s.matches(node));
    }

    /** {@code  on op_type(conv) | op_name("a*") except op_type(relu)}, or {@code ""}. */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        append(sb, "on", on);
        append(sb, "except", except);
        return sb.toString();
    }

    private static void append(StringBuilder sb, String keyword, List<Selector> selectors) {
        if (selectors.isEmpty()) return;
        sb.append(' ').append(keyword).append(' ');
        for (int i = 0; i < selectors.size(); i++) {
            if (i > 0) sb.append(" | ");
            sb.append(selectors.get(i).canonical());
        }
    }

    private static List<Selector> merge(List<Selector> selectors) {
        Map<Selector.Kind, List<String>> byKind = new LinkedHashMap<>();
        for (Selector.Kind k : Selector.Kind.values()) byKind.put(k, new ArrayList<>());
        for (Selector s : selectors) byKind.get(s.kind()).addAll(s.patterns());
        List<Selector> out = new ArrayList<>();
        byKind.forEach((k, patterns) -> { if (!patterns.isEmpty()) out.add(new Selector(k, patterns)); });
        return List.copyOf(out);
    }
}
