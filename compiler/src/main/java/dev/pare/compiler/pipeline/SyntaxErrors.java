package dev.pare.compiler.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.LexerNoViableAltException;
import org.antlr.v4.runtime.ListTokenSource;
import org.antlr.v4.runtime.TokenSource;
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

    /**
     * A parse: includes, definitions and top-level steps, the syntax errors, and which regions of
     * the text hold one. Files are parsed one statement at a time (split at {@code ;} outside
     * brackets), so an error cannot swallow the next statement. A region is the text between two
     * {@code ;} or {@code ,} outside brackets, roughly one step; only the first syntax error of a
     * region is reported, and nothing in a region with a syntax error is checked further, because
     * ANTLR's recovery may misread the rest of it and follow-on errors would only confuse.
     */
    record Parsed(List<PipelineParser.IncludeDeclContext> includes, List<PipelineParser.PipelineDeclContext> definitions,
                  PipelineParser.StepListContext steps, List<PipelineError> errors, int[] boundaries, Set<Integer> dirty) {

        /** Whether a subtree parsed cleanly and no region it touches has a syntax error. */
        boolean trusted(ParserRuleContext ctx) {
            if (!clean(ctx)) return false;
            int from = region(boundaries, ctx.getStart().getStartIndex());
            int to = region(boundaries, ctx.getStop() == null ? ctx.getStart().getStartIndex() : ctx.getStop().getStartIndex());
            for (int r = from; r <= to; r++) if (dirty.contains(r)) return false;
            return true;
        }
    }

    static Parsed parseFile(SourceText source) {
        List<RawError> errors = new ArrayList<>();
        List<? extends Token> tokens = lexer(source, errors).getAllTokens();
        List<PipelineParser.IncludeDeclContext> includes = new ArrayList<>();
        List<PipelineParser.PipelineDeclContext> definitions = new ArrayList<>();
        PipelineParser.StepListContext steps = null;
        for (List<Token> statement : statements(tokens)) {
            if (tooDeep(source, statement, errors)) continue;
            PipelineParser parser = parser(source, new ListTokenSource(statement), errors);
            String first = statement.get(0).getText();
            if (first.equals("include")) {
                includes.add(parser.includeDecl());
            } else if (first.equals("pipeline")) {
                definitions.add(parser.pipelineDecl());
            } else {
                PipelineParser.TopLevelStepsContext top = parser.topLevelSteps();
                if (steps != null) {
                    Token t = statement.get(0);
                    errors.add(new RawError(t.getStartIndex(), error(source, t.getLine(), t.getCharPositionInLine(), t.getText().length(),
                            "a file has one list of top-level steps; this is a second one")));
                } else if (top.stepList() != null) {
                    steps = top.stepList();
                }
            }
        }
        return finish(includes, definitions, steps, tokens, errors);
    }

    static Parsed parseInline(SourceText source) {
        List<RawError> errors = new ArrayList<>();
        List<? extends Token> tokens = lexer(source, errors).getAllTokens();
        if (tooDeep(source, new ArrayList<>(tokens), errors)) return finish(List.of(), List.of(), null, tokens, errors);
        PipelineParser parser = parser(source, new ListTokenSource(tokens), errors);
        PipelineParser.InlinePipelineContext tree = parser.inlinePipeline();
        return finish(List.of(), List.of(), tree.stepList(), tokens, errors);
    }

    /**
     * Whether brackets nest deeper than {@link PipelineLimits#MAX_NESTING} in {@code tokens} (then
     * reported at the first bracket too many). Checked on the tokens, before the recursive-descent
     * parser would go as deep as the text and overflow the stack.
     */
    private static boolean tooDeep(SourceText source, List<Token> tokens, List<RawError> errors) {
        int depth = 0;
        for (Token t : tokens) {
            depth = depthAfter(t, depth);
            if (depth > PipelineLimits.MAX_NESTING) {
                errors.add(new RawError(t.getStartIndex(), new PipelineError(PipelineErrorCode.TOO_DEEP,
                        new SourceSpan(source.name(), t.getLine(), t.getCharPositionInLine() + 1, 1),
                        "brackets nest deeper than the limit of " + PipelineLimits.MAX_NESTING, source.line(t.getLine()))));
                return true;
            }
        }
        return false;
    }

    /** Splits tokens after each {@code ;} outside brackets. */
    private static List<List<Token>> statements(List<? extends Token> tokens) {
        List<List<Token>> out = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (Token t : tokens) {
            current.add(t);
            depth = depthAfter(t, depth);
            if (depth == 0 && t.getText().equals(";")) {
                out.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }

    private static int depthAfter(Token t, int depth) {
        return switch (t.getText()) {
            case "{", "[", "(" -> depth + 1;
            case "}", "]", ")" -> Math.max(0, depth - 1);
            default -> depth;
        };
    }

    private record RawError(int offset, PipelineError error) {}

    private static Parsed finish(List<PipelineParser.IncludeDeclContext> includes, List<PipelineParser.PipelineDeclContext> definitions,
                                 PipelineParser.StepListContext steps, List<? extends Token> tokens, List<RawError> raw) {
        List<Integer> boundaries = new ArrayList<>();
        int depth = 0;
        for (Token t : tokens) {
            depth = depthAfter(t, depth);
            if (depth == 0 && (t.getText().equals(";") || t.getText().equals(","))) boundaries.add(t.getStopIndex());
        }
        int[] b = boundaries.stream().mapToInt(Integer::intValue).toArray();
        List<RawError> sorted = new ArrayList<>(raw);
        sorted.sort(java.util.Comparator.comparingInt(RawError::offset));
        Set<Integer> dirty = new java.util.HashSet<>();
        List<PipelineError> errors = new ArrayList<>();
        for (RawError e : sorted) {
            if (dirty.add(region(b, e.offset()))) errors.add(e.error());
        }
        return new Parsed(List.copyOf(includes), List.copyOf(definitions), steps, errors, b, dirty);
    }

    /** The number of region boundaries before {@code offset}. */
    private static int region(int[] boundaries, int offset) {
        int r = 0;
        while (r < boundaries.length && boundaries[r] < offset) r++;
        return r;
    }

    /** Whether a subtree parsed without any error, so its parts may be trusted. */
    static boolean clean(ParseTree t) {
        if (t instanceof ErrorNode) return false;
        if (t instanceof ParserRuleContext c && c.exception != null) return false;
        for (int i = 0; i < t.getChildCount(); i++) if (!clean(t.getChild(i))) return false;
        return true;
    }

    private static PipelineLexer lexer(SourceText source, List<RawError> errors) {
        CharStream chars = CharStreams.fromString(source.text(), source.name());
        PipelineLexer lexer = new PipelineLexer(chars) {
            @Override public void notifyListeners(LexerNoViableAltException e) {
                String bad = _input.getText(Interval.of(_tokenStartCharIndex, _tokenStartCharIndex));
                errors.add(new RawError(_tokenStartCharIndex, error(source, _tokenStartLine, _tokenStartCharPositionInLine,
                        Math.max(1, bad.length()), "unexpected character '" + bad + "'")));
            }
        };
        lexer.removeErrorListeners();
        return lexer;
    }

    private static PipelineParser parser(SourceText source, TokenSource tokens, List<RawError> errors) {
        PipelineParser parser = new PipelineParser(new CommonTokenStream(tokens));
        parser.removeErrorListeners();
        parser.setErrorHandler(new Strategy());
        parser.addErrorListener(new BaseErrorListener() {
            @Override public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col,
                                              String msg, RecognitionException e) {
                Token t = (Token) offending;
                int length = t == null || t.getType() == Token.EOF ? 1 : Math.max(1, t.getText().length());
                int offset = t == null ? 0 : t.getType() == Token.EOF ? source.text().length() : t.getStartIndex();
                errors.add(new RawError(offset, error(source, line, col, length, msg)));
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
