package dev.pare.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Location;
import org.junit.jupiter.api.Test;

class MessageTextTest {

    @Test
    void terminalControlsAreEscaped() {
        assertEquals("a\\u001b[2Jb\\u0000c\\u007f\\u009b", MessageText.oneLine("a\u001b[2Jb\u0000c\u007f\u009b"));
    }

    @Test
    void bidiControlsAndSeparatorsAreEscaped() {
        assertEquals("user\\u202egnp.exe \\u2066x\\u2069 \\u200f \\u061c \\u2028 \\ufeff",
                MessageText.oneLine("user\u202egnp.exe \u2066x\u2069 \u200f \u061c \u2028 \ufeff"));
    }

    @Test
    void lineBreaksInsideAMessageStayOnOneLine() {
        assertEquals("first\\r\\nsecond\\tthird", MessageText.oneLine("first\r\nsecond\tthird"));
    }

    @Test
    void plainTextAndPairedSurrogatesAreKept() {
        String text = "conv_1 → relu (权重) \uD83D\uDE00";
        assertSame(text, MessageText.forDisplay(text));
        assertEquals("a\\ud83db", MessageText.oneLine("a\uD83Db"));
    }

    @Test
    void aHugeNameIsCutAndCounted() {
        String name = "p".repeat(5_000_000);
        String shown = MessageText.forDisplay("unknown pass '" + name + "'");
        assertEquals(MessageText.MAX_LENGTH + " (4998015 more characters)".length() + 1, shown.length());
        assertTrue(shown.startsWith("unknown pass 'ppp"), shown.substring(0, 20));
        assertTrue(shown.endsWith("p\u2026 (4998015 more characters)"), shown.substring(shown.length() - 40));
    }

    @Test
    void escapesCountTowardsTheLimit() {
        String shown = MessageText.forDisplay("\u001b".repeat(1_000_000));
        assertTrue(shown.length() < MessageText.MAX_LENGTH + 40, "length " + shown.length());
        assertTrue(shown.startsWith("\\u001b\\u001b"));
        assertTrue(shown.endsWith(" more characters)"));
    }

    @Test
    void renderedLinesKeepTheirBreaksAndTabs() {
        assertEquals("x.pipeline:1:3: error\n    a\tb\\u001b\n    \t^", MessageText.lines("x.pipeline:1:3: error\n    a\tb\u001b\n    \t^"));
    }

    @Test
    void escapedWidthMeasuresWhatIsPrinted() {
        assertEquals(1, MessageText.escapedWidth("a", 0, false));
        assertEquals(2, MessageText.escapedWidth("\n", 0, false));
        assertEquals(1, MessageText.escapedWidth("\t", 0, true));
        assertEquals(6, MessageText.escapedWidth("\u202e", 0, true));
    }

    @Test
    void diagnosticsAreEscapedAndOmitAnUnknownLocation() {
        Diagnostic hostile = new Diagnostic(Severity.WARNING, "T1", new Location("m.onnx", "n\u001b[31m", 3), "bad\nname");
        assertEquals("warning[T1] m.onnx:n\\u001b[31m (#3): bad\\nname", hostile.toString());
        assertEquals("note[T2]: whole model", new Diagnostic(Severity.NOTE, "T2", Location.UNKNOWN, "whole model").toString());
    }
}
