package dev.pare.compiler.onnx.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.ir.Attributes;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import dev.pare.passes.compression.math.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

/** Builds one-weight models, writes them, reads them back and evaluates the weight in ONNX Runtime. */
final class LoweringHarness {

    private LoweringHarness() {}

    /** A model whose only output {@code y} is {@code Identity(weight)}; opset 13, IR 7 like mnist. */
    static Model weightModel(Function<Rewriter, Value> weight) {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value w = weight.apply(rw);
        rw.setInsertionPointToEnd();
        Value y = rw.createNode("out", "onnx.Identity", List.of(w), List.of("y"), List.of(w.type()),
                Attributes.empty(), Location.UNKNOWN).result(0);
        rw.addOutput(y);
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        m.setProperty("producer_name", "pare-test");
        return m;
    }

    static Path write(Model m, Path file) throws Exception {
        new OnnxFormat().write(OnnxLowering.lower(m), file);
        return file;
    }

    /** Reads a written file with Pare's reader: it must verify and hold no pare ops. */
    static Model readBack(Path file) throws Exception {
        Model m = new OnnxFormat().read(file);
        assertEquals(List.of(), Verifier.verify(m.graph()));
        for (Node n : m.graph().allNodes()) assertEquals("onnx", n.dialect(), n.toString());
        return m;
    }

    /** Op histogram of a model, e.g. {@code {onnx.Cast=1, onnx.Gather=1}}. */
    static Map<String, Integer> ops(Model m) {
        Map<String, Integer> out = new TreeMap<>();
        for (Node n : m.graph().allNodes()) out.merge(n.op(), 1, Integer::sum);
        return out;
    }

    static float[] evaluate(Path file) throws Exception {
        return OrtRunner.run(file, Map.of(), OrtRunner.EXACT_MATMUL_NBITS).get("y").floats();
    }

    static void assertBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "element count");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                assertArrayEquals(expected, actual, "first difference at element " + i + ": expected "
                        + expected[i] + " got " + actual[i]);
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        "element " + i + " differs in sign of zero");
            }
        }
    }

    static long size(Path p) throws Exception { return Files.size(p); }

    /** Roughly normal weights (sum of uniforms), rounded to the precision. */
    static float[] weights(int n, long seed, Precision p) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += r.nextDouble() - 0.5;
            w[i] = p.round((float) (s * 0.7));
        }
        return w;
    }
}
