package dev.pare.compiler.onnx;

import dev.pare.ir.Model;
import java.nio.file.Path;

/** Child-JVM entry point for the large external-data test: read args[0], write args[1]. */
public final class ExternalRoundTripMain {

    private ExternalRoundTripMain() {}

    public static void main(String[] args) throws Exception {
        OnnxFormat format = new OnnxFormat();
        Model model = format.read(Path.of(args[0]));
        format.write(model, Path.of(args[1]));
        Runtime rt = Runtime.getRuntime();
        System.out.println("max heap " + rt.maxMemory() / (1 << 20) + " MiB, used " + (rt.totalMemory() - rt.freeMemory()) / (1 << 20) + " MiB");
    }
}
