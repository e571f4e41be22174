package dev.pare.compiler.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void sortsKeysAndIndents() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("zeta", List.of(1L, 2L));
        m.put("alpha", Map.of("b", true, "a", Arrays.asList("x", null)));
        m.put("mid", List.of(Map.of("k", 1), Map.of()));
        m.put("empty", List.of());
        assertEquals("""
                {
                  "alpha": {
                    "a": ["x", null],
                    "b": true
                  },
                  "empty": [],
                  "mid": [
                    {
                      "k": 1
                    },
                    {}
                  ],
                  "zeta": [1, 2]
                }
                """, Json.write(m));
    }

    @Test
    void escapesStrings() {
        assertEquals("\"q\\\"b\\\\n\\nt\\tc\\u0001é\"\n", Json.write("q\"b\\n\nt\tc\u0001é"));
    }

    @Test
    void rejectsUnsupportedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(1.5f));
        assertEquals("cannot write java.lang.Float as JSON", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertEquals("JSON has no NaN", e.getMessage());
    }

    @Test
    void doublesHaveAtMostSixDecimals() {
        assertEquals("[0.75, 0.333333, 0, 2]\n", Json.write(java.util.List.of(0.75, 1 / 3.0, 0.0, 2.0)));
    }
}
