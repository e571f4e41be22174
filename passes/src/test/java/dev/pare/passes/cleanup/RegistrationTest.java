package dev.pare.passes.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.spi.Option;
import dev.pare.spi.PassProvider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RegistrationTest {

    private static List<PassProvider<?>> providers() {
        List<PassProvider<?>> out = new ArrayList<>();
        for (PassProvider<?> p : ServiceLoader.load(PassProvider.class)) {
            if (p.getClass().getPackageName().equals(RegistrationTest.class.getPackageName())) out.add(p);
        }
        return out;
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = RegistrationTest.class.getClassLoader().getResourceAsStream(path)) {
            assertNotNull(in, path + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void serviceLoaderFindsEveryCleanupPassAsOptional() {
        List<String> names = providers().stream().map(p -> p.info().name()).sorted().toList();
        assertEquals(List.of("const_deduplication", "const_folding", "dead_code_elimination", "identity_elimination",
                "topological_reorder"), names);
        for (PassProvider<?> p : providers()) {
            assertFalse(p.info().required(), p.info().name());
            for (RecordComponent c : p.defaults().getClass().getRecordComponents()) {
                assertNotNull(c.getAnnotation(Option.class), p.info().name() + " option " + c.getName() + " has no @Option");
            }
        }
    }

    @Test
    void builtInPipelinesAreIndexedAndNameKnownSteps() throws IOException {
        List<String> files = resource("META-INF/pare/pipelines.index").lines().filter(l -> !l.isBlank()).toList();
        assertEquals(List.of("EMPTY.pipeline", "CLEANUP.pipeline", "DEFAULT.pipeline"), files.subList(0, 3));
        Set<String> passes = new HashSet<>();
        for (PassProvider<?> p : ServiceLoader.load(PassProvider.class)) passes.add(p.info().name());
        Set<String> pipelines = new HashSet<>();
        Pattern definition = Pattern.compile("pipeline\\s+([A-Z][A-Z0-9_]*)\\s*=");
        for (String f : files) {
            Matcher m = definition.matcher(resource("META-INF/pare/pipelines/" + f));
            assertTrue(m.find(), f + " defines no pipeline");
            assertEquals(f.replace(".pipeline", ""), m.group(1));
            pipelines.add(m.group(1));
        }
        Pattern word = Pattern.compile("\\b([a-z][a-z0-9_]*|[A-Z][A-Z0-9_]*)\\b");
        Set<String> keywords = Set.of("pipeline", "fixpoint", "max_iterations", "include");
        for (String f : files) {
            String body = resource("META-INF/pare/pipelines/" + f).replaceAll("//[^\n]*", "").replaceAll("\"[^\"]*\"", "")
                    .replaceAll("\\{[^{}]*=[^{}]*\\}", ""); // option blocks (compression passes)
            Matcher m = word.matcher(body);
            while (m.find()) {
                String w = m.group(1);
                if (keywords.contains(w)) continue;
                assertTrue(passes.contains(w) || pipelines.contains(w), f + " names unknown step " + w);
            }
        }
    }
}
