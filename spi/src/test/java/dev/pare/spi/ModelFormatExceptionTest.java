package dev.pare.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModelFormatExceptionTest {

    @Test
    void namesFromAFileCannotBreakTheMessageIntoLines() {
        ModelFormatException e = new ModelFormatException(Path.of("m.mlmodel"), "op 'a\nb\tc\u001b[31m' (const) has no type");
        assertEquals("m.mlmodel: op 'a\\nb\\tc\\u001b[31m' (const) has no type", e.getMessage());
    }

    @Test
    void aPlainMessageIsKeptAsItIs() {
        String text = "model.onnx: node 'conv' (Conv): attribute 'pads' has 3 values";
        assertSame(text, ModelFormatException.oneLine(text));
    }
}
