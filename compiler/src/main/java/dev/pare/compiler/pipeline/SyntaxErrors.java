package dev.pare.compiler.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.misc.IntervalSet;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * Parses pipeline text with ANTLR and turns its syntax errors into {@link PipelineError}s with
 * plain wording ("expected ',' or '}', found 'mode'") instead of ANTLR's token names.
 */
final class SyntaxErrors {

    private SyntaxErrors() {}

    /** A parse: the tree (possibly with error nodes) and the syntax errors. */
    record Parsed<T extends ParserRuleContext>(T tree, List<PipelineError> errors) {}

    static Parsed<PipelineParser.PipelineFileContext> parseFile(SourceText source) {
        List<PipelineError> errors = new ArrayList<>();
        PipelineParser parser = parser(source, errors);
        return new Parsed<>(parser.pipelineFile(), errors);
    }

    static Parsed<PipelineParser.InlinePipelineContext> parseInline(SourceText source) {
        List<PipelineError> errors = new ArrayList<>();
        PipelineParser parser = parser(source, errors);
        return new Parsed<>(parser.inlinePipeline(), errors);
    }

    /** Whether a subtree parsed without any error, so its parts may be trusted. */
    static boolean clean(ParseTree t) {
        if (t instanceof ErrorNode) return false;
        if (t instanceof ParserRuleContext c && c.exception != null) return false;
        for (int i = 0; i < t.getChildCount(); i++) if (!clean(t.getChild(i))) return false;
        return true;
    }

    private static PipelineParser parser(SourceText source, List<PipelineError> errors) {
        CharStream chars = CharStreams.fromString(source.text(), source.name());
        PipelineLexer lexer = new PipelineLexer(chars) {
            @Override public void notifyListeners(LexerNoViableAltException e) {
                String bad = _input.getText(Interval.of(_tokenStartCharIndex, _tokenStartCharIndex));
                errors.add(error(source, _tokenStartLine, _tokenStartCharPositionInLine, Math.max(1, bad.length()),
                        "unexpected character '" + bad + "'"));
            }
        };
        lexer.removeErrorListeners();
        PipelineParser parser = new PipelineParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.setErrorHandler(new Strategy());
        parser.addErrorListener(new BaseErrorListener() {
            @Override public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col,
                                              String msg, RecognitionException e) {
                Token t = (Token) offending;
                int length = t == null || t.getType() == Token.EOF ? 1 : Math.max(1, t.getText().length());
                errors.add(error(source, line, col, length, msg));
            }
        });
        return parser;
    }

    private static PipelineError error(SourceText source, int line, int col0, int length, String message) {
        return new PipelineError(PipelineErrorCode.SYNTAX, new SourceSpan(source.name(), line, col0 + 1, length),
                message, source.line(line));
    }

    /** ANTLR's recovery with messages in the language's own words. */
    private static final class Strategy extends DefaultErrorStrategy {

        private static final int COMMA = literalType("','");

        private static int literalType(String literal) {
            for (int t = 0; t <= PipelineParser.VOCABULARY.getMaxTokenType(); t++) {
                if (literal.equals(PipelineParser.VOCABULARY.getLiteralName(t))) return t;
            }
            throw new IllegalStateException("no token " + literal);
        }

        @Override protected void reportNoViableAlternative(Parser p, NoViableAltException e) {
            p.notifyErrorListeners(e.getOffendingToken(), "unexpected " + found(e.getOffendingToken()), e);
        }

        @Override protected void reportInputMismatch(Parser p, InputMismatchException e) {
            p.notifyErrorListeners(e.getOffendingToken(), expectedFound(p, e.getExpectedTokens(), e.getOffendingToken()), e);
        }

        @Override protected void reportUnwantedToken(Parser p) {
            if (inErrorRecoveryMode(p)) return;
            beginErrorCondition(p);
            Token t = p.getCurrentToken();
            p.notifyErrorListeners(t, expectedFound(p, getExpectedTokens(p), t), null);
        }

        @Override protected void reportMissingToken(Parser p) {
            if (inErrorRecoveryMode(p)) return;
            beginErrorCondition(p);
            Token t = p.getCurrentToken();
            p.notifyErrorListeners(t, expectedFound(p, getExpectedTokens(p), t), null);
        }

        private static String expectedFound(Parser p, IntervalSet expected, Token found) {
            String message = "expected " + describe(expected) + ", found " + found(found);
            if (found.getType() == PipelineParser.IDENT && expected.contains(COMMA)) {
                message += inside(p, PipelineParser.OptionBlockContext.class)
                        ? " (options are separated by commas)" : " (steps are separated by commas)";
            }
            return message;
        }

        private static boolean inside(Parser p, Class<?> kind) {
            for (ParserRuleContext c = p.getContext(); c != null; c = c.getParent()) if (kind.isInstance(c)) return true;
            return false;
        }

        private static String describe(IntervalSet set) {
            List<String> names = new ArrayList<>();
            for (int t : set.toList()) names.add(tokenName(t));
            if (names.size() == 1) return names.get(0);
            return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
        }

        private static String tokenName(int type) {
            return switch (type) {
                case Token.EOF -> "end of input";
                case PipelineParser.IDENT -> "a name";
                case PipelineParser.INT -> "an integer";
                case PipelineParser.FLOAT -> "a number";
                case PipelineParser.STRING -> "a string";
                default -> {
                    String literal = PipelineParser.VOCABULARY.getLiteralName(type);
                    yield literal != null ? literal : PipelineParser.VOCABULARY.getDisplayName(type);
                }
            };
        }

        private static String found(Token t) {
            if (t.getType() == Token.EOF) return "end of input";
            if (t.getType() == PipelineParser.UNTERMINATED_STRING) return "a string without its closing quote";
            return "'" + t.getText() + "'";
        }
    }
}
