package dev.pare.compiler.coreml.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.passes.compression.DecompressWeights;
import dev.pare.spi.PassContext;
import dev.pare.spi.ScopedOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** decompress_weights on the compressed coremltools programs: no constexpr op is left and the program computes the same. */
class DecompressFixturesTest {

    private static final Path DIR = Path.of("src/test/resources/models/coreml");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mnist_dwnet_pal4_ios16", "mnist_dwnet_int8_ios16", "mnist_dwnet_prune50_ios16", "mnist_dwnet_pal4g16_ios18",
        "mnist_dwnet_int4b32_ios18", "mnist_dwnet_joint_prune_pal_ios18"})
    void decompressedProgramComputesTheSameLogits(String pkg) throws Exception {
        Graph g = FixturePrograms.mainGraph(MlPackage.read(DIR.resolve(pkg + ".mlpackage")));
        float[] image = Arrays.copyOf(RealModelInputs.mnistTestImages(1).get("input").floats(), 784);
        Map<String, MilTensor> in = Map.of("input", MilTensor.of(TensorData.ofFloats(new long[] {1, 1, 28, 28}, image)));
        float[] before = new MilInterpreter(g).runTensors(in).get("logits").toFloats();
        long constexprs = g.nodes().stream().filter(n -> MilConstexprEvaluator.isConstexpr(n.op())).count();
        assertTrue(constexprs > 0);
        // the final weights: constexpr results read by an ordinary op
        long weights = g.nodes().stream().filter(n -> MilConstexprEvaluator.isConstexpr(n.op()))
                .filter(n -> n.results().stream().anyMatch(r -> r.uses().stream().anyMatch(u -> !MilConstexprEvaluator.isConstexpr(u.user().op()))))
                .count();

        Map<String, Long> stats = new HashMap<>();
        new DecompressWeights().create(ScopedOptions.uniform(new DecompressWeights.Options())).run(g, context(stats));

        for (Node n : g.nodes()) assertTrue(!n.op().startsWith("mil.constexpr_"), n.toString());
        assertEquals(constexprs, stats.get("ops_evaluated"));
        assertEquals(weights, stats.get("weights_decompressed"));
        float[] after = new MilInterpreter(g).runTensors(in).get("logits").toFloats();
        assertArrayEquals(before, after);
    }

    private static PassContext context(Map<String, Long> stats) {
        return new PassContext() {
            @Override public dev.pare.spi.Diagnostics diagnostics() { return d -> { }; }
            @Override public dev.pare.spi.Statistics statistics() { return (counter, delta) -> stats.merge(counter, delta, Long::sum); }
            @Override public RandomGenerator random() { return RandomGenerator.of("L64X128MixRandom"); }
            @Override public ExecutorService executor() { return java.util.concurrent.ForkJoinPool.commonPool(); }
            @Override public <T> Optional<T> service(Class<T> type) { return Optional.empty(); }
        };
    }
}
