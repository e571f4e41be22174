package dev.pare.compiler.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code --budget} text and what each budget allows for 540,608 weights stored in 2,162,432 bytes. */
class BudgetTest {

    @Test void bitsSizesAndRatios() {
        Budget bits = Budget.parse("2.5");
        assertEquals("mixed_precision{target_bits_per_weight=2.5}", bits.step());
        assertEquals(168940, bits.resolve(540608, 2162432));
        Budget kib = Budget.parse("170KiB");
        assertEquals("target_bytes=174080", kib.option());
        assertEquals(174080, kib.resolve(540608, 2162432));
        assertEquals("target_bytes=180000", Budget.parse("180kB").option());
        assertEquals("target_bytes=180000", Budget.parse("180000B").option());
        Budget ratio = Budget.parse("8%");
        assertEquals("target_ratio=0.08", ratio.option());
        assertEquals(172994, ratio.resolve(540608, 2162432));
    }

    @Test void refusals() {
        assertEquals("'3 bits' is not bits per weight (2.5), a size (170KiB, 180000B) or a ratio (20%)",
                assertThrows(IllegalArgumentException.class, () -> Budget.parse("3 bits")).getMessage());
        assertEquals("'0' must be more than 0", assertThrows(IllegalArgumentException.class, () -> Budget.parse("0")).getMessage());
        assertEquals("'120%' is more than 100%", assertThrows(IllegalArgumentException.class, () -> Budget.parse("120%")).getMessage());
    }
}
