package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LutBitsTest {

    @Test
    void theWidthsAreCoreMlsIndexTypes() {
        assertArrayEquals(new int[] {1, 2, 3, 4, 6, 8}, LutBits.widths());
        assertEquals("1, 2, 3, 4, 6, 8", LutBits.describe());
        assertEquals("u1, u2, u3, u4, u6 or u8", LutBits.describeTypes());
        assertEquals(8, LutBits.max());
        for (long bad : new long[] {0, 5, 7, 9, 16, -1}) assertFalse(LutBits.isValid(bad), Long.toString(bad));
        assertTrue(LutBits.isIndexType(DType.UINT6));
        assertFalse(LutBits.isIndexType(DType.UINT16));
        assertEquals(Optional.of(DType.UINT3), LutBits.indexTypeOf(3));
    }

    @Test
    void paletteSizesMapToWidths() {
        assertEquals(Optional.of(DType.UINT6), LutBits.forPaletteSize(64));
        assertEquals(Optional.empty(), LutBits.forPaletteSize(32));
        assertEquals(Optional.of(6), LutBits.smallestFitting(17));
        assertEquals(Optional.of(1), LutBits.smallestFitting(1));
        assertEquals(Optional.of(8), LutBits.smallestFitting(256));
        assertEquals(Optional.empty(), LutBits.smallestFitting(257));
    }
}
