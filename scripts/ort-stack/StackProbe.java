import ai.onnxruntime.OrtEnvironment;
import dev.pare.compiler.runtime.OrtEnvironments;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * For scripts/ort-stack-limits.sh: prints this JVM's command-line length in bytes, then creates
 * ONNX Runtime's environment on the main thread ({@code direct}) or through Pare's
 * OrtEnvironments ({@code shared}) and prints "ok". A stack overflow kills the JVM before "ok".
 */
public class StackProbe {
    public static void main(String[] args) throws Exception {
        System.out.print(Files.readAllBytes(Path.of("/proc/self/cmdline")).length + " bytes: ");
        System.out.flush();
        if (args.length == 1 && args[0].equals("shared")) OrtEnvironments.shared();
        else OrtEnvironment.getEnvironment();
        System.out.println("ok");
    }
}
