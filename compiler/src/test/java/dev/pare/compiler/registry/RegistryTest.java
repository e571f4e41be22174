package dev.pare.compiler.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.testpasses.DiscoveredPasses;
import dev.pare.compiler.testpasses.MarkPass;
import dev.pare.compiler.testpasses.SimplePasses;
import dev.pare.compiler.testpasses.TestGraphs;
import dev.pare.ir.Graph;
import dev.pare.spi.Option;
import dev.pare.spi.OptionValueException;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {

    /** A second provider claiming the name {@code mark}. */
    public static final class OtherMark implements PassProvider<SimplePasses.NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("mark", "clashes with MarkPass"); }
        @Override public SimplePasses.NoOptions defaults() { return new SimplePasses.NoOptions(); }
        @Override public Pass create(ScopedOptions<SimplePasses.NoOptions> options) { return null; }
    }

    public record BadOptions(Map<String, Integer> table) {}

    /** A provider whose options record has an unsupported component type. */
    public static final class BadProvider implements PassProvider<BadOptions> {
        @Override public PassInfo info() { return PassInfo.optional("bad", "bad options"); }
        @Override public BadOptions defaults() { return new BadOptions(Map.of()); }
        @Override public Pass create(ScopedOptions<BadOptions> options) { return null; }
    }

    @Test
    void duplicateNamesAndInvalidProvidersAreReportedTogether() {
        RegistryException e = assertThrows(RegistryException.class,
                () -> PassRegistry.of(List.of(new MarkPass(), new OtherMark(), new BadProvider())));
        assertEquals(List.of(
                "error[R001]: pass name 'mark' is provided by both dev.pare.compiler.testpasses.MarkPass and "
                        + "dev.pare.compiler.registry.RegistryTest$OtherMark",
                "error[R003]: pass provider dev.pare.compiler.registry.RegistryTest$BadProvider is invalid: option 'table' of "
                        + "dev.pare.compiler.registry.RegistryTest$BadOptions has unsupported type java.util.Map<java.lang.String, java.lang.Integer> "
                        + "(use boolean, int, long, float, double, String, an enum, a List of those, or an Optional of one)"),
                e.problems());
    }

    @Test
    void optionsSchemaComesFromTheRecord() {
        OptionsSchema<MarkPass.Options> schema = OptionsSchema.of(new MarkPass().defaults());
        assertEquals(List.of("nbits", "mode", "group_size", "threshold", "scale", "bits", "verbose", "label", "budget"), schema.keys());
        OptionSpec groupSize = schema.option("group_size").orElseThrow();
        assertEquals("channels per group", groupSize.help());
        assertEquals(16, groupSize.defaultValue());
        assertEquals(">= 1", groupSize.describeRange());
        assertEquals("list of int", schema.option("bits").orElseThrow().type().describe());
        assertEquals("one of kmeans, uniform, unique", schema.option("mode").orElseThrow().type().describe());
        assertEquals("use_http_server", Names.lowerSnake("useHTTPServer"));
        assertEquals("int8_weights", Names.lowerSnake("int8Weights"));
    }

    /** Rejects odd levels as one option's value, and level 7 as a combination naming no known option. */
    public record LevelOptions(@Option(help = "how much") int maxLevel) {
        public LevelOptions {
            if (maxLevel == 7) throw new OptionValueException("noSuchOption", "must not be 7");
            if (maxLevel % 2 != 0) throw new OptionValueException("maxLevel", "must be even, got " + maxLevel);
        }
    }

    @Test
    void aValueTheRecordRejectsIsTiedToItsOptionKey() {
        OptionsSchema<LevelOptions> schema = OptionsSchema.of(new LevelOptions(2));
        OptionsSchema.InvalidOptionsException odd = assertThrows(OptionsSchema.InvalidOptionsException.class,
                () -> schema.with(schema.defaults(), Map.of("max_level", 3)));
        assertEquals(Optional.of("max_level"), odd.key());
        assertEquals("must be even, got 3", odd.requirement());
        assertEquals("max_level must be even, got 3", odd.getMessage());
        OptionsSchema.InvalidOptionsException unknown = assertThrows(OptionsSchema.InvalidOptionsException.class,
                () -> schema.with(schema.defaults(), Map.of("max_level", 7)));
        assertEquals(Optional.empty(), unknown.key());
        assertEquals("no_such_option must not be 7", unknown.getMessage());
    }

    @Test
    void classPathDiscoveryBuildsProvidersThroughTheInjector() throws Exception {
        DiscoveredPasses.Greeting custom = new DiscoveredPasses.Greeting() {
            @Override public String text() { return "bonjour"; }
        };
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override protected void configure() { bind(DiscoveredPasses.Greeting.class).toInstance(custom); }
        });
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader(), injector);
        assertTrue(registry.find("test_discovered").isPresent());
        DiscoveredPasses.Injected injected = assertInstanceOf(DiscoveredPasses.Injected.class,
                registry.find("test_injected").orElseThrow().provider());
        assertEquals("bonjour", injected.greeting().text());
        assertTrue(registry.pipelineFiles().containsKey("test_discovery.pipeline"));
        assertEquals(List.of("test_discovered", "test_injected"), new PipelineCompiler(registry).named("TEST_DISCOVERED")
                .passSteps().stream().map(PassStep::passName).toList());
        assertFalse(registry.find("plugin_pass").isPresent());
    }

    @Test
    void pluginJarIsFoundOnlyWhenOnThePluginPath(@TempDir Path tmp) throws Exception {
        Path pluginDir = Files.createDirectories(tmp.resolve("plugins"));
        buildPluginJar(tmp, pluginDir.resolve("my-plugin.jar"));
        Injector injector = Guice.createInjector();

        PassRegistry without = PassRegistry.discover(Optional.empty(), injector);
        assertFalse(without.find("plugin_pass").isPresent());
        assertFalse(without.pipelineFiles().containsKey("plugin.pipeline"));

        PassRegistry with = PassRegistry.discover(Optional.of(pluginDir), injector);
        RegisteredPass plugin = with.find("plugin_pass").orElseThrow();
        assertEquals("demo.PluginPass", plugin.providerClassName());
        assertEquals(List.of("level"), plugin.schema().keys());
        assertTrue(with.find("test_discovered").isPresent()); // the class path is still searched
        assertTrue(with.pipelineFiles().containsKey("plugin.pipeline"));
        PipelineCompiler compiler = new PipelineCompiler(with);
        assertEquals("plugin_pass{level=3}\n", compiler.named("PLUGIN").canonicalText());
        // a plugin pass runs like any other
        RunReport report = dev.pare.compiler.passmanager.PassManager.builder(with).output(new PrintStream(new ByteArrayOutputStream()))
                .build().run(compiler.parseInline("plugin_pass{level=5}"), TestGraphs.chain(false));
        assertEquals(5L, report.statistics().get(0).counters().get("level"));

        RegistryException missing = assertThrows(RegistryException.class,
                () -> PassRegistry.discover(Optional.of(tmp.resolve("nowhere")), injector));
        assertEquals("error[R004]: plugin path " + tmp.resolve("nowhere") + " does not exist", missing.getMessage());
    }

    @Test
    void compilerModuleWiresRegistryPipelinesServicesAndManagers() throws Exception {
        Injector injector = Guice.createInjector(new CompilerModule(new CompilerConfig(Optional.empty(), List.of(), 2)));
        PassRegistry registry = CompilerModule.registry(injector);
        assertTrue(registry.find("test_injected").isPresent());
        PipelineCompiler compiler = injector.getInstance(PipelineCompiler.class);
        PassManagerFactory factory = injector.getInstance(PassManagerFactory.class);
        Graph g = TestGraphs.chain(false);
        RunReport report = factory.create(PassManagerOptions.DEFAULTS, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null)
                .run(compiler.parseInline("test_injected"), g);
        assertEquals(1L, report.statistics().get(0).counters().get("hello"));
    }

    /** Compiles a one-class plugin with javax.tools and packs it with its services file and a pipeline. */
    private static void buildPluginJar(Path work, Path jar) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/demo"));
        Files.writeString(src.resolve("PluginPass.java"), """
                package demo;
                import dev.pare.spi.*;
                public final class PluginPass implements PassProvider<PluginPass.Options> {
                    public record Options(@Option(help = "how much", min = 0, max = 9) int level) {}
                    public PassInfo info() { return PassInfo.optional("plugin_pass", "a plugin"); }
                    public Options defaults() { return new Options(3); }
                    public Pass create(ScopedOptions<Options> o) {
                        return (g, c) -> { c.statistics().add("level", o.base().level()); return PassResult.UNCHANGED; };
                    }
                }
                """);
        Path classes = Files.createDirectories(work.resolve("classes"));
        String classPath = location(PassProvider.class) + java.io.File.pathSeparator + location(Graph.class);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "-cp", classPath, "-d", classes.toString(),
                src.resolve("PluginPass.java").toString());
        assertEquals(0, rc);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            try (var files = Files.walk(classes)) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                    out.write(Files.readAllBytes(p));
                    out.closeEntry();
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.pare.spi.PassProvider"));
            out.write("demo.PluginPass\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            out.putNextEntry(new JarEntry("META-INF/pare/pipelines/plugin.pipeline"));
            out.write("pipeline PLUGIN = plugin_pass;\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
