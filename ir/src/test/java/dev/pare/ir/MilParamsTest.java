package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MilParamsTest {

    @Test
    void operandsAreFoundByParameterNameIncludingTuples() {
        Graph g = new Graph("main");
        Rewriter r = g.rewriter();
        TensorType t = TensorType.of(DType.FLOAT32, 2);
        Value a = r.addInput("a", t);
        Value b = r.addInput("b", t);
        Value axis = r.addConstant("axis", TensorData.ofLongs(new long[0], 0));
        Node concat = r.createNode("cat", "mil.concat", List.of(a, b, axis), List.of("cat_out"),
                List.of(TensorType.of(DType.FLOAT32, 4)),
                Attributes.builder().put(MilParams.ATTRIBUTE, MilParams.attribute(List.of("values", "values", "axis"))).build(),
                Location.UNKNOWN);
        assertEquals(List.of(a, b), MilParams.all(concat, "values"));
        assertEquals(axis, MilParams.get(concat, "axis").orElseThrow());
        assertEquals(2, MilParams.indexOf(concat, "axis"));
        assertTrue(MilParams.get(concat, "interleave").isEmpty());
    }
}
