package dev.pare.testkit;

import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Problem;
import dev.pare.ir.Verifier;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs one pass once over IR text and checks the result, for pass authors:
 *
 * <pre>
 * PassTester.of(new MyPassProvider()).assertTransforms("""
 *     graph g(%x: f32[2]) { ... }
 *     """, """
 *     graph g(%x: f32[2]) { ... }
 *     """);
 * </pre>
 *
 * Every run verifies the input and the output with {@link Verifier}, and fails if the pass
 * reported {@code changed=false} while the printed IR changed. Golden files are classpath
 * resources {@code NAME.before.ir} and {@code NAME.after.ir}. Failures are plain
 * {@link AssertionError}s with a line diff, so any test framework can use this.
 *
 * <p>Instances are immutable; the {@code with*} methods return adjusted copies.
 */
public final class PassTester<O extends Record> {

    private final String passName;
    private final Function<ScopedOptions<O>, Pass> factory;
    private final ScopedOptions<O> options;
    private final long seed;
    private final Map<Class<?>, Object> services;
    private final boolean verifyInput;

    private PassTester(String passName, Function<ScopedOptions<O>, Pass> factory, ScopedOptions<O> options,
                       long seed, Map<Class<?>, Object> services, boolean verifyInput) {
        this.passName = passName;
        this.factory = factory;
        this.options = options;
        this.seed = seed;
        this.services = Map.copyOf(services);
        this.verifyInput = verifyInput;
    }

    /** Tests a provider's pass, with its default options until {@link #withOptions} says otherwise. */
    public static <O extends Record> PassTester<O> of(PassProvider<O> provider) {
        return new PassTester<>(provider.info().name(), provider::create, ScopedOptions.uniform(provider.defaults()),
                0, Map.of(), true);
    }

    /** Tests a bare pass (no provider); {@code options} is what the pass is handed, may be null. */
    public static <O extends Record> PassTester<O> of(String passName, Pass pass, O options) {
        return new PassTester<>(passName, o -> pass, ScopedOptions.uniform(options), 0, Map.of(), true);
    }

    public PassTester<O> withOptions(O newOptions) {
        return new PassTester<>(passName, factory, ScopedOptions.uniform(newOptions), seed, services, verifyInput);
    }

    /** Per-node options, as the pass manager would build them from {@code where { ... }} selectors. */
    public PassTester<O> withScopedOptions(ScopedOptions<O> scoped) {
        return new PassTester<>(passName, factory, scoped, seed, services, verifyInput);
    }

    /** The seed of {@code PassContext.random()}; 0 unless set. */
    public PassTester<O> withSeed(long newSeed) {
        return new PassTester<>(passName, factory, options, newSeed, services, verifyInput);
    }

    public <T> PassTester<O> withService(Class<T> type, T service) {
        Map<Class<?>, Object> m = new LinkedHashMap<>(services);
        m.put(type, service);
        return new PassTester<>(passName, factory, options, seed, m, verifyInput);
    }

    /** Accepts input the verifier rejects, e.g. an unordered graph for a reordering pass. */
    public PassTester<O> withoutInputVerification() {
        return new PassTester<>(passName, factory, options, seed, services, false);
    }

    /** Parses {@code inputIr}, runs the pass once and verifies the result. */
    public PassRun run(String inputIr) { return run(inputIr, "input.ir"); }

    /** Runs the pass and expects it to throw {@link PassFailure}, which is returned for checking. */
    public PassFailure assertFails(String inputIr) {
        Graph graph = parseInput(inputIr, "input.ir");
        try {
            factory.apply(options).run(graph, new TestPassContext(seed, services));
        } catch (PassFailure f) {
            return f;
        }
        throw new AssertionError(passName + " was expected to fail but succeeded");
    }

    /** Expects the pass to turn {@code before} into {@code after} and to report {@code changed}. */
    public PassRun assertTransforms(String before, String after) {
        PassRun run = run(before).assertOutput(after);
        if (!run.changed()) {
            throw new AssertionError(passName + " reported changed=false; use assertUnchanged if nothing should change");
        }
        return run;
    }

    /** Expects the pass to leave {@code ir} as it is and to report {@code changed=false}. */
    public PassRun assertUnchanged(String ir) {
        PassRun run = run(ir);
        if (!TextDiff.normalize(run.before()).equals(TextDiff.normalize(run.after()))) {
            throw new AssertionError(passName + " changed IR it should leave alone (- before, + after):\n"
                    + TextDiff.diff(run.before(), run.after()));
        }
        return run.assertChanged(false);
    }

    /**
     * Golden files: runs the pass on resource {@code NAME.before.ir} and compares with
     * {@code NAME.after.ir}; when the two files are equal the pass must report no change.
     */
    public PassRun assertGolden(String name) {
        return assertGolden(name + ".before.ir", name + ".after.ir");
    }

    /**
     * Golden files with explicit resource paths, so several passes can share one input file.
     * When the expected output equals the input the pass must report no change.
     */
    public PassRun assertGolden(String beforeResource, String afterResource) {
        String before = resource(beforeResource);
        String after = resource(afterResource);
        PassRun run = run(before, beforeResource);
        if (!TextDiff.normalize(after).equals(TextDiff.normalize(run.after()))) {
            throw new AssertionError("IR after " + passName + " differs from " + afterResource + " (- expected, + actual):\n"
                    + TextDiff.diff(after, run.after()));
        }
        boolean expectChange = !TextDiff.normalize(run.before()).equals(TextDiff.normalize(run.after()));
        return run.assertChanged(expectChange);
    }

    private PassRun run(String inputIr, String sourceName) {
        Graph graph = parseInput(inputIr, sourceName);
        TestPassContext context = new TestPassContext(seed, services);
        String before = IrPrinter.print(graph);
        try {
            return finish(graph, before, factory.apply(options).run(graph, context), context);
        } catch (PassFailure f) {
            throw new AssertionError(passName + " failed on " + sourceName + ": " + f.code() + ": " + f.getMessage(), f);
        }
    }

    private Graph parseInput(String inputIr, String sourceName) {
        Graph graph = IrParser.parse(inputIr, sourceName);
        if (verifyInput) {
            List<Problem> problems = Verifier.verify(graph);
            if (!problems.isEmpty()) throw new AssertionError("input IR does not verify:\n  " + join(problems));
        }
        return graph;
    }

    private PassRun finish(Graph graph, String before, PassResult result, TestPassContext context) {
        String after = IrPrinter.print(graph);
        List<Problem> problems = Verifier.verify(graph);
        if (!problems.isEmpty()) {
            throw new AssertionError("IR after " + passName + " does not verify:\n  " + join(problems) + "\n" + after);
        }
        if (!result.changed() && !before.equals(after)) {
            throw new AssertionError(passName + " reported changed=false but the IR changed (- before, + after):\n"
                    + TextDiff.diff(before, after));
        }
        return new PassRun(passName, graph, before, after, result.changed(),
                context.reportedDiagnostics(), context.reportedStatistics());
    }

    private static String join(List<Problem> problems) {
        return problems.stream().map(Problem::toString).collect(Collectors.joining("\n  "));
    }

    private static String resource(String path) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) loader = PassTester.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) throw new AssertionError("golden file " + path + " is not on the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden file " + path, e);
        }
    }
}
