package dev.pare.compiler.pipeline;

import dev.pare.compiler.io.BoundedFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * Reads a pipeline file and decides whether it is one, before anything of it is shown in an
 * error. A file is read only if it is a regular file of at most
 * {@link PipelineLimits#MAX_FILE_BYTES}. It is taken for a pipeline only if it is UTF-8 text
 * without control characters (other than tab, line breaks and form feed) and it is empty or
 * starts with the beginning of a statement: {@code include "…"}, {@code pipeline NAME =},
 * {@code fixpoint {}, or a step name followed by {@code ,}, {@code ;},
 * {@code {}, {@code ::}, {@code on}, {@code except}, {@code where} or the end. Anything else
 * (a password file, a binary) is refused with a message that quotes none of its content, so an
 * include or {@code --pipeline @FILE} cannot be used to print another file.
 */
final class PipelineFileText {

    private PipelineFileText() {}

    /** Why a file is not read as a pipeline: the reason only, naming neither the file nor its content. */
    static final class Refused extends Exception {
        final PipelineErrorCode code;

        Refused(PipelineErrorCode code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** The text of a pipeline file. */
    static String read(Path file) throws Refused, IOException {
        byte[] bytes;
        try {
            bytes = BoundedFiles.read(file, PipelineLimits.MAX_FILE_BYTES);
        } catch (BoundedFiles.RefusedFile e) {
            throw new Refused(PipelineErrorCode.UNREADABLE_FILE, e.getMessage().startsWith("it is larger")
                    ? e.getMessage() + " for pipeline files" : e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw notAPipeline("it is not UTF-8 text");
        }
        int lineNumber = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') lineNumber++;
            if (Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
                throw notAPipeline(String.format("it holds control character U+%04X on line %d", (int) c, lineNumber));
            }
        }
        if (!startsLikePipeline(text)) {
            throw notAPipeline("it does not start with an include, a pipeline definition or a step");
        }
        return text;
    }

    private static Refused notAPipeline(String why) {
        return new Refused(PipelineErrorCode.NOT_A_PIPELINE, why);
    }

    /** Whether the first tokens of {@code text} begin a statement of the language. */
    static boolean startsLikePipeline(String text) {
        PipelineLexer lexer = new PipelineLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        boolean[] lexError = {false};
        lexer.addErrorListener(new org.antlr.v4.runtime.BaseErrorListener() {
            @Override public void syntaxError(org.antlr.v4.runtime.Recognizer<?, ?> r, Object o, int line, int col,
                                              String msg, org.antlr.v4.runtime.RecognitionException e) {
                lexError[0] = true;
            }
        });
        Token[] first = new Token[3];
        for (int i = 0; i < first.length; i++) {
            if (lexError[0]) return false;
            first[i] = lexer.nextToken();
            if (lexError[0]) return false;
            if (first[i].getType() == Token.EOF) break;
        }
        String a = text(first[0]);
        String b = text(first[1]);
        String c = text(first[2]);
        if (first[0].getType() == Token.EOF) return true;
        if (a.equals("include")) return first[1].getType() == PipelineLexer.STRING;
        if (a.equals("pipeline")) return first[1].getType() == PipelineLexer.IDENT && c.equals("=");
        if (a.equals("fixpoint")) return b.equals("{");
        if (first[0].getType() != PipelineLexer.IDENT) return false;
        return first[1].getType() == Token.EOF || List.of(",", ";", "{", "::", "on", "except", "where").contains(b);
    }

    private static String text(Token t) { return t == null || t.getType() == Token.EOF ? "" : t.getText(); }
}
