package dev.pare.passes.compression;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.WeightTensor;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import dev.pare.testkit.TestPassContext;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Graphs with one large random weight, built through the API, and helpers to run passes on them. */
final class WeightGraphs {

    private WeightGraphs() {}

    /** Gaussian-ish values rounded to {@code precision}, with a few exact zeros. */
    static float[] randomWeights(int n, long seed, Precision precision) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double g = (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 0.4;
            w[i] = i % 37 == 0 ? 0f : precision.round((float) g);
        }
        return w;
    }

    /** {@code y = Gemm(x, w, transB=1)} with {@code w: [out, in]}. */
    static Graph gemm(float[] w, int out, int in, DType dtype) {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(dtype, 1, in));
        Value wv = rw.addConstant("w", Tensors.ofFloats(dtype, new long[] {out, in}, w));
        Value y = rw.createNode("gemm", "onnx.Gemm", List.of(x, wv), List.of("y"), List.of(TensorType.of(dtype, 1, out)),
                Attributes.of(Map.of("transB", Attribute.of(1L))), Location.UNKNOWN).result(0);
        rw.addOutput(y);
        return g;
    }

    /** {@code y = x · w} with {@code w: [in, out]} read by a MatMul as its right operand (output channels on axis 1). */
    static Graph matMul(float[] w, int in, int out, DType dtype) {
        Graph g = new Graph("g");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(dtype, 2, in));
        Value wv = rw.addConstant("w", Tensors.ofFloats(dtype, new long[] {in, out}, w));
        rw.addOutput(rw.createNode("mm", "onnx.MatMul", List.of(x, wv), List.of("y"), List.of(TensorType.of(dtype, 2, out)),
                Attributes.empty(), Location.UNKNOWN).result(0));
        return g;
    }

    static <O extends Record> TestPassContext run(Pass pass, Graph g, long seed) throws PassFailure {
        TestPassContext context = new TestPassContext(seed, Map.of());
        pass.run(g, context);
        return context;
    }

    static <O extends Record> Pass pass(dev.pare.spi.PassProvider<O> provider, O options) {
        return provider.create(ScopedOptions.uniform(options));
    }

    /** The values of constant {@code name}. */
    static float[] constant(Graph g, String name) {
        Value v = g.value(name).orElseThrow();
        TensorData d = v.data();
        if (d == null) throw new AssertionError(name + " is not a constant but " + v.producer());
        return Tensors.floats(d);
    }

    /** The seed the pass hands the {@code index}-th weight when the context seed is {@code seed}. */
    static long weightSeed(long seed, int index) {
        SplittableRandom r = new SplittableRandom(seed);
        long s = 0;
        for (int i = 0; i <= index; i++) s = r.nextLong();
        return s;
    }

    static WeightTensor tensor(float[] w, int out, int in, Precision p) {
        return WeightTensor.of(w, new long[] {out, in}, p);
    }
}
