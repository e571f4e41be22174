package dev.pare.compiler.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.text.IrParser;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.stats.Layer;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsCollector;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.PassContext;
import dev.pare.spi.Statistics;
import dev.pare.testkit.TestCalibrationData;
import dev.pare.testkit.TestPassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Samples run through ONNX Runtime in batches give the statistics of the samples run one at a time
 * (a model with a fixed batch of 1), a model that mixes the samples of a batch is not batched, and
 * the sums are the same bits for any number of threads.
 */
class BatchedStatisticsTest {

    private static final int SAMPLES = 70; // the first alone (9,600 bytes of the largest value: 27 a batch), then 27, 27 and 15

    private final SplittableRandom random = new SplittableRandom(21);

    private String values(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6f", random.nextGaussian() * 0.4));
        return sb.toString();
    }

    /** The weights of {@link #convNet}, drawn once so that two graphs can share them. */
    private record Weights(String w1, String b1, String w2, String w3) {}

    private Weights weights() {
        return new Weights(values(864), values(24), values(384), values(160));
    }

    /** A conv (3×3, pad 1), ReLU, a pointwise conv (d = 24), pooling and a Gemm (d = 16); batch axis {@code b}. */
    private static Graph convNet(String b, Weights w) {
        String ir = "graph g(%x: f32[" + b + ",4,10,10]) {\n"
                + "  %w1: f32[24,4,3,3] = const dense<f32[24,4,3,3]: [" + w.w1() + "]>\n"
                + "  %b1: f32[24] = const dense<f32[24]: [" + w.b1() + "]>\n"
                + "  %w2: f32[16,24,1,1] = const dense<f32[16,24,1,1]: [" + w.w2() + "]>\n"
                + "  %w3: f32[10,16] = const dense<f32[10,16]: [" + w.w3() + "]>\n"
                + "  %c1: f32[" + b + ",24,10,10] = onnx.Conv(%x, %w1, %b1) {pads=[1, 1, 1, 1]} @conv\n"
                + "  %r1: f32[" + b + ",24,10,10] = onnx.Relu(%c1) @relu\n"
                + "  %c2: f32[" + b + ",16,10,10] = onnx.Conv(%r1, %w2) @pointwise\n"
                + "  %p: f32[" + b + ",16,1,1] = onnx.GlobalAveragePool(%c2) @pool\n"
                + "  %f: f32[" + b + ",16] = onnx.Flatten(%p) @flatten\n"
                + "  %y: f32[" + b + ",10] = onnx.Gemm(%f, %w3) {transB=1} @fc\n"
                + "  return %y\n}\n";
        return IrParser.parse(ir, "net.ir");
    }

    private static Model model(Graph g) {
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        return m;
    }

    private static List<Layer> layers(Graph g, String... names) {
        List<Layer> out = new ArrayList<>();
        for (String name : names) {
            Node n = g.node(name).orElseThrow();
            out.add(Layer.of(n, 1, n.operand(1).tensorType().shape()).layer().orElseThrow());
        }
        return out;
    }

