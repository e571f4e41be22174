package dev.pare.compiler.e2e;

import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.TensorData;
import dev.pare.spi.Diagnostic;
import dev.pare.testkit.TestCalibrationData;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Runs W8A8 on PP-OCRv4 det calibrated on generated 320x320 images, for a child JVM with a small
 * heap: prints the pass's progress notes and the peak heap used. Arguments: number of images, output file.
 */
public final class DetCalibrationMain {

    private DetCalibrationMain() {}

    public static void main(String[] args) throws Exception {
        int images = Integer.parseInt(args[0]);
        Path out = Path.of(args[1]);
        TestCalibrationData data = TestCalibrationData.generated("generated det images", images, i -> {
            OrtRunner.Tensor t = RealModelInputs.ocrImage(320, 320, 100 + i).get("x");
            return Map.of("x", TensorData.ofFloats(t.shape(), t.floats()));
        });
        RunReport report = CalibratedCompile.compile(TestModels.OCR_DET, "W8A8", data, out);
        for (Diagnostic d : report.diagnostics()) if (d.code().startsWith("AQ")) System.out.println(d);
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        System.out.printf(Locale.ROOT, "samples read %d, max heap %d MiB, peak heap used %d MiB%n", data.reads(),
                Runtime.getRuntime().maxMemory() >> 20, peak >> 20);
    }
}
