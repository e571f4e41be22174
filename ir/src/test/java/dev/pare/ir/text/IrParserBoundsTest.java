package dev.pare.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.Graph;
import org.junit.jupiter.api.Test;

/** Hostile IR text gives a one-line syntax error, never a stack overflow or an out-of-memory error. */
class IrParserBoundsTest {

    private static String error(String text) {
        return assertThrows(IrSyntaxException.class, () -> IrParser.parse(text, "bad.ir")).getMessage();
    }

    private static String withAttribute(String attribute) {
        return "graph g() {\n  %y = onnx.Constant() {a=" + attribute + "} @c\n  return %y\n}\n";
    }

    @Test
    void deeplyNestedAttributeListsStopAtTheLimit() {
        assertEquals("bad.ir:2:90: nesting deeper than the limit of 64", error(withAttribute("[".repeat(5000) + "1" + "]".repeat(5000))));
    }

    @Test
    void deeplyNestedSubgraphsStopAtTheLimit() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5000; i++) text.append("graph g").append(i).append("() {\n %y = onnx.If() {then_branch=");
        assertEquals("bad.ir:65:30: nesting deeper than the limit of 64", error(text.toString()));
    }

    @Test
    void sparseInsideSparseStopsAtTheLimit() {
        String tensor = "sparse<f32[4]: values=".repeat(5000);
        assertEquals("bad.ir:2:1413: nesting deeper than the limit of 64", error(withAttribute(tensor)));
    }

    @Test
    void splatLargerThanTheLimit() {
        assertEquals("bad.ir:2:27: dense<f32[40000,40000]> is larger than the limit of 64 MiB for IR text constants",
                error(withAttribute("dense<f32[40000,40000]: splat 0>")));
        assertEquals("bad.ir:2:27: the size of dense<f32[4294967296,4294967296,16]> overflows 64 bits",
                error(withAttribute("dense<f32[4294967296,4294967296,16]: splat 0>")));
    }

    @Test
    void sparseOfAnySizeParsesButNotOutOfRangeOrOverflowing() {
        Graph g = IrParser.parse(withAttribute("sparse<f32[1048576,1048576]: values=dense<f32[1]: [2]>, indices=dense<i64[1]: [1099511627775]>>"));
        assertEquals(1L << 40, ((dev.pare.ir.Attribute.SparseTensorAttr) g.nodes().get(0).attributes().asMap().get("a")).value().elementCount());
        assertEquals("bad.ir:2:27: sparse index 16 out of range for f32[4,4]",
                error(withAttribute("sparse<f32[4,4]: values=dense<f32[1]: [2]>, indices=dense<i64[1]: [16]>>")));
        assertEquals("bad.ir:2:27: the size of sparse<f32[2305843009213693952]> overflows 64 bits",
                error(withAttribute("sparse<f32[2305843009213693952]: values=dense<f32[1]: [2]>, indices=dense<i64[1]: [0]>>")));
    }
}