    private List<Map<String, TensorData>> samples(long[] shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        List<Map<String, TensorData>> out = new ArrayList<>();
        for (int s = 0; s < SAMPLES; s++) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
            out.add(Map.of("x", TensorData.ofFloats(shape, v)));
        }
        return out;
    }

    /** A pass context whose tasks run on {@code pool} (null: in the calling thread). */
    private static PassContext context(TestPassContext base, ExecutorService pool) {
        return new PassContext() {
            @Override public Diagnostics diagnostics() { return base.diagnostics(); }

            @Override public Statistics statistics() { return base.statistics(); }

            @Override public RandomGenerator random() { return base.random(); }

            @Override public ExecutorService executor() { return pool == null ? base.executor() : pool; }

            @Override public <T> Optional<T> service(Class<T> type) { return base.service(type); }
        };
    }

    private static StatisticsCollector.Collected collect(Graph g, List<Layer> layers, TestPassContext base, ExecutorService pool)
            throws Exception {
        return new StatisticsCollector("test", context(base, pool)).collect(g, layers, true, true);
    }

    private static TestPassContext services(Graph g, List<Map<String, TensorData>> samples) {
        return new TestPassContext(0, Map.of(ModelExecutor.class, new OrtModelExecutor(model(g), 1),
                CalibrationData.class, TestCalibrationData.of("samples", samples)));
    }

    private static void assertClose(double[] expected, double[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * scale, what + "[" + i + "]");
        }
    }

    private static void assertSame(LayerStatistics one, LayerStatistics batched, String what) {
        assertEquals(one.vectors(), batched.vectors(), what + ": vectors");
        assertEquals(one.samples(), batched.samples(), what + ": samples");
        for (int g = 0; g < one.layout().groups(); g++) {
            assertClose(one.secondMoment(g), batched.secondMoment(g), 1e-12, what + ": H");
            assertClose(one.inputMean(g), batched.inputMean(g), 1e-12, what + ": E[x]");
        }
        assertClose(one.outputMean().orElseThrow(), batched.outputMean().orElseThrow(), 1e-12, what + ": E[y]");
    }

    @Test
    void batchedRunsGiveTheStatisticsOfOneSampleAtATime() throws Exception {
        Weights w = weights();
        Graph dynamic = convNet("N", w);
        Graph fixed = convNet("1", w);
        List<Map<String, TensorData>> samples = samples(new long[] {1, 4, 10, 10});
        TestPassContext batchedContext = services(dynamic, samples);
        TestPassContext oneContext = services(fixed, samples);
        String[] names = {"conv", "pointwise", "fc"};
        List<Layer> bl = layers(dynamic, names);
        List<Layer> ol = layers(fixed, names);
        StatisticsCollector.Collected batched = collect(dynamic, bl, batchedContext, null);
        StatisticsCollector.Collected one = collect(fixed, ol, oneContext, null);

        assertEquals(3L, batchedContext.reportedStatistics().get("calibration_batches"), "the first sample alone, then batches of 27, 27 and 15");
        assertEquals(null, oneContext.reportedStatistics().get("calibration_batches"), "a batch axis fixed to 1 is not batched");
        assertEquals(SAMPLES, batched.samples());
        assertEquals(SAMPLES, one.samples());
        for (int i = 0; i < names.length; i++) {
            assertSame(one.statistics(List.of(ol.get(i)), Calibration.ONE_SHOT), batched.statistics(List.of(bl.get(i)), Calibration.ONE_SHOT), names[i]);
        }
        assertEquals(SAMPLES, batched.top1().size(), "one arg-max per sample");
        for (int s = 0; s < SAMPLES; s++) assertEquals(one.top1().get(s)[0], batched.top1().get(s)[0], "top-1 of sample " + s);
    }

    @Test
    void aModelThatMixesTheSamplesOfABatchRunsThemOneAtATime() throws Exception {
        // x - mean over the batch axis: zero for one sample, not for a batch
        String ir = "graph g(%x: f32[N,6]) {\n"
                + "  %w: f32[3,6] = const dense<f32[3,6]: [" + values(18) + "]>\n"
                + "  %m: f32[1,6] = onnx.ReduceMean(%x) {axes=[0], keepdims=1} @mean\n"
                + "  %z: f32[N,6] = onnx.Sub(%x, %m) @centre\n"
                + "  %y: f32[N,3] = onnx.Gemm(%z, %w) {transB=1} @fc\n"
                + "  return %y\n}\n";
        Graph g = IrParser.parse(ir, "mix.ir");
        List<Map<String, TensorData>> samples = samples(new long[] {1, 6});
        TestPassContext c = services(g, samples);
        List<Layer> fc = layers(g, "fc");
        StatisticsCollector.Collected got = collect(g, fc, c, null);
        assertEquals(null, c.reportedStatistics().get("calibration_batches"));
        LayerStatistics s = got.statistics(fc, Calibration.ONE_SHOT);
        assertClose(new double[36], s.secondMoment(0), 0, "H of a centred single sample");
        assertEquals(SAMPLES, s.vectors());
    }

    @Test
    void theSumsAreTheSameBitsForAnyNumberOfThreads() throws Exception {
        Graph g = convNet("N", weights());
        List<Map<String, TensorData>> samples = samples(new long[] {1, 4, 10, 10});
        String[] names = {"conv", "pointwise", "fc"};
        List<LayerStatistics> reference = null;
        for (int threads : new int[] {1, 2, 5}) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Layer> ls = layers(g, names);
                StatisticsCollector.Collected c = collect(g, ls, services(g, samples), pool);
                List<LayerStatistics> stats = new ArrayList<>();
                for (Layer l : ls) stats.add(c.statistics(List.of(l), Calibration.ONE_SHOT));
                if (reference == null) {
                    reference = stats;
                    continue;
                }
                for (int i = 0; i < names.length; i++) {
                    double[] h0 = reference.get(i).secondMoment(0);
                    double[] h = stats.get(i).secondMoment(0);
                    for (int k = 0; k < h0.length; k++) {
                        assertEquals(Double.doubleToRawLongBits(h0[k]), Double.doubleToRawLongBits(h[k]), names[i] + " H[" + k + "], " + threads + " threads");
                    }
                    assertTrue(java.util.Arrays.equals(reference.get(i).outputMean().orElseThrow(), stats.get(i).outputMean().orElseThrow()),
                            names[i] + " E[y], " + threads + " threads");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
