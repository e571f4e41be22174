package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.compare.CompareReport;
import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPTQ palettization and SparseGPT pruning on the MNIST depthwise net, calibrated on a small
 * subset of its calibration images so the test runs in seconds, beat round-to-nearest by a clear
 * margin on the 2000 labelled test digits (ONNX Runtime), and the same from the Core ML package
 * (statistics from the MIL interpreter, written as .mlpackage, compared in the interpreter). The
 * README's table (scripts/data-aware-report.sh) uses all 500 images.
 */
class DataAwareCompressionOnMnistTest {

    private static final Path DIR = Path.of("src/test/resources/models/mnist_dwnet");
    private static final Path FIXTURES = Path.of("src/test/resources/models/coreml");

    @TempDir Path tmp;

    private static RawFloatSamples calibration(int n) throws Exception {
        return new RawFloatSamples(DIR.resolve("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, n);
    }

    private static double accuracy(Path model) throws Exception {
        byte[] labels = Files.readAllBytes(DIR.resolve("test_y.u8"));
        float[] logits = OrtRunner.run(model, Map.of("input", RealModelInputs.mnistTestImages().get("input"))).get("logits").floats();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct / (double) labels.length;
    }

    private double compiled(String name, String pipeline, RawFloatSamples data) throws Exception {
        Path out = tmp.resolve(name + ".onnx");
        CalibratedCompile.compile(TestModels.MNIST, pipeline + ", CLEANUP", data, out);
        return accuracy(out);
    }

    @Test
    void gptqAndSparseGptBeatRoundToNearestOnOnnx() throws Exception {
        RawFloatSamples data = calibration(64);
        double rtn2 = compiled("rtn2", "palettize{nbits=2, weight_threshold=512}", data);
        double gptq2 = compiled("gptq2", "palettize{nbits=2, weight_threshold=512, algorithm=gptq, sensitivity=hessian, act_order=true}", data);
        double magnitude50 = compiled("mag50", "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=512}", data);
        double sparse50 = compiled("sgpt50", "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=512, algorithm=sparsegpt}", data);
        System.out.printf(Locale.ROOT, "mnist_dwnet, 64 calibration images, 2000 digits: 2-bit rtn %.4f gptq %.4f; 50%% magnitude %.4f sparsegpt %.4f%n",
                rtn2, gptq2, magnitude50, sparse50);
        assertTrue(gptq2 >= rtn2 + 0.2, "2-bit: gptq " + gptq2 + " vs rtn " + rtn2);
        assertTrue(sparse50 >= magnitude50 + 0.5, "50%: sparsegpt " + sparse50 + " vs magnitude " + magnitude50);
    }

    @Test
    void sparseGptFromTheCoreMlPackageBeatsMagnitudeInTheInterpreter() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Path original = FIXTURES.resolve("mnist_dwnet_fp32_ios18.mlpackage");
        double[] accuracy = new double[2];
        String[] pipelines = {"prune{mode=magnitude, target_sparsity=0.5, weight_threshold=512}, CLEANUP",
                "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=512, algorithm=sparsegpt}, CLEANUP"};
        for (int i = 0; i < 2; i++) {
            CalibratedCompile.Compiled c = CalibratedCompile.compile(coreml.read(original), pipelines[i], calibration(32));
            Path out = tmp.resolve("p" + i + ".mlpackage");
            dev.pare.compiler.coreml.lower.LoweredCoreMl.write(c.model(), out); // lower_to_coreml first, as pare compile does
            CompareReport r = new ModelComparison(ModelFormats.discover()).run(new CompareRequest(original, out,
                    DIR.resolve("test_x.f32"), "-1,1,28,28", DIR.resolve("test_y.u8"), 0, 200, Map.of(), 1));
            accuracy[i] = r.outputs().get(0).classification().accuracyB();
            double own = r.outputs().get(0).classification().accuracyA();
            assertTrue(own >= 0.97, "the package's own accuracy on 200 digits: " + own);
        }
        System.out.printf(Locale.ROOT, "mnist_dwnet Core ML, 32 calibration images, 200 digits: 50%% magnitude %.4f sparsegpt %.4f%n",
                accuracy[0], accuracy[1]);
        assertTrue(accuracy[1] >= accuracy[0] + 0.5, "sparsegpt " + accuracy[1] + " vs magnitude " + accuracy[0]);
    }
}
