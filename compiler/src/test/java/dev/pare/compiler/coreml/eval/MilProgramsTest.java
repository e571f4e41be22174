package dev.pare.compiler.coreml.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.MlPackage;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.TensorData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs whole coremltools-written programs (the fixture packages) through the interpreter: the
 * MNIST packages against the source ONNX model on ONNX Runtime, the small transformer block's fp16
 * and W8A8 builds against its fp32 build.
 */
class MilProgramsTest {

    private static final Path DIR = Path.of("src/test/resources/models/coreml");
    private static final int DIGITS = 16;

    private static float[][] interpretDigits(String pkgName) throws Exception {
        Graph g = FixturePrograms.mainGraph(MlPackage.read(DIR.resolve(pkgName + ".mlpackage")));
        MilInterpreter interpreter = new MilInterpreter(g);
        float[] images = RealModelInputs.mnistTestImages(DIGITS).get("input").floats();
        float[][] logits = new float[DIGITS][];
        for (int i = 0; i < DIGITS; i++) {
            float[] one = Arrays.copyOfRange(images, i * 784, (i + 1) * 784);
            Map<String, MilTensor> out = interpreter.runTensors(Map.of("input", MilTensor.of(TensorData.ofFloats(new long[] {1, 1, 28, 28}, one))));
            MilTensor l = out.get("logits");
            // iOS16 fp16 programs return fp16 logits (the description's FLOAT32 is a cast Core ML adds)
            assertTrue(l.dtype() == DType.FLOAT32 || l.dtype() == DType.FLOAT16, l.dtype().toString());
            assertArrayEquals(new int[] {1, 10}, l.shape());
            logits[i] = l.toFloats();
        }
        return logits;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /**
     * {@code maxError} bounds |interpreted - ORT| relative to the largest |ORT logit| of the digit;
     * {@code maxDisagree} is how many digits may get a different top-1 class.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mnist_dwnet_fp32_ios18, 1e-5, 0",
        "mnist_dwnet_fp16_ios16, 5e-3, 0",
        "mnist_dwnet_int8_ios16, 2e-2, 0",
        "mnist_dwnet_int4b32_ios18, 0.15, 1",
        "mnist_dwnet_pal4_ios16, 0.3, 2",
        "mnist_dwnet_pal4g16_ios18, 0.2, 2"})
    void mnistPackagesAgreeWithTheOnnxModel(String pkg, double maxError, int maxDisagree) throws Exception {
        float[] expected = OrtRunner.run(TestModels.MNIST, RealModelInputs.mnistTestImages(DIGITS)).get("logits").floats();
        float[][] actual = interpretDigits(pkg);
        int agree = 0;
        double worst = 0;
        for (int i = 0; i < DIGITS; i++) {
            float[] e = Arrays.copyOfRange(expected, i * 10, (i + 1) * 10);
            double scale = 0;
            for (float v : e) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(actual[i][k] - e[k]) / scale);
            if (argmax(e) == argmax(actual[i])) agree++;
        }
        System.out.printf("%s: worst relative logit error %.2e, top-1 agreement %d/%d%n", pkg, worst, agree, DIGITS);
        assertTrue(worst <= maxError, pkg + ": worst relative logit error " + worst);
        assertTrue(agree >= DIGITS - maxDisagree, pkg + ": top-1 agreement " + agree + "/" + DIGITS);
    }

    /**
     * 50% magnitude pruning without fine-tuning leaves this net at about a third of its accuracy
     * (README compression table: 0.331), so the pruned packages are checked against each other: the
     * fp16 iOS16 bitmask program and the fp32 iOS18 program that also palettizes the kept values
     * (lut_to_sparse -> sparse_to_dense) share the pruning mask and must stay close.
     */
    @org.junit.jupiter.api.Test
    void prunedPackagesAgreeWithEachOther() throws Exception {
        float[][] sparse = interpretDigits("mnist_dwnet_prune50_ios16");
        float[][] joint = interpretDigits("mnist_dwnet_joint_prune_pal_ios18");
        int agree = 0;
        double worst = 0;
        for (int i = 0; i < DIGITS; i++) {
            double scale = 0;
            for (float v : sparse[i]) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(joint[i][k] - sparse[i][k]) / scale);
            if (argmax(sparse[i]) == argmax(joint[i])) agree++;
        }
        System.out.printf("pruned packages: worst relative logit difference %.2e, top-1 agreement %d/%d%n", worst, agree, DIGITS);
        assertTrue(worst <= 0.3, "worst relative logit difference " + worst);
        assertTrue(agree >= DIGITS - 2, "top-1 agreement " + agree);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"block_fp16_ios17, 2e-3", "block_w8a8_ios17, 3e-2"})
    void transformerBlockBuildsAgreeWithTheFp32Build(String pkg, double maxError) throws Exception {
        float[] x = new float[16 * 64];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        Map<String, MilTensor> in = Map.of("x", MilTensor.of(TensorData.ofFloats(new long[] {1, 16, 64}, x)));
        float[] ref = new MilInterpreter(FixturePrograms.mainGraph(MlPackage.read(DIR.resolve("block_fp32_ios18.mlpackage"))))
                .runTensors(in).get("probs").toFloats();
        MilTensor out = new MilInterpreter(FixturePrograms.mainGraph(MlPackage.read(DIR.resolve(pkg + ".mlpackage")))).runTensors(in).get("probs");
        assertArrayEquals(new int[] {1, 16, 64}, out.shape());
        float[] got = out.toFloats();
        double worst = 0;
        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        // each row of probs sums to 1
        for (int row = 0; row < 16; row++) {
            double sum = 0;
            for (int k = 0; k < 64; k++) sum += got[row * 64 + k];
            assertEquals(1.0, sum, 1e-2);
        }
        System.out.printf("%s: worst abs prob error vs fp32 build %.2e%n", pkg, worst);
        assertTrue(worst <= maxError, pkg + ": worst abs prob error " + worst);
    }
}
