package dev.pare.compiler.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NumbersTest {

    @Test
    void floatsPrintInTheirShortestExactForm() {
        assertEquals("0.1", Numbers.shortestFloat(0.1f));
        assertEquals("3.0", Numbers.shortestFloat(3f));
        assertEquals("1.0e-7", Numbers.shortestFloat(1e-7f));
        assertEquals("3.4028235e38", Numbers.shortestFloat(Float.MAX_VALUE));
        assertEquals("1.0e-45", Numbers.shortestFloat(Float.MIN_VALUE)); // one digit is enough to read back
        assertEquals("-0.0", Numbers.shortestFloat(-0f));
        assertEquals("inf", Numbers.shortestFloat(Float.POSITIVE_INFINITY));
    }

    @Test
    void doublesPrintInTheirShortestExactForm() {
        assertEquals("0.3", Numbers.shortestDouble(0.3));
        assertEquals("0.002", Numbers.shortestDouble(0.002));
        assertEquals("1.0e23", Numbers.shortestDouble(1e23));
        assertEquals("123456.789", Numbers.shortestDouble(123456.789));
        assertEquals("1.0e7", Numbers.shortestDouble(1e7));
        assertEquals("5.0e-324", Numbers.shortestDouble(Double.MIN_VALUE));
        assertEquals("nan", Numbers.shortestDouble(Double.NaN));
        for (double d : new double[] {0.1 + 0.2, Math.PI, 1 / 3.0, 5e-324, 1.7976931348623157e308}) {
            assertEquals(d, Double.parseDouble(Numbers.shortestDouble(d)));
        }
    }
}
