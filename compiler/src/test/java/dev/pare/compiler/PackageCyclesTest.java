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
import java.util.function.Predicate;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import org.junit.jupiter.api.Test;

/**
 * No package of the compiled compiler, formats, ir or spi classes depends on itself through others:
 * the package graph jdeps reads from the class files is acyclic, so each package can be read from
 * the bottom up. A cycle fails with its packages named. The format modules (formats/io,
 * formats/mil-interpreter, formats/onnx, formats/coreml) use only ir, spi and the modules below
 * them, never the compiler: an arrow upwards fails with the edge named.
 */
class PackageCyclesTest {

    private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.pare\\.[\\w.]+)\\s+->\\s+(dev\\.pare\\.[\\w.]+)\\s");
    /** Any package jdeps lists as a source: every package uses java.base, so every package is listed. */
    private static final Pattern SOURCE = Pattern.compile("^\\s+(dev\\.pare\\.[\\w.]+)\\s+->");

    /** Package to the packages of the same code base it uses, read by jdeps from {@code classes}. */
    static Map<String, Set<String>> packageGraph(Path classes) {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : jdeps(classes)) {
            Matcher m = EDGE.matcher(line);
            if (!m.find() || m.group(1).equals(m.group(2))) continue;
            graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
        return graph;
    }

    /** The packages that have classes in {@code classes}. */
    static Set<String> packagesOf(Path classes) {
        Set<String> packages = new TreeSet<>();
        for (String line : jdeps(classes)) {
            Matcher m = SOURCE.matcher(line);
            if (m.find()) packages.add(m.group(1));
        }
        return packages;
    }

    private static List<String> jdeps(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none", classes.toString());
        assertEquals(0, rc, err.toString());
        return List.of(out.toString().split("\n"));
    }

    /** The edges of {@code graph} to a package {@code allowed} refuses, as "from -> to". */
    static List<String> forbiddenEdges(Map<String, Set<String>> graph, Predicate<String> allowed) {
        List<String> found = new ArrayList<>();
        graph.forEach((from, targets) -> targets.stream().filter(allowed.negate()).forEach(to -> found.add(from + " -> " + to)));
        return found;
    }

    private static boolean isIrOrSpi(String p) {
        return p.equals("dev.pare.ir") || p.startsWith("dev.pare.ir.") || p.equals("dev.pare.spi") || p.startsWith("dev.pare.spi.");
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
    void theCompilerFormatsIrAndSpiPackageGraphsAreAcyclic() throws Exception {
        for (Class<?> module : List.of(CompilerCode.class, ModelFormats.class, MilInterpreter.class, OnnxFormat.class,
                CoreMlFormat.class, dev.pare.ir.Graph.class, dev.pare.spi.Pass.class)) {
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
        Map<String, Set<String>> compiler = packageGraph(classesOf(CompilerCode.class));
        assertTrue(compiler.get("dev.pare.compiler.inspect").contains("dev.pare.compiler.coreml"), compiler.toString());
        Map<String, Set<String>> coreml = packageGraph(classesOf(CoreMlFormat.class));
        assertTrue(!coreml.get("dev.pare.compiler.coreml").contains("dev.pare.compiler.coreml.lower"),
                "the writer must not know the lowering: " + coreml.get("dev.pare.compiler.coreml"));
    }

    @Test
    void eachFormatModuleUsesOnlyIrSpiAndTheModulesBelowIt() throws Exception {
        Path io = classesOf(ModelFormats.class);
        Path mil = classesOf(MilInterpreter.class);
        Path onnx = classesOf(OnnxFormat.class);
        Path coreml = classesOf(CoreMlFormat.class);
        Map<Path, List<Path>> below = Map.of(io, List.of(), mil, List.of(), onnx, List.of(io), coreml, List.of(io));
        List<String> upwards = new ArrayList<>();
        below.forEach((module, lower) -> {
            Set<String> allowed = new TreeSet<>(packagesOf(module));
            lower.forEach(l -> allowed.addAll(packagesOf(l)));
            forbiddenEdges(packageGraph(module), p -> isIrOrSpi(p) || allowed.contains(p))
                    .forEach(edge -> upwards.add(module.getFileName() + ": " + edge));
        });
        assertEquals(List.of(), upwards);
        // and the compiler holds none of their packages any more (they are found on its class path)
        Set<String> moved = new TreeSet<>();
        for (Path module : below.keySet()) moved.addAll(packagesOf(module));
        moved.retainAll(packagesOf(classesOf(CompilerCode.class)));
        assertEquals(Set.of(), moved);
    }

    @Test
    void anEdgeUpwardsIsFound() {
        Map<String, Set<String>> graph = new TreeMap<>(Map.of(
                "dev.pare.compiler.onnx", Set.of("dev.pare.ir", "dev.pare.compiler.io", "dev.pare.compiler.driver"),
                "dev.pare.compiler.onnx.lower", Set.of("dev.pare.spi", "dev.pare.compiler.onnx")));
        Set<String> allowed = Set.of("dev.pare.compiler.onnx", "dev.pare.compiler.onnx.lower", "dev.pare.compiler.io");
        assertEquals(List.of("dev.pare.compiler.onnx -> dev.pare.compiler.driver"),
                forbiddenEdges(graph, p -> isIrOrSpi(p) || allowed.contains(p)));
    }
}
