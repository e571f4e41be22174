package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.cli.testplugin.TestCodes;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.spi.DiagnosticCatalogs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplainCommandTest {

    private static CliRun run(String... args) { return CliRun.of(new Main(new ModelFormats(List.of()), Map.of()), args); }

    @Test void explainsCw010() {
        CliRun r = run("explain", "CW010");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("""
                CW010: a shared weight gets different compression options from two of its consumers
                severity: error
                owner: passes

                One constant is read as a weight by two ops, and the selectors give those ops different
                """), r.out());
        assertTrue(r.out().contains("\n  palettize{nbits=4} on op_name(\"decoder*\", \"lm_head\")\n"), r.out());
        assertEquals("", r.err());
    }

    @Test void codesAreCaseInsensitiveAndPipelineCodesAreThere() {
        CliRun r = run("explain", "p002");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("P002: unknown pass\nseverity: error\nowner: compiler\n"), r.out());
    }

    @Test void theFormatModulesCodesAreFoundWithTheirOwners() {
        CliRun coreml = run("explain", "CL001");
        assertEquals(0, coreml.exitCode(), coreml.err());
        assertTrue(coreml.out().startsWith("CL001: a pare.* op cannot be lowered to the Core ML target\nseverity: error\nowner: coreml\n"),
                coreml.out());
        CliRun onnx = run("explain", "OL002");
        assertEquals(0, onnx.exitCode(), onnx.err());
        assertTrue(onnx.out().startsWith("OL002: lower_to_onnx was run without the model being compiled\nseverity: error\nowner: onnx\n"),
                onnx.out());
    }

    @Test void anUnknownCodeIsAUsageErrorNamingTheNearestCodes() {
        CliRun r = run("explain", "CW099");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertEquals("pare: error: unknown diagnostic code 'CW099'; nearest: CW017, CW016, CW015; "
                + "pare explain --list lists them all\n", r.err());
        assertEquals("", r.out());
    }

    @Test void listShowsEveryCatalogueEntry() {
        CliRun r = run("explain", "--list");
        assertEquals(0, r.exitCode(), r.err());
        for (DiagnosticCatalogs.Entry e : DiagnosticCatalogs.load(getClass().getClassLoader()).all()) {
            assertTrue(r.out().contains(e.code().code() + " "), "missing " + e.code().code());
        }
        assertTrue(r.out().contains("M015    warning   compiler  a step's on, except or where pattern matches no node"), r.out());
        assertEquals(ExitCodes.USAGE, run("explain").exitCode());
        assertEquals(ExitCodes.USAGE, run("explain", "--list", "CW010").exitCode());
    }

    @Test void pluginsAddCodesAndACollisionNamesBothOwners(@TempDir Path dir) throws IOException {
        writeCatalogJar(dir.resolve("codes/codes.jar"), TestCodes.Catalog.class);
        CliRun r = run("explain", "T001", "--plugin-path", dir.resolve("codes").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("T001: fail_on_op refused a node of the op type it was told to refuse\nseverity: error\n"
                + "owner: test-plugins\n", r.out());

        writeCatalogJar(dir.resolve("clash/clash.jar"), TestCodes.Clashing.class);
        CliRun clash = run("explain", "CW010", "--plugin-path", dir.resolve("clash").toString());
        assertEquals(ExitCodes.USAGE, clash.exitCode());
        // every command loads plugins the same way, so compile refuses the clash too
        assertEquals(ExitCodes.USAGE, run("passes", "--plugin-path", dir.resolve("clash").toString()).exitCode());
        assertTrue(clash.err().startsWith("pare: error[R008]: diagnostic code CW010 is declared by both passes (dev.pare.passes.PassesCode)"
                + " and clashing-plugin ("), clash.err());
    }

    /** A jar whose only content is a services file naming {@code catalog}; the class is on the test class path. */
    static Path writeCatalogJar(Path jarFile, Class<?> catalog) throws IOException {
        Files.createDirectories(jarFile.getParent());
        try (OutputStream file = Files.newOutputStream(jarFile); JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry("META-INF/services/dev.pare.spi.DiagnosticCatalog"));
            jar.write((catalog.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return jarFile;
    }
}
