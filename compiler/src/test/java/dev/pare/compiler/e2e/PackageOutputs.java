package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.ir.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Two MNIST Core ML packages run in the MIL interpreter on the first {@code n} test digits, one at a
 * time (the fixtures take [1,1,28,28]): how often they pick the same class and the worst logit error
 * as a fraction of the reference's largest logit (at least 1).
 */
record PackageOutputs(int sameClass, double worstRelativeError) {

    static PackageOutputs compare(Path reference, Path other, int n) throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        MilInterpreter before = new MilInterpreter(coreml.read(reference).graph());
        MilInterpreter after = new MilInterpreter(coreml.read(other).graph());
        float[] digits = RealModelInputs.mnistTestImages(n).get("input").floats();
        double worst = 0;
        int same = 0;
        for (int i = 0; i < n; i++) {
            float[] one = Arrays.copyOfRange(digits, i * 784, (i + 1) * 784);
            Map<String, TensorData> in = Map.of("input", TensorData.ofFloats(new long[] {1, 1, 28, 28}, one));
            float[] x = MilTensor.of(before.run(in).values().iterator().next()).toFloats();
            float[] y = MilTensor.of(after.run(in).values().iterator().next()).toFloats();
            double maxAbs = 0;
            double range = 0;
            for (int c = 0; c < x.length; c++) {
                maxAbs = Math.max(maxAbs, Math.abs(x[c] - y[c]));
                range = Math.max(range, Math.abs(x[c]));
            }
            worst = Math.max(worst, maxAbs / Math.max(1, range));
            if (argmax(x) == argmax(y)) same++;
        }
        return new PackageOutputs(same, worst);
    }

    /** Bytes of the package's files. */
    static long size(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
