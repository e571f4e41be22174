package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bisection tool names the first op where the interpreter departs from ONNX Runtime, and nothing exact. */
class ConversionBisectTest {

    @TempDir Path tmp;

    @Test
    void namesOnnxRuntimesApproximateSigmoidAndWhatCarriesIt() throws Exception {
        // Add and Mul by powers of two are exact on both sides; ONNX Runtime's Sigmoid is an
        // approximation that is 2e-4 relative off at -8 and 6e-3 at -12 (MilLayersVsOrtTest)
        Path onnx = OnnxGraphBuilder.write(new OnnxGraphBuilder("g").input("x", FLOAT, 1, 4)
                .floats("half", new long[0], 0.5f).floats("two", new long[0], 2f)
                .node("Add", "shifted", "x", "half")
                .node("Sigmoid", "s", "shifted")
                .node("Mul", "y", "s", "two")
                .output("y", FLOAT, 1, 4).build(), tmp.resolve("sigmoid.onnx"));
        float[] x = {-2.5f, -8.5f, -10.5f, -12.5f};
        Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {1, 4}, x));

        List<ConversionBisect.Departure> found = ConversionBisect.departures(onnx, in, 1e-8);
        assertEquals(List.of("Sigmoid:s", "Mul:y"), found.stream().map(d -> d.op() + ":" + d.value()).toList());
        ConversionBisect.Departure sigmoid = found.get(0);
        // at the worst element the interpreter has the float-exact sigmoid; relative to the largest
        // output (sigmoid(-2) = 0.12) ONNX Runtime's error is small, but there
        float exact = (float) (1 / (1 + Math.exp(-(double) (x[sigmoid.at()] + 0.5f))));
        assertEquals(exact, sigmoid.mil(), Math.ulp(exact), "interpreter at x = " + x[sigmoid.at()]);
        assertTrue(sigmoid.ort() != sigmoid.mil(), "ONNX Runtime differs there");
        assertTrue(sigmoid.rel() > 1e-8 && sigmoid.rel() < 1e-5, "relative difference " + sigmoid.rel());
        assertEquals(found.get(0).rel(), found.get(1).rel(), 1e-12, "Mul by 2 carries the difference unchanged");

        assertEquals(List.of(), ConversionBisect.departures(onnx, in, 1e-4), "nothing departs by 1e-4");

        // with ONNX Runtime's Sigmoid computed as 1 / (1 + exp(-x)) (ExactSigmoid) both sides are
        // within 2 ulp of the logistic function: 2.4e-7 of the largest value (sigmoid(-2) = 0.12),
        // where ONNX Runtime's kernel is off by more (2.2e-4 of sigmoid(-8) = 3.4e-4 is 6e-7 of it)
        assertTrue(sigmoid.rel() > 2.5e-7, "ONNX Runtime's own Sigmoid departs by " + sigmoid.rel());
        assertEquals(List.of(), ConversionBisect.departures(onnx, in, 2.5e-7, true), "nothing departs with exact Sigmoids");
    }

    @Test
    void tokenIdsStayInsideTheEmbeddingTable() throws Exception {
        // BGE zh's word table has 21,128 rows: ids up to 30,000 would stop ONNX Runtime's Gather
        long[] small = tokenIds(1500);
        assertEquals(101, small[0], "[CLS] first");
        assertTrue(Arrays.stream(small).skip(1).allMatch(id -> id >= 1000 && id < 1500), Arrays.toString(small));

        // an English BERT table (30,522 rows) keeps the ids the tool always drew: [1000, 30000)
        SplittableRandom r = new SplittableRandom(7);
        long[] before = new long[64];
        for (int i = 0; i < before.length; i++) before[i] = i == 0 ? 101 : r.nextLong(1000, 30000);
        assertEquals(Arrays.toString(before), Arrays.toString(tokenIds(30522)));
    }

    /** input_ids of 64 tokens (seed 7) for a model whose input_ids index a table of {@code rows} rows. */
    private long[] tokenIds(int rows) throws Exception {
        Path onnx = OnnxGraphBuilder.write(new OnnxGraphBuilder("g").input("input_ids", INT64, 1, 64)
                .floats("table", new long[] {rows, 2}, new float[rows * 2])
                .node("Gather", "embedded", "table", "input_ids")
                .output("embedded", FLOAT, 1, 64, 2).build(), tmp.resolve("table" + rows + ".onnx"));
        Model model = new OnnxFormat().read(onnx);
        return ConversionBisect.tokens(model, 64, 7).get("input_ids").longs();
    }
}
