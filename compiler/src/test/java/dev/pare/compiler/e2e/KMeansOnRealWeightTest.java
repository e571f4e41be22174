package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.KMeans1D;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On real trained weights, the k-means that {@code palettize} runs ({@link KMeans1D#clusterSamples})
 * reaches an SSE no worse than k-means++ seeding with Lloyd iterations run to convergence, for
 * several seeds and k = 4, 16, 64, 256. Prints one line per weight and k (the figures in the
 * issue note).
 */
class KMeansOnRealWeightTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final Path MINILM = Path.of("target/test-models/minilm/all-minilm-l6-v2.onnx");
    static final int[] KS = {4, 16, 64, 256};
    static final long[] SEEDS = {1, 2, 3};
    /** Lloyd's SSE may beat ours only by rounding: the sums are accumulated in different orders. */
    static final double RELATIVE_EPSILON = 1e-9;

    private static ExecutorService executor;

    @BeforeAll
    static void pool() {
        executor = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void shutdown() {
        executor.shutdownNow();
    }

    private static float[] floats(Model m, String name) {
        Value v = m.graph().constants().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no constant '" + name + "'"));
        return floats(v.data());
    }

    private static float[] floats(TensorData d) {
        assertEquals(DType.FLOAT32, d.dtype());
        FloatBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void mnistConvAndGemmWeights() throws Exception {
        Model m = new OnnxFormat().read(MNIST);
        compare("mnist onnx::Conv_297", floats(m, "onnx::Conv_297"));
        compare("mnist fc.weight", floats(m, "fc.weight"));
    }

    @Test
    void miniLmMatMulWeight() throws Exception {
        assertTrue(Files.isRegularFile(MINILM), MINILM + " is missing; build from the repository root (mvn -B verify)");
        Model m = new OnnxFormat().read(MINILM);
        // the largest 2-D float weight of at most 1M values (an FFN MatMul weight, 384 x 1536)
        Value w = m.graph().constants().stream()
                .filter(c -> c.data().dtype() == DType.FLOAT32 && c.data().type().rank() == 2 && c.data().elementCount() <= 1 << 20)
                .max(Comparator.comparingLong((Value c) -> c.data().elementCount()).thenComparing(Value::name, Comparator.reverseOrder()))
                .orElseThrow();
        compare("minilm " + w.name() + " " + Arrays.toString(w.data().type().shape()), floats(w.data()));
    }

    private static void compare(String what, float[] w) {
        for (int k : KS) {
            KMeans1D.Clustering ours = KMeans1D.clusterSamples(w, w.length, k, executor).clustering();
            double bestLloyd = Double.POSITIVE_INFINITY;
            int maxIterations = 0;
            for (long seed : SEEDS) {
                LloydResult r = kMeansPlusPlusLloyd(w, k, seed);
                bestLloyd = Math.min(bestLloyd, r.sse);
                maxIterations = Math.max(maxIterations, r.iterations);
            }
            System.out.printf(Locale.ROOT, "%s (%d values) k=%d: pare %.9e (%s), best k-means++/Lloyd of %d seeds %.9e (ratio %.6f, <= %d iterations)%n",
                    what, w.length, k, ours.sse(), ours.exact() ? "exact" : "binned", SEEDS.length, bestLloyd, bestLloyd / ours.sse(),
                    maxIterations);
            assertTrue(ours.sse() <= bestLloyd * (1 + RELATIVE_EPSILON),
                    what + " k=" + k + ": pare " + ours.sse() + " > k-means++/Lloyd " + bestLloyd);
        }
    }

    record LloydResult(double sse, int iterations) {}

    /**
     * k-means++ (D² sampling, Arthur &amp; Vassilvitskii 2007) then Lloyd iterations until no label
     * changes, on the weighted distinct values (the same objective as on the raw samples).
     */
    static LloydResult kMeansPlusPlusLloyd(float[] raw, int k, long seed) {
        float[] sorted = raw.clone();
        for (int i = 0; i < sorted.length; i++) if (sorted[i] == 0f) sorted[i] = 0f;
        Arrays.sort(sorted);
        double[] x = new double[sorted.length];
        double[] w = new double[sorted.length];
        int m = 0;
        for (float v : sorted) {
            if (m > 0 && x[m - 1] == v) {
                w[m - 1]++;
            } else {
                x[m] = v;
                w[m++] = 1;
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        double[] centres = new double[k];
        double[] d2 = new double[m];
        Arrays.fill(d2, Double.POSITIVE_INFINITY);
        centres[0] = pick(x, w, null, r, m);
        for (int c = 1; c < k; c++) {
            for (int i = 0; i < m; i++) {
                double d = x[i] - centres[c - 1];
                d2[i] = Math.min(d2[i], d * d);
            }
            centres[c] = pick(x, w, d2, r, m);
        }
        Arrays.sort(centres);
        int[] label = new int[m];
        Arrays.fill(label, -1);
        int iterations = 0;
        while (iterations < 100_000) {
            iterations++;
            boolean changed = false;
            int c = 0;
            for (int i = 0; i < m; i++) {
                while (c + 1 < k && Math.abs(x[i] - centres[c + 1]) < Math.abs(x[i] - centres[c])) c++;
                if (label[i] != c) changed = true;
                label[i] = c;
            }
            if (!changed) break;
            double[] sw = new double[k];
            double[] swx = new double[k];
            for (int i = 0; i < m; i++) {
                sw[label[i]] += w[i];
                swx[label[i]] += w[i] * x[i];
            }
            for (int j = 0; j < k; j++) if (sw[j] > 0) centres[j] = swx[j] / sw[j];
            Arrays.sort(centres);
        }
        double sse = 0;
        for (int i = 0; i < m; i++) {
            double d = x[i] - centres[label[i]];
            sse += w[i] * d * d;
        }
        return new LloydResult(sse, iterations);
    }

    /** A value drawn with probability ∝ weight (× d² when given). */
    private static double pick(double[] x, double[] w, double[] d2, SplittableRandom r, int m) {
        double total = 0;
        for (int i = 0; i < m; i++) total += w[i] * (d2 == null ? 1 : d2[i]);
        double target = r.nextDouble() * total;
        for (int i = 0; i < m; i++) {
            target -= w[i] * (d2 == null ? 1 : d2[i]);
            if (target < 0) return x[i];
        }
        return x[m - 1];
    }
}
