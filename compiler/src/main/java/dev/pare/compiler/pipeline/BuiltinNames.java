package dev.pare.compiler.pipeline;

import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * Which pipeline files may define a name, without parsing them: the pipeline compiler parses only
 * those when it resolves a name ({@link PipelineCompiler}). The answer may be "yes" for a file that
 * does not define the name, never "no" for one that does, also when the parser has to recover
 * from a syntax error: a definition {@code pipeline NAME = ...;} is only entered on a real
 * {@code pipeline} token, and its name is the next token or, after the parser dropped one stray
 * token, the one after it ({@code Pipeline.g4}, rule {@code pipelineDecl}).
 */
final class BuiltinNames {

    private BuiltinNames() {}

    /** Whether {@code text} may define pipeline {@code name}; true when the text is unknown (null). */
    static boolean mayDefine(String text, String name) {
        if (text == null) return true;
        if (!text.contains(name)) return false;
        PipelineLexer lexer = new PipelineLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<? extends Token> tokens = lexer.getAllTokens();
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.getType() != PipelineLexer.IDENT || !t.getText().equals(name)) continue;
            if (isKeyword(tokens, i - 1) || isKeyword(tokens, i - 2)) return true;
        }
        return false;
    }

    private static boolean isKeyword(List<? extends Token> tokens, int i) {
        return i >= 0 && tokens.get(i).getText().equals("pipeline");
    }
}
