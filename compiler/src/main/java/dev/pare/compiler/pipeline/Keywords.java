package dev.pare.compiler.pipeline;

import java.util.Set;

/** Reserved words of the pipeline language. */
final class Keywords {

    static final Set<String> ALL = Set.of("include", "pipeline", "fixpoint", "on", "except", "where", "skip",
            "op_type", "op_name");

    private Keywords() {}

    static boolean isKeyword(String word) { return ALL.contains(word); }
}
