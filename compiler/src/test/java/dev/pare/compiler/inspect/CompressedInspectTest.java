package dev.pare.compiler.inspect;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.lower.PareWeights;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.MagnitudePrunerOptions;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.Pruner;
import dev.pare.passes.compression.math.PruningResult;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.passes.compression.math.WeightTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare inspect} on compressed weights: as pare ops in the IR, and as the ONNX Pare writes. */
class CompressedInspectTest {

    @TempDir Path tmp;

    private static final long[] SHAPE = {8, 40};

    private static String resource(String name) throws IOException {
        try (InputStream in = CompressedInspectTest.class.getResourceAsStream("/inspect/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static WeightTensor weight(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[320];
        for (int i = 0; i < w.length; i++) w[i] = (float) ((r.nextDouble() - 0.5) * (1 + i % 7));
        return WeightTensor.of(w, SHAPE, Precision.FLOAT32);
    }

    /** x[8,40] · int4 per-channel + 2-bit grouped LUT + 75% sparse + sparse 4-bit LUT + int8 blocks of 16. */
    static Model compressed() {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, SHAPE));
        LinearQuantization q4 = LinearQuantizer.quantize(weight(1), new LinearQuantizerOptions(
                LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT4, new QuantGranularity.PerChannel(0)));
        Palettizer palettizer = new Palettizer(null);
        Palettization lut2 = palettizer.palettize(weight(2), PalettizerOptions.kmeans(2).withGroups(2, 0), new SplittableRandom(1));
        PruningResult sparse = Pruner.magnitude(weight(3), MagnitudePrunerOptions.sparsity(0.75));
        WeightTensor w4 = weight(4);
        PruningResult half = Pruner.magnitude(w4, MagnitudePrunerOptions.sparsity(0.5));
        Palettization lut4 = palettizer.palettize(WeightTensor.of(half.decompress(), SHAPE, Precision.FLOAT32),
                PalettizerOptions.kmeans(4), new SplittableRandom(2), half.keep());
        LinearQuantization q8 = LinearQuantizer.quantize(weight(5), new LinearQuantizerOptions(
                LinearQuantizerOptions.Mode.LINEAR, DType.INT8, new QuantGranularity.PerBlock(0, 1, 16)));
        List<Function<Rewriter, Value>> weights = List.of(
                r -> PareWeights.affine(r, "w_int4", q4),
                r -> PareWeights.lut(r, "w_lut2", lut2),
                r -> PareWeights.sparse(r, "w_sparse", sparse),
                r -> PareWeights.masked(r, "w_joint", SHAPE, half.keep(), PareWeights.lut(r, "w_joint_lut", lut4)),
                r -> PareWeights.affine(r, "w_int8", q8));
        Value y = x;
        int i = 0;
        for (Function<Rewriter, Value> w : weights) {
            Value v = w.apply(rw);
            y = rw.createNode("add" + i, "onnx.Add", List.of(y, v), List.of("y" + i), List.of(TensorType.of(DType.FLOAT32, SHAPE)),
                    Attributes.empty(), Location.UNKNOWN).result(0);
            i++;
        }
        rw.addOutput(y);
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        return m;
    }

    @Test
    void pareOpsInTheIr() throws IOException {
        ModelReport r = ModelInspector.inspect(compressed());
        assertEquals(resource("compressed-ir.txt"), ReportText.render(r, "compressed (in memory)"));
    }

    @Test
    void onnxAsPareWritesIt() throws Exception {
        Path file = tmp.resolve("compressed.onnx");
        new OnnxFormat().write(OnnxLowering.lower(compressed()), file);
        ModelReport r = ModelInspector.inspect(new OnnxFormat().read(file));
        assertEquals(resource("compressed-onnx.txt"), ReportText.render(r, "compressed.onnx"));
        assertEquals(resource("compressed-onnx.json"), ReportJson.write(r, "compressed.onnx"));
        // the same weights, kinds and code widths as in the IR
        ModelReport ir = ModelInspector.inspect(compressed());
        assertEquals(ir.compressedWeights().stream().map(c -> c.name() + " " + c.kind() + " " + c.nbits() + " " + c.sparsity()).toList(),
                r.compressedWeights().stream().map(c -> c.name() + " " + c.kind() + " " + c.nbits() + " " + c.sparsity()).toList());
    }
}
