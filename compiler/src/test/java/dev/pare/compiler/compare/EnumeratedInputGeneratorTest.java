package dev.pare.compiler.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Generated inputs for a Core ML input with enumerated shapes take its default shape, unless --input-shape says otherwise. */
class EnumeratedInputGeneratorTest {

    @Test
    void theDefaultEnumeratedShapeIsGenerated() throws Exception {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Value ids = rw.addInput("input_ids", new TensorType(DType.INT32, List.of(new Dim.Fixed(1), new Dim.Unknown())));
        rw.setMetadata(ids, Map.of(CoreMlKeys.ENUMERATED_SHAPES, "1,64|1,128"));
        assertArrayEquals(new long[]{1, 64}, new InputGenerator(g.inputs(), 0, Map.of()).specs().get(0).shape());
        assertArrayEquals(new long[]{1, 128},
                new InputGenerator(g.inputs(), 0, Map.of("input_ids", new long[]{1, 128})).specs().get(0).shape());
    }
}
