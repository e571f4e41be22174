package dev.pare.compiler.pipeline;

import dev.pare.ir.Node;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Picks nodes: {@code op_type(conv, matmul)} matches {@link Node#opType()} ignoring case (a
 * pattern with a dot, like {@code onnx.Conv}, is matched against the full {@link Node#op()});
 * {@code op_name("encoder.*")} matches node names. Patterns may use {@code *} and {@code ?};
 * any pattern matching is enough. Patterns are kept sorted and de-duplicated (op types lower
 * case), which is their canonical form.
 */
public record Selector(Kind kind, List<String> patterns) {

    public enum Kind {
        OP_TYPE("op_type"), OP_NAME("op_name");

        private final String keyword;

        Kind(String keyword) { this.keyword = keyword; }

        public String keyword() { return keyword; }
    }

    private static final Pattern BARE = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    public Selector {
        if (patterns.isEmpty()) throw new IllegalArgumentException("a selector needs a pattern");
        TreeSet<String> sorted = new TreeSet<>();
        for (String p : patterns) sorted.add(kind == Kind.OP_TYPE ? p.toLowerCase(Locale.ROOT) : p);
        patterns = List.copyOf(sorted);
    }

    public boolean matches(Node node) {
        for (String p : patterns) {
            if (kind == Kind.OP_TYPE) {
                if (Glob.matches(p, p.indexOf('.') >= 0 ? node.op() : node.opType(), true)) return true;
            } else if (Glob.matches(p, node.name(), false)) {
                return true;
            }
        }
        return false;
    }

    /** {@code op_type(conv, matmul)}, {@code op_name("encoder.*")}. */
    public String canonical() {
        StringBuilder sb = new StringBuilder(kind.keyword()).append('(');
        for (int i = 0; i < patterns.size(); i++) {
            if (i > 0) sb.append(", ");
            String p = patterns.get(i);
            sb.append(kind == Kind.OP_TYPE && BARE.matcher(p).matches() && !Keywords.isKeyword(p) ? p : OptionsCodec.quote(p));
        }
        return sb.append(')').toString();
    }

    @Override public String toString() { return canonical(); }
}
