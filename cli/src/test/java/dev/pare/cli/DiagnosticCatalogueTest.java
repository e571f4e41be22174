package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.cli.testplugin.TestCodes;
import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCatalogs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The catalogue is the one source of truth for diagnostic codes: every code the main sources
 * mention is in it, none is emitted as a string literal outside the catalogue enums, and the
 * README mentions only catalogued codes. The cli module sees every module's catalogue.
 */
class DiagnosticCatalogueTest {

    private static final Pattern CODE = Pattern.compile("\\b[A-Z]{1,4}[0-9]{3}\\b");
    /** A string literal that is a code, or carries a {@code error[CODE]} tag. */
    private static final Pattern LITERAL = Pattern.compile("\"[A-Z]{1,4}[0-9]{3}\"|(error|warning|note)\\[[A-Z]{1,4}[0-9]{3}]");

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private static DiagnosticCatalogs builtIn() { return DiagnosticCatalogs.load(DiagnosticCatalogueTest.class.getClassLoader()); }

    private static List<Path> mainSources() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String module : List.of("ir", "spi", "testkit", "passes", "bench", "formats/io", "formats/mil-interpreter",
                "formats/onnx", "formats/coreml", "compiler", "cli", "examples/custom-pass")) {
            Path dir = ROOT.resolve(module).resolve("src/main/java");
            assertTrue(Files.isDirectory(dir), dir + " (the test runs in the cli module)");
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
            }
        }
        return files;
    }

    /** The enums that declare codes: the only place a code may be written as a literal. */
    private static boolean isCatalogue(String source, Path file) {
        return source.contains("implements DiagnosticCode {") || source.contains("implements DiagnosticCode.Described {")
                || file.endsWith("dev/pare/ir/VerifierCode.java");
    }

    @Test void eachBuiltInModuleHasACatalogueAndNoCodeIsDeclaredTwice() {
        Set<String> owners = new TreeSet<>();
        int count = 0;
        for (DiagnosticCatalog c : ServiceLoader.load(DiagnosticCatalog.class, getClass().getClassLoader())) {
            owners.add(c.owner());
            count += c.codes().size();
        }
        assertEquals(Set.of("compiler", "coreml", "ir", "onnx", "passes"), owners);
        // load() refuses duplicates; equal sizes show nothing was merged away either
        assertEquals(count, builtIn().all().size());
    }

    @Test void noCodeIsEmittedAsAStringLiteralOutsideTheCatalogues() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path file : mainSources()) {
            String source = Files.readString(file);
            if (isCatalogue(source, file)) continue;
            String[] lines = source.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.startsWith("*") || line.startsWith("//") || line.startsWith("/*")) continue;
                if (LITERAL.matcher(lines[i]).find()) found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + line);
            }
        }
        assertEquals(List.of(), found, "use the catalogue's constants (e.g. PassesCode.CW010, CompilerCode.M004.tag())");
    }

    @Test void everyCodeTheSourcesMentionIsCatalogued() throws IOException {
        DiagnosticCatalogs catalogue = builtIn();
        Set<String> unknown = new TreeSet<>();
        for (Path file : mainSources()) {
            Matcher m = CODE.matcher(Files.readString(file));
            while (m.find()) if (catalogue.find(m.group()).isEmpty()) unknown.add(m.group() + " in " + ROOT.relativize(file));
        }
        assertEquals(Set.of(), unknown);
    }

    @Test void everyCodeTheReadmeMentionsIsCatalogued() throws IOException {
        // the README's plugin examples use the test plugins' codes, which their own catalogue declares
        List<DiagnosticCatalog> catalogs = new ArrayList<>();
        ServiceLoader.load(DiagnosticCatalog.class, getClass().getClassLoader()).forEach(catalogs::add);
        catalogs.add(new TestCodes.Catalog());
        DiagnosticCatalogs catalogue = DiagnosticCatalogs.of(catalogs);
        Matcher m = CODE.matcher(Files.readString(ROOT.resolve("README.md")));
        Set<String> mentioned = new TreeSet<>();
        while (m.find()) mentioned.add(m.group());
        assertTrue(mentioned.containsAll(Set.of("CW010", "AQ009", "P002", "M015")), mentioned.toString());
        assertEquals(Set.of(), mentioned.stream().filter(c -> catalogue.find(c).isEmpty()).collect(Collectors.toCollection(TreeSet::new)));
    }
}
