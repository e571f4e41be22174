package dev.pare.compiler.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputGeneratorTest {

    /** ids [batch, seq] -> Cast -> Gather(embeddings [30522, 4]); mask [batch, seq]; x float [batch, 3]. */
    private static Graph graph() {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value ids = rw.addInput("input_ids", new TensorType(DType.INT64, List.of(Dim.of("batch"), Dim.of("seq"))));
        rw.addInput("attention_mask", new TensorType(DType.INT64, List.of(Dim.of("batch"), Dim.of("seq"))));
        rw.addInput("x", new TensorType(DType.FLOAT32, List.of(Dim.of("batch"), Dim.of(3))));
        rw.addInput("flags", TensorType.of(DType.BOOL, 4));
        rw.addInput("steps", TensorType.of(DType.INT32, 2));
        Value table = rw.addConstant("emb", TensorData.ofFloats(new long[] {30522, 1}, new float[30522]));
        Value cast = rw.createNode("onnx.Cast", List.of(ids), new TensorType(DType.INT64, null), Attributes.empty(), Location.UNKNOWN).result(0);
        Value out = rw.createNode("onnx.Gather", List.of(table, cast), new TensorType(DType.FLOAT32, null), Attributes.empty(), Location.UNKNOWN).result(0);
        rw.addOutput(out);
        return g;
    }

    private static long[] longs(TensorData t) {
        LongBuffer b = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long[] v = new long[b.remaining()];
        b.get(v);
        return v;
    }

    @Test
    void rangesFollowTheModel() throws CompareException {
        InputGenerator gen = new InputGenerator(graph().inputs(), 3, Map.of("input_ids", new long[] {2, 16}));
        assertEquals(List.of(
                "input_ids: int64 [2,16] uniform integers [0, 30522)",
                "attention_mask: int64 [2,16] all 1",
                "x: float32 [2,3] uniform [0, 1)",
                "flags: bool [4] random true/false",
                "steps: int32 [2] uniform integers [0, 10)"),
                gen.specs().stream().map(InputGenerator.InputSpec::describe).toList());
        Map<String, TensorData> s = gen.sample(0);
        // the symbolic dims batch and seq take the sizes given for input_ids in every input
        assertEquals(TensorType.of(DType.INT64, 2, 16), s.get("attention_mask").type());
        assertEquals(TensorType.of(DType.FLOAT32, 2, 3), s.get("x").type());
        long[] ids = longs(s.get("input_ids"));
        assertTrue(java.util.Arrays.stream(ids).allMatch(v -> v >= 0 && v < 30522));
        assertTrue(java.util.Arrays.stream(ids).distinct().count() > 16, "ids spread over the vocabulary");
        assertTrue(java.util.Arrays.stream(longs(s.get("attention_mask"))).allMatch(v -> v == 1));
        // same seed and index: same values; another index: other values
        assertArrayEquals(ids, longs(new InputGenerator(graph().inputs(), 3, Map.of("input_ids", new long[] {2, 16})).sample(0).get("input_ids")));
        assertNotEquals(java.util.Arrays.toString(ids), java.util.Arrays.toString(longs(gen.sample(1).get("input_ids"))));
    }

    @Test
    void symbolicDimsDefaultToOne() throws CompareException {
        InputGenerator gen = new InputGenerator(graph().inputs(), 0, Map.of());
        assertEquals(TensorType.of(DType.INT64, 1, 1), gen.sample(0).get("input_ids").type());
    }

    @Test
    void badShapes() {
        List<Value> in = graph().inputs();
        assertEquals("--input-shape x=2,4: input 'x' is float32 [batch,3]",
                assertThrows(CompareException.class, () -> new InputGenerator(in, 0, Map.of("x", new long[] {2, 4}))).getMessage());
        assertEquals("--input-shape x=2,3,1: input 'x' is float32 [batch,3]",
                assertThrows(CompareException.class, () -> new InputGenerator(in, 0, Map.of("x", new long[] {2, 3, 1}))).getMessage());
        Map<String, long[]> clash = new java.util.LinkedHashMap<>();
        clash.put("input_ids", new long[] {2, 8});
        clash.put("attention_mask", new long[] {3, 8});
        assertEquals("--input-shape attention_mask=3,8: input 'attention_mask' is int64 [batch,seq]; dim 'batch' is already 2 from another --input-shape",
                assertThrows(CompareException.class, () -> new InputGenerator(in, 0, clash)).getMessage());
    }
}
