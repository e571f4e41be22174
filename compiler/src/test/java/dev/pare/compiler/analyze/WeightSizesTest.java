package dev.pare.compiler.analyze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.compiler.analyze.Candidates.Candidate;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.inspect.CompressedWeight;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Model;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX size model against the written file: a few mnist_dwnet weights (a 3×3 depthwise conv
 * of 288 elements, a 1×1 conv of 2,048 and the largest of 262,144) are compressed with each
 * candidate kind, the model is written as {@code .onnx}, read back, and the bytes
 * {@link WeightSizes#ONNX} predicted for each weight must equal the stored bytes
 * {@code pare inspect} finds for it in the file (indices with their padding, LUTs, scales, masks,
 * unpack constants, LUT offsets).
 */
class WeightSizesTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final List<String> WEIGHTS = List.of("onnx::Conv_249", "onnx::Conv_255", "onnx::Conv_297");
    static final List<String> CANDIDATES = List.of(
            "palettize{nbits=8, weight_threshold=0}",
            "palettize{nbits=6, weight_threshold=0}",
            "palettize{nbits=4, weight_threshold=0}",
            "palettize{nbits=3, weight_threshold=0}",
            "palettize{nbits=2, weight_threshold=0}",
            "palettize{nbits=3, granularity=per_grouped_channel, group_size=16, skip_inapplicable=true, weight_threshold=0}",
            "quantize_weights{dtype=int8, weight_threshold=0}",
            "quantize_weights{dtype=int4, granularity=per_block, weight_threshold=0}",
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=0}");

    static Injector injector;
    static PipelineCompiler pipelines;

    @TempDir Path dir;

    @BeforeAll static void wire() {
        injector = Guice.createInjector(new CompilerModule(CompilerConfig.defaults()));
        pipelines = injector.getInstance(PipelineCompiler.class);
    }

    @Test void predictedOnnxBytesAreTheWrittenFilesBytes() throws Exception {
        ModelFormats formats = ModelFormats.discover();
        List<Candidate> candidates = Candidates.parseEach(pipelines, CANDIDATES);
        Model original = new Compilation(formats).readInput(MNIST);
        Map<String, List<String>> nodes = new HashMap<>();
        for (CompressibleWeights.Weight w : CompressibleWeights.of(original)) nodes.put(w.name(), w.nodes());
        PassManagerFactory managers = injector.getInstance(PassManagerFactory.class);
        int compared = 0;
        boolean onnxAddsBytes = false;
        for (int c = 0; c < candidates.size(); c++) {
            Model m = SensitivityAnalysis.copy(original);
            for (String w : WEIGHTS) {
                try {
                    managers.create(PassManagerOptions.DEFAULTS, new PrintStream(OutputStream.nullOutputStream()), d -> d)
                            .run(new PipelineSpec("t", List.of(SensitivityAnalysis.restrict(candidates.get(c).step(), nodes.get(w)))), m);
                } catch (PassManagerException e) {
                    assertTrue(e.getMessage().contains("block_size 32 is larger than the 1 inputs"), e.getMessage());
                }
            }
            Map<String, Long> predicted = new HashMap<>();
            for (String w : WEIGHTS) {
                if (m.graph().value(w).orElseThrow().isConstant()) continue; // the candidate does not apply (int4 blocks on 3×3 depthwise)
                predicted.put(w, WeightSizes.ONNX.bytes(SensitivityAnalysis.copy(m), w));
                if (predicted.get(w) > WeightSizes.IR.bytes(SensitivityAnalysis.copy(m), w)) onnxAddsBytes = true;
            }
            Path file = dir.resolve("c" + c + ".onnx");
            OnnxLowering.lowerInPlace(m);
            formats.write(m, file);
            Map<String, Long> stored = new HashMap<>();
            for (CompressedWeight cw : ModelInspector.inspect(formats.read(file)).compressedWeights()) {
                if (cw.graphPath().isEmpty()) stored.put(cw.name(), cw.storedBytes());
            }
            for (Map.Entry<String, Long> e : predicted.entrySet()) {
                assertEquals(stored.get(e.getKey()), e.getValue(), CANDIDATES.get(c) + ": " + e.getKey());
                compared++;
            }
        }
        // 9 candidates × 3 weights, less int4 per block on the depthwise conv
        assertEquals(26, compared);
        assertTrue(onnxAddsBytes, "the ONNX file stores some weight in more bytes than the pare dialect");
    }

    @Test void threeBitIndicesCountTheirUnpackGroupAndConstants() throws Exception {
        Model m = new Compilation(ModelFormats.discover()).readInput(MNIST);
        List<Candidate> c = Candidates.parseEach(pipelines, List.of("palettize{nbits=3, weight_threshold=0}"));
        String w = "onnx::Conv_249";
        List<String> nodes = CompressibleWeights.of(m).stream().filter(x -> x.name().equals(w)).findFirst().orElseThrow().nodes();
        injector.getInstance(PassManagerFactory.class).create(PassManagerOptions.DEFAULTS, new PrintStream(OutputStream.nullOutputStream()), d -> d)
                .run(new PipelineSpec("t", List.of(SensitivityAnalysis.restrict(c.get(0).step(), nodes))), m);
        // IR: 288 codes × 3 bits = 108 bytes, an 8-entry f32 LUT = 32 bytes
        assertEquals(108 + 32, WeightSizes.IR.bytes(SensitivityAnalysis.copy(m), w));
        // ONNX: 36 unpack groups of 3 bytes (108, no padding: 288 = 36 × 8 codes) and the LUT (32), plus
        // int64 constants: 3 byte weights, the ReduceSum axes, 8 shifts, the modulus, the [32,1,3,3]
        // shape of the codes and the [8] shape of the flat table
        assertEquals(108 + 32 + 8 * (3 + 1 + 8 + 1 + 4 + 1), WeightSizes.ONNX.bytes(SensitivityAnalysis.copy(m), w));
    }
}
