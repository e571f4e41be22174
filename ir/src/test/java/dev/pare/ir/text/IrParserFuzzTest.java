package dev.pare.ir.text;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Coverage-guided fuzzing of the IR text parser (run by {@code scripts/fuzz.sh ir}; a plain test
 * run replays the inputs under {@code src/test/resources/dev/pare/ir/text/IrParserFuzzTestInputs}).
 * Any text either parses or fails with {@link IrSyntaxException}, and what parses also prints
 * (no round trip: the printer shows large constants only as a digest, which does not parse).
 */
class IrParserFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void textParsesOrFailsWithASyntaxError(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        List<Graph> graphs;
        try {
            graphs = IrParser.parseAll(text, "<fuzz>");
        } catch (IrSyntaxException e) {
            assertFalse(e.getMessage().isBlank(), "empty message");
            return;
        }
        for (Graph g : graphs) assertFalse(IrPrinter.print(g).isEmpty(), "a parsed graph prints");
    }
}
