package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DenseData;
import dev.pare.ir.Model;
import dev.pare.ir.Value;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Loading keeps weights in the file mapping instead of copying them onto the heap. */
class OnnxMemoryTest {

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void miniLmWeightsStayInTheMapping() throws Exception {
        long fileSize = Files.size(TestModels.MINILM);
        long before = usedHeap();
        Model model = new OnnxFormat().read(TestModels.MINILM);
        long grown = usedHeap() - before;
        long weightBytes = 0;
        for (Value c : model.graph().constants()) {
            DenseData d = (DenseData) c.data();
            assertTrue(d.bytes().isDirect(), c.name() + " is not a view of the mapped file");
            assertEquals("mapped", d.origin(), c.name());
            weightBytes += d.byteSize();
        }
        System.out.printf("MiniLM: file %d B, weights %d B, heap growth after load %d B%n", fileSize, weightBytes, grown);
        assertTrue(weightBytes > 80_000_000L, "weights " + weightBytes);
        assertTrue(grown < weightBytes / 4, "heap grew by " + grown + " bytes while loading " + weightBytes + " bytes of weights");
        assertEquals(102, model.graph().constants().size()); // keeps the model reachable until here
    }
}
