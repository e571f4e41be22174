package dev.pare.compiler.mil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import dev.pare.passes.mil.ConvertToMil;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Statistics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * End to end on the real models: with the input shapes fixed, every ONNX node lowers, the graph
 * verifies, and every result has a static MIL type.
 */
class ConvertToMilRealModelsTest {

    static List<Arguments> models() {
        return List.of(
                Arguments.of("mnist_dwnet", TestModels.MNIST, List.of("input:1,1,28,28")),
                Arguments.of("ppocr_det", TestModels.OCR_DET, List.of("x:1,3,96,128")),
                Arguments.of("ppocr_rec", TestModels.OCR_REC, List.of("x:1,3,48,160")),
                Arguments.of("minilm", TestModels.MINILM,
                        List.of("input_ids:1,12", "attention_mask:1,12", "token_type_ids:1,12")));
    }

    private static final Set<DType> MIL_DTYPES = EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.INT32, DType.BOOL);

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void convertsFullyWithStaticMilTypes(String name, Path file, List<String> shapes) throws Exception {
        Model model = new OnnxFormat().read(file);
        Graph g = model.graph();
        ConvertToMil provider = new ConvertToMil();
        ConvertToMil.Options options = new ConvertToMil.Options(shapes, Optional.of(model.opsetVersion("")), 1 << 20);
        Map<String, Long> stats = new TreeMap<>();
        provider.create(ScopedOptions.uniform(options)).run(g, context(stats));

        assertEquals(List.of(), Verifier.verify(g));
        Map<String, Integer> ops = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (Node n : g.nodes()) {
            ops.merge(n.op(), 1, Integer::sum);
            if (!n.dialect().equals("mil")) problems.add(n + " is not a mil op");
            if (MilParams.names(n).size() != n.operands().size()) problems.add(n + " has " + MilParams.names(n).size() + " params for " + n.operands().size() + " operands");
            for (Value r : n.results()) checkTyped(r, problems);
        }
        for (Value v : g.inputs()) checkTyped(v, problems);
        for (Value v : g.outputs()) checkTyped(v, problems);
        for (Value c : g.constants()) if (!MIL_DTYPES.contains(c.tensorType().dtype()) && c.tensorType().dtype() != DType.STRING) problems.add("constant " + c + " is " + c.tensorType());
        System.out.println(name + ": " + ops + " " + stats);
        assertEquals(List.of(), problems);
        assertTrue(ops.size() > 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void convertsFullyWithSymbolicShapesToo(String name, Path file, List<String> ignored) throws Exception {
        Model model = new OnnxFormat().read(file);
        Graph g = model.graph();
        ConvertToMil.Options options = new ConvertToMil.Options(List.of(), Optional.of(model.opsetVersion("")), 1 << 20);
        new ConvertToMil().create(ScopedOptions.uniform(options)).run(g, context(new TreeMap<>()));

        assertEquals(List.of(), Verifier.verify(g));
        List<String> problems = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!n.dialect().equals("mil")) problems.add(n + " is not a mil op");
            for (Value r : n.results()) {
                TensorType t = r.tensorType();
                if (!t.hasRank() || !MIL_DTYPES.contains(t.dtype())) problems.add(r + " is typed " + t);
            }
        }
        assertEquals(List.of(), problems);
    }

    private static void checkTyped(Value v, List<String> problems) {
        TensorType t = v.tensorType();
        if (!t.isStatic() || !MIL_DTYPES.contains(t.dtype())) problems.add(v + " is typed " + t);
    }

    static PassContext context(Map<String, Long> stats) {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        return new PassContext() {
            @Override public Diagnostics diagnostics() { return d -> { }; }
            @Override public Statistics statistics() { return (counter, delta) -> stats.merge(counter, delta, Long::sum); }
            @Override public RandomGenerator random() { return RandomGenerator.of("L64X128MixRandom"); }
            @Override public ExecutorService executor() { return executor; }
            @Override public <T> Optional<T> service(Class<T> type) { return Optional.empty(); }
        };
    }
}
