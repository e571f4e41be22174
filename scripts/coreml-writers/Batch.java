import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs many `pare compile` command lines in one JVM (for scripts/compare-coreml-writers.sh): each
 * line of the case file is ID<TAB>ARG<TAB>ARG...; OUT/ID/{rc,stderr} get the exit code and the
 * error output, and "{out}" in an argument becomes OUT/ID. Run with java -cp CLASSPATH Batch.java.
 */
public class Batch {
    public static void main(String[] a) throws Exception {
        Path out = Path.of(a[1]);
        for (String line : Files.readAllLines(Path.of(a[0]))) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t");
            Path dir = out.resolve(f[0]);
            Files.createDirectories(dir);
            String[] args = new String[f.length - 1];
            for (int i = 1; i < f.length; i++) args[i - 1] = f[i].replace("{out}", dir.toString());
            Object main = Class.forName("dev.pare.cli.Main").getConstructor().newInstance();
            picocli.CommandLine cl = (picocli.CommandLine) main.getClass().getMethod("commandLine").invoke(main);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            cl.setErr(new PrintWriter(new PrintStream(err, true, StandardCharsets.UTF_8), true));
            cl.setOut(new PrintWriter(new ByteArrayOutputStream(), true));
            int rc;
            try {
                rc = cl.execute(args);
            } catch (Throwable t) {
                rc = 99;
                err.write(t.toString().getBytes(StandardCharsets.UTF_8));
            }
            Files.writeString(dir.resolve("rc"), rc + "\n");
            Files.write(dir.resolve("stderr"), err.toByteArray());
            System.out.println(rc + " " + f[0]);
        }
    }
}
