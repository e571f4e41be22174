package dev.pare.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No package of the compiled compiler, ir or spi classes depends on itself through others: the
 * package graph jdeps reads from the class files is acyclic, so each package can be read (and one
 * day split into a module) from the bottom up. A cycle fails with its packages named.
 */
class PackageCyclesTest {

    private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.pare\\.[\\w.]+)\\s+->\\s+(dev\\.pare\\.[\\w.]+)\\s");

    /** Package to the packages of the same code base it uses, read by jdeps from {@code classes}. */
    static Map<String, Set<String>> packageGraph(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none", classes.toString());
        assertEquals(0, rc, err.toString());
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (!m.find() || m.group(1).equals(m.group(2))) continue;
            graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
        return graph;
    }

    /** The strongly connected components of more than one package (Tarjan), each sorted. */
    static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        List<Set<String>> found = new ArrayList<>();
        Map<String, Integer> index = new TreeMap<>();
        Map<String, Integer> low = new TreeMap<>();
        List<String> stack = new ArrayList<>();
        for (String p : graph.keySet()) if (!index.containsKey(p)) visit(p, graph, index, low, stack, found);
        return found;
    }

    private static void visit(String p, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                              List<String> stack, List<Set<String>> found) {
        index.put(p, index.size());
        low.put(p, index.get(p));
        stack.add(p);
        for (String q : graph.getOrDefault(p, Set.of())) {
            if (!index.containsKey(q)) {
                visit(q, graph, index, low, stack, found);
                low.put(p, Math.min(low.get(p), low.get(q)));
            } else if (stack.contains(q)) {
                low.put(p, Math.min(low.get(p), index.get(q)));
            }
        }
        if (low.get(p).equals(index.get(p))) {
            Set<String> component = new TreeSet<>();
            String q;
            do {
                q = stack.remove(stack.size() - 1);
                component.add(q);
            } while (!q.equals(p));
            if (component.size() > 1) found.add(component);
        }
    }

    private static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void theCompilerIrAndSpiPackageGraphsAreAcyclic() throws Exception {
        for (Class<?> module : List.of(CompilerCode.class, dev.pare.ir.Graph.class, dev.pare.spi.Pass.class)) {
            Map<String, Set<String>> graph = packageGraph(classesOf(module));
            assertTrue(cycles(graph).isEmpty(), classesOf(module) + ": package cycles " + cycles(graph) + " in " + graph);
        }
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a", "d"), "d", Set.of());
        assertEquals(List.of(Set.of("a", "b", "c")), cycles(new TreeMap<>(graph)));
    }

    @Test
    void theCoreMlFormatSitsBelowInspectionAndKnowsNotItsLowering() throws Exception {
        Map<String, Set<String>> graph = packageGraph(classesOf(CompilerCode.class));
        assertTrue(graph.get("dev.pare.compiler.inspect").contains("dev.pare.compiler.coreml"), graph.toString());
        assertTrue(!graph.getOrDefault("dev.pare.compiler.io", Set.of()).contains("dev.pare.compiler.inspect"), graph.toString());
        assertTrue(!graph.get("dev.pare.compiler.coreml").contains("dev.pare.compiler.coreml.lower"),
                "the writer must not know the lowering: " + graph.get("dev.pare.compiler.coreml"));
    }
}
