package dev.pare.compiler.pipeline;

import dev.pare.compiler.registry.OptionSpec;
import dev.pare.compiler.registry.OptionsSchema;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Prints a {@link PipelineSpec} in its one canonical form: references expanded, one step per
 * line, every option of each pass written out (but an optional one that is not set) and sorted by key, values normalised by
 * {@link OptionsCodec}, selectors merged and sorted; a {@code where} arm lists only the options
 * it changes. The text is a valid inline pipeline and a valid pipeline file.
 */
public final class PipelinePrinter {

    private PipelinePrinter() {}

    public static String print(PipelineSpec spec) {
        StringBuilder sb = new StringBuilder();
        steps(spec.steps(), "", sb);
        return sb.toString();
    }

    /**
     * One pass step with only the options that differ from {@code defaults} (the pass's own), e.g.
     * {@code palettize{nbits=2}}: short enough for a table, and it parses back to the same step.
     */
    public static String brief(PassStep p, Record defaults) {
        StringBuilder sb = new StringBuilder();
        pass(p, defaults, sb);
        return sb.toString();
    }

    private static void steps(List<Step> steps, String indent, StringBuilder sb) {
        for (int i = 0; i < steps.size(); i++) {
            sb.append(indent);
            Step s = steps.get(i);
            if (s instanceof PassStep p) {
                pass(p, null, sb);
            } else {
                FixpointStep f = (FixpointStep) s;
                sb.append("fixpoint").append(options(new FixpointOptions(f.maxIterations()), null)).append(" {\n");
                steps(f.body(), indent + "  ", sb);
                sb.append(indent).append('}');
            }
            sb.append(i + 1 < steps.size() ? ",\n" : "\n");
        }
    }

    /** A pass step with every option, or only those differing from {@code defaults} when given. */
    private static void pass(PassStep p, Record defaults, StringBuilder sb) {
        sb.append(p.passName()).append(options(p.options(), defaults)).append(p.scope().canonical());
        if (!p.overrides().isEmpty()) {
            sb.append(" where { ");
            for (int i = 0; i < p.overrides().size(); i++) {
                NodeOverride o = p.overrides().get(i);
                if (i > 0) sb.append("; ");
                sb.append(o.selector().canonical()).append(" -> ");
                String changed = o.options().map(r -> options(r, p.options())).orElse("skip");
                sb.append(changed.isEmpty() ? "{}" : changed);
            }
            sb.append(" }");
        }
    }

    /** {@code {a=1, b=true}} with every option (or only those differing from {@code base}); {@code ""} if none. */
    static String options(Record options, Record base) {
        OptionsSchema<?> schema = OptionsSchema.of(options);
        Map<String, Object> values = schema.values(options);
        Map<String, Object> baseValues = base == null ? Map.of() : schema.values(base);
        StringBuilder sb = new StringBuilder();
        for (OptionSpec o : schema.options().stream().sorted(Comparator.comparing(OptionSpec::key)).toList()) {
            Object v = values.get(o.key());
            if (base != null && Objects.equals(v, baseValues.get(o.key()))) continue;
            if (o.optional()) {
                // not set has no text: the key is left out (a where arm cannot unset what its step set)
                if (((Optional<?>) v).isEmpty()) continue;
                v = ((Optional<?>) v).get();
            }
            sb.append(sb.length() == 0 ? "{" : ", ").append(o.key()).append('=').append(OptionsCodec.encode(o.type(), v));
        }
        return sb.length() == 0 ? "" : sb.append('}').toString();
    }
}
