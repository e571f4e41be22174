package dev.pare.compiler.registry;

import dev.pare.compiler.CompilerCode;
import dev.pare.spi.DiagnosticCatalogs;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.JarURLConnection;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The passes and built-in pipeline files available to the compiler, sorted by name.
 *
 * <p><b>Passes</b> are listed like {@link java.util.ServiceLoader} services, in
 * {@code META-INF/services/dev.pare.spi.PassProvider} files on the class path and in plugin jars.
 * The registry reads those files itself (same format: one class name per line, {@code #}
 * comments) and builds each class through a Guice injector, because {@code ServiceLoader} rejects
 * provider classes without a public no-arg constructor even when only their type is asked for,
 * and providers may {@code @Inject} services.
 *
 * <p><b>Built-in pipelines</b> are resources {@code META-INF/pare/pipelines/*.pipeline}. They are
 * found by listing that folder in every class-path directory and jar (plugin jars are opened
 * directly, so they need no directory entries); a class loader that cannot be listed can name its
 * files in {@code META-INF/pare/pipelines.index} (one file name per line, resolved against
 * {@code META-INF/pare/pipelines/} next to the index).
 *
 * <p>Errors (all found are reported together in one {@link RegistryException}):
 * <table>
 *   <tr><th>code</th><th>meaning</th></tr>
 *   <tr><td>R001</td><td>two providers use the same pass name (names both classes)</td></tr>
 *   <tr><td>R002</td><td>a provider class cannot be loaded or built</td></tr>
 *   <tr><td>R003</td><td>a provider's info or options record is invalid</td></tr>
 *   <tr><td>R004</td><td>the plugin path does not exist or cannot be read</td></tr>
 *   <tr><td>R005</td><td>two different built-in pipeline files have the same name</td></tr>
 *   <tr><td>R006</td><td>a plugin jar is not a valid jar (zip) file</td></tr>
 *   <tr><td>R007</td><td>a provider's {@code create()} returned no pass (reported by the pass manager)</td></tr>
 *   <tr><td>R008</td><td>two diagnostic catalogues declare one code, or a catalogue cannot be loaded</td></tr>
 * </table>
 */
public final class PassRegistry {

    public static final String SERVICES = "META-INF/services/" + PassProvider.class.getName();
    public static final String PIPELINES_DIR = "META-INF/pare/pipelines";
    public static final String PIPELINES_INDEX = "META-INF/pare/pipelines.index";

    private final SortedMap<String, RegisteredPass> passes;
    private final SortedMap<String, PipelineResource> pipelineFiles;
    private final ClassLoader classLoader;

    private PassRegistry(SortedMap<String, RegisteredPass> passes, SortedMap<String, PipelineResource> pipelineFiles,
                         ClassLoader classLoader) {
        this.passes = Collections.unmodifiableSortedMap(passes);
        this.pipelineFiles = Collections.unmodifiableSortedMap(pipelineFiles);
        this.classLoader = classLoader;
    }

    /** Passes and pipelines on the application class path plus the jars in {@code pluginPath}. */
    public static PassRegistry discover(Optional<Path> pluginPath, Injector injector) throws RegistryException {
        ClassLoader app = PassRegistry.class.getClassLoader();
        ClassLoader loader = pluginPath.isPresent() ? pluginClassLoader(pluginPath.get(), app) : app;
        return discover(loader, injector);
    }

    /** Passes and pipelines visible to {@code loader}; providers are built with {@code injector}. */
    public static PassRegistry discover(ClassLoader loader, Injector injector) throws RegistryException {
        List<String> problems = new ArrayList<>();
        List<PassProvider<?>> providers = new ArrayList<>();
        java.util.Map<String, String> sources = new java.util.HashMap<>();
        for (String className : providerClassNames(loader, problems, sources)) {
            try {
                Class<?> type = Class.forName(className, false, loader);
                if (!PassProvider.class.isAssignableFrom(type)) {
                    problems.add(CompilerCode.R002.tag() + ": " + className + " is listed in " + SERVICES + " but does not implement PassProvider");
                    continue;
                }
                providers.add((PassProvider<?>) injector.getInstance(type));
            } catch (ClassNotFoundException | LinkageError e) {
                problems.add(CompilerCode.R002.tag() + ": cannot load pass provider " + className + ": " + e);
            } catch (RuntimeException e) { // Guice ConfigurationException / ProvisionException
                problems.add(CompilerCode.R002.tag() + ": cannot create pass provider " + className + ": " + guiceMessage(e));
            }
        }
        List<PipelineResource> pipelines = pipelineResources(loader, problems);
        try {  // a plugin's diagnostic codes must not reuse another catalogue's: pare explain would be ambiguous
            DiagnosticCatalogs.load(loader);
        } catch (IllegalStateException | java.util.ServiceConfigurationError e) {
            for (String line : String.valueOf(e.getMessage()).split("\n")) problems.add(CompilerCode.R008.tag() + ": " + line);
        }
        return build(providers, pipelines, loader, problems, sources);
    }

    /** A registry of exactly these providers and pipeline files (for tests and embedding). */
    public static PassRegistry of(Collection<? extends PassProvider<?>> providers, Collection<PipelineResource> pipelines)
            throws RegistryException {
        return build(List.copyOf(providers), List.copyOf(pipelines), PassRegistry.class.getClassLoader(), new ArrayList<>(),
                java.util.Map.of());
    }

    /** A registry of exactly these providers and no pipeline files. */
    public static PassRegistry of(Collection<? extends PassProvider<?>> providers) throws RegistryException {
        return of(providers, List.of());
    }

    /** A class loader over {@code pluginPath} (a directory of jars, or one jar) with {@code parent} first. */
    public static ClassLoader pluginClassLoader(Path pluginPath, ClassLoader parent) throws RegistryException {
        List<URL> urls = new ArrayList<>();
        try {
            for (Path jar : pluginJars(pluginPath)) urls.add(jar.toUri().toURL());
        } catch (MalformedURLException e) {
            throw new RegistryException(List.of(CompilerCode.R004.tag() + ": cannot read plugin path " + pluginPath + ": " + e.getMessage()));
        }
        return new URLClassLoader("pare-plugins", urls.toArray(URL[]::new), parent);
    }

    /**
     * The jars {@code pluginPath} holds: a directory's {@code *.jar} files (sorted), or the path
     * itself when it is a jar. A file that is not a zip is left out, unless its name ends with
     * {@code .jar}: that is an error (R006) naming it. Empty when there is nothing to load.
     */
    public static List<Path> pluginJars(Path pluginPath) throws RegistryException {
        List<Path> candidates = new ArrayList<>();
        try {
            if (Files.isDirectory(pluginPath)) {
                try (Stream<Path> files = Files.list(pluginPath)) {
                    candidates.addAll(files.filter(p -> isJarName(p) && !Files.isDirectory(p)).sorted().toList());
                }
            } else if (Files.isRegularFile(pluginPath)) {
                candidates.add(pluginPath);
            } else {
                throw new RegistryException(List.of(CompilerCode.R004.tag() + ": plugin path " + pluginPath + " does not exist"));
            }
        } catch (IOException e) {
            throw new RegistryException(List.of(CompilerCode.R004.tag() + ": cannot read plugin path " + pluginPath + ": " + e.getMessage()));
        }
        List<Path> jars = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path p : candidates) {
            String invalid = zipProblem(p);
            if (invalid == null) jars.add(p);
            else if (isJarName(p)) problems.add(CompilerCode.R006.tag() + ": plugin jar " + p + " is not a valid jar file (" + invalid + ")");
        }
        if (!problems.isEmpty()) throw new RegistryException(problems);
        return jars;
    }

    private static boolean isJarName(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jar");
    }

    /** Why {@code file} cannot be opened as a zip, or null if it can. */
    private static String zipProblem(Path file) {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** A registry built with a plain injector: providers need a no-arg constructor or injectable dependencies. */
    public static PassRegistry discover(ClassLoader loader) throws RegistryException {
        return discover(loader, Guice.createInjector());
    }

    // ---- queries ---------------------------------------------------------------------------

    /** Every pass by name, sorted. */
    public SortedMap<String, RegisteredPass> passes() { return passes; }

    public Optional<RegisteredPass> find(String passName) { return Optional.ofNullable(passes.get(passName)); }

    /** Built-in pipeline files by file name, sorted. */
    public SortedMap<String, PipelineResource> pipelineFiles() { return pipelineFiles; }

    /** The loader passes were found with (the plugin loader when a plugin path was given). */
    public ClassLoader classLoader() { return classLoader; }

    // ---- building --------------------------------------------------------------------------

    private static PassRegistry build(List<PassProvider<?>> providers, List<PipelineResource> pipelines,
                                      ClassLoader loader, List<String> problems, java.util.Map<String, String> sources)
            throws RegistryException {
        SortedMap<String, RegisteredPass> byName = new TreeMap<>();
        for (PassProvider<?> provider : providers) {
            String className = provider.getClass().getName();
            PassInfo info;
            OptionsSchema<?> schema;
            try {
                info = provider.info();
                if (info == null) throw new IllegalArgumentException("info() returned null");
                schema = OptionsSchema.ofDefaults(provider.defaults());
            } catch (RuntimeException e) {
                problems.add(CompilerCode.R003.tag() + ": pass provider " + className + " is invalid: "
                        + (e instanceof IllegalArgumentException && e.getMessage() != null ? e.getMessage() : e.toString()));
                continue;
            }
            RegisteredPass previous = byName.get(info.name());
            if (previous != null) {
                problems.add(CompilerCode.R001.tag() + ": pass name '" + info.name() + "' is provided by both "
                        + previous.providerClassName() + " and " + className);
                continue;
            }
            byName.put(info.name(), new RegisteredPass(provider, info, schema, sources.getOrDefault(className, "")));
        }
        SortedMap<String, PipelineResource> files = new TreeMap<>();
        for (PipelineResource r : pipelines) {
            PipelineResource previous = files.putIfAbsent(r.fileName(), r);
            if (previous != null && !previous.url().toString().equals(r.url().toString())) {
                problems.add(CompilerCode.R005.tag() + ": built-in pipeline file '" + r.fileName() + "' is shipped twice: "
                        + previous.url() + " and " + r.url());
            }
        }
        if (!problems.isEmpty()) throw new RegistryException(problems);
        return new PassRegistry(byName, files, loader);
    }

    /** Provider class names from every services file; {@code sources} gets the jar or folder that listed each. */
    private static Set<String> providerClassNames(ClassLoader loader, List<String> problems, java.util.Map<String, String> sources) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Enumeration<URL> files = loader.getResources(SERVICES);
            while (files.hasMoreElements()) {
                URL url = files.nextElement();
                for (String line : readLines(url)) {
                    int hash = line.indexOf('#');
                    String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
                    if (!name.isEmpty() && names.add(name)) sources.put(name, servicesSource(url));
                }
            }
        } catch (IOException e) {
            problems.add(CompilerCode.R002.tag() + ": cannot read " + SERVICES + ": " + e.getMessage());
        }
        return names;
    }

    private static List<PipelineResource> pipelineResources(ClassLoader loader, List<String> problems) {
        List<PipelineResource> out = new ArrayList<>();
        try {
            Enumeration<URL> indexes = loader.getResources(PIPELINES_INDEX);
            while (indexes.hasMoreElements()) {
                URL index = indexes.nextElement();
                for (String line : readLines(index)) {
                    String name = line.trim();
                    if (name.isEmpty() || name.startsWith("#")) continue;
                    out.add(new PipelineResource(name, new URL(index, "pipelines/" + name)));
                }
            }
            Enumeration<URL> dirs = loader.getResources(PIPELINES_DIR);
            while (dirs.hasMoreElements()) out.addAll(listPipelineFolder(dirs.nextElement()));
            // Jars written without directory entries do not answer getResources for the folder:
            // list the plugin jars (and any other URLClassLoader's jars) directly.
            for (ClassLoader l = loader; l != null; l = l.getParent()) {
                if (!(l instanceof URLClassLoader u)) continue;
                for (URL jar : u.getURLs()) {
                    if (jar.getPath().endsWith(".jar")) out.addAll(listPipelineFolder(new URL("jar:" + jar + "!/" + PIPELINES_DIR)));
                }
            }
        } catch (IOException | URISyntaxException e) {
            problems.add(CompilerCode.R005.tag() + ": cannot list built-in pipelines: " + e.getMessage());
        }
        // The same file found through the index and by listing counts once.
        List<PipelineResource> unique = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (PipelineResource r : out) if (seen.add(r.url().toString())) unique.add(r);
        return unique;
    }

    private static List<PipelineResource> listPipelineFolder(URL folder) throws IOException, URISyntaxException {
        List<PipelineResource> out = new ArrayList<>();
        if ("file".equals(folder.getProtocol())) {
            Path dir = Path.of(folder.toURI());
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".pipeline")).sorted().toList()) {
                    out.add(new PipelineResource(p.getFileName().toString(), p.toUri().toURL()));
                }
            }
        } else if ("jar".equals(folder.getProtocol())) {
            String s = folder.toString();
            URL root = new URL(s.substring(0, s.indexOf("!/") + 2)); // the folder itself may have no entry
            JarURLConnection connection = (JarURLConnection) root.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                String prefix = PIPELINES_DIR + "/";
                for (JarEntry e : Collections.list(jar.entries())) {
                    String name = e.getName();
                    if (name.startsWith(prefix) && name.endsWith(".pipeline") && name.indexOf('/', prefix.length()) < 0) {
                        out.add(new PipelineResource(name.substring(prefix.length()), jarEntryUrl(folder, name)));
                    }
                }
            }
        }
        out.sort((a, b) -> a.fileName().compareTo(b.fileName()));
        return out;
    }

    /** The jar (or class-path folder) a services file URL is in, as a path when it is a file. */
    private static String servicesSource(URL services) {
        String s = services.toString();
        try {
            if ("jar".equals(services.getProtocol()) && s.contains("!/")) {
                URL jar = new URL(s.substring("jar:".length(), s.indexOf("!/")));
                return "file".equals(jar.getProtocol()) ? Path.of(jar.toURI()).toString() : jar.toString();
            }
            if ("file".equals(services.getProtocol())) {
                Path file = Path.of(services.toURI());
                Path root = file.getParent() == null ? null : file.getParent().getParent();
                return root != null && root.getParent() != null ? root.getParent().toString() : file.toString();
            }
        } catch (MalformedURLException | URISyntaxException | IllegalArgumentException e) {
            // fall back to the URL itself
        }
        return s;
    }

    private static URL jarEntryUrl(URL folder, String entry) throws MalformedURLException {
        String s = folder.toString();
        return new URL(s.substring(0, s.indexOf("!/") + 2) + entry);
    }

    private static List<String> readLines(URL url) throws IOException {
        var connection = url.openConnection();
        connection.setUseCaches(false); // a jar closed elsewhere must not poison later reads
        try (BufferedReader r = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }

    private static String guiceMessage(RuntimeException e) {
        java.util.Collection<com.google.inject.spi.Message> messages = null;
        if (e instanceof com.google.inject.ConfigurationException c) messages = c.getErrorMessages();
        else if (e instanceof com.google.inject.ProvisionException p) messages = p.getErrorMessages();
        if (messages != null && !messages.isEmpty()) {
            com.google.inject.spi.Message m = messages.iterator().next();
            Throwable cause = m.getCause();
            return cause != null ? cause.toString() : firstLine(m.getMessage());
        }
        return firstLine(e.toString());
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }
}
