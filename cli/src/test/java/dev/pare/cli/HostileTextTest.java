package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text from the command line or a pipeline reaches stderr escaped and cut, never raw. */
class HostileTextTest {

    @TempDir Path dir;
    TinyModelWorkspace ws;
    MemoryFormat mem;
    Path in;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        ws = new TinyModelWorkspace(dir);
        mem = ws.mem;
        in = ws.in;
        out = ws.out;
    }

    private CliRun compile(String pipeline) { return ws.compile(pipeline); }

    private static void assertPrintable(String err) {
        for (char c : err.toCharArray()) {
            assertTrue(c == '\n' || (c >= 0x20 && c != 0x7f && c != 0x202e && c != 0x2066), "raw U+" + Integer.toHexString(c) + " in " + err);
        }
    }

    @Test
    void aFiveMegabytePassNameGivesAFewKilobytes() {
        String name = "p".repeat(5_000_000);
        CliRun r = compile(name);
        assertEquals(2, r.exitCode());
        assertTrue(r.err().length() < 10_000, "stderr has " + r.err().length() + " characters");
        for (String line : r.err().split("\n")) {
            assertTrue(line.length() <= 2_000 + 40, "a line of " + line.length() + " characters");
        }
        assertTrue(r.err().startsWith("<pipeline>:1:1: error[P002]: unknown pass 'ppp"), r.err().substring(0, 80));
        assertTrue(r.err().contains("\u2026 (4998"), "the cut says how much is left out");
        assertFalse(Files.exists(out));
    }

    @Test
    void escapeAndBidiControlsInAPassNameAreEscaped() {
        CliRun r = compile("simplify\u001b[2J\u202eevil");
        assertEquals(2, r.exitCode());
        assertPrintable(r.err());
        assertTrue(r.err().contains("\\u001b"), r.err());
    }

    @Test
    void aPipelineFileWithControlCharactersIsNotShown() throws IOException {
        // a file with control characters is not a pipeline file: nothing of it is echoed
        Path file = Files.writeString(dir.resolve("bad.pipeline"), "\u202e\u001bx, nosuchpass\n");
        CliRun r = compile("@" + file);
        assertEquals(2, r.exitCode());
        assertPrintable(r.err());
        assertTrue(r.err().contains("error[P018]") && r.err().contains("(its content is not shown)"), r.err());
        assertFalse(r.err().contains("nosuchpass"), r.err());
    }

    @Test
    void inlineStepsWithControlCharactersKeepTheirCaretUnderTheMistake() {
        CliRun r = compile("\u202e\u001bx, nosuchpass");
        assertEquals(2, r.exitCode());
        assertPrintable(r.err());
        String[] lines = r.err().split("\n");
        int source = -1;
        for (int i = 0; i < lines.length; i++) if (lines[i].startsWith("    \\u202e\\u001bx")) source = i;
        assertTrue(source >= 0, r.err());
        assertEquals("    \\u202e\\u001bx, nosuchpass", lines[source]);
        // the caret stays under the character the error points at, after the escapes' width
        String caret = lines[source + 1];
        int at = caret.indexOf('^');
        assertTrue(at >= 4, caret);
        char under = lines[source].charAt(at);
        assertTrue(under == '\\' || under == 'x' || under == 'n', "caret under '" + under + "': " + r.err());
    }
}
