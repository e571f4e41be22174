package dev.pare.compiler.pipeline;

import dev.pare.compiler.pipeline.OptionsCodec.ListLiteral;
import dev.pare.compiler.pipeline.OptionsCodec.Literal;
import dev.pare.compiler.pipeline.OptionsCodec.Scalar;
import dev.pare.compiler.pipeline.OptionsCodec.ScalarKind;
import dev.pare.compiler.pipeline.PipelineParser.FixpointStepContext;
import dev.pare.compiler.pipeline.PipelineParser.IncludeDeclContext;
import dev.pare.compiler.pipeline.PipelineParser.ListValueContext;
import dev.pare.compiler.pipeline.PipelineParser.NamedStepContext;
import dev.pare.compiler.pipeline.PipelineParser.OptionBlockContext;
import dev.pare.compiler.pipeline.PipelineParser.OptionContext;
import dev.pare.compiler.pipeline.PipelineParser.OverrideContext;
import dev.pare.compiler.pipeline.PipelineParser.PatternContext;
import dev.pare.compiler.pipeline.PipelineParser.PipelineDeclContext;
import dev.pare.compiler.pipeline.PipelineParser.ScalarContext;
import dev.pare.compiler.pipeline.PipelineParser.ScalarValueContext;
import dev.pare.compiler.pipeline.PipelineParser.ScopeClauseContext;
import dev.pare.compiler.pipeline.PipelineParser.SelectorContext;
import dev.pare.compiler.pipeline.PipelineParser.StepContext;
import dev.pare.compiler.pipeline.PipelineParser.StepListContext;
import dev.pare.compiler.pipeline.PipelineParser.ValueContext;
import dev.pare.compiler.registry.OptionSpec;
import dev.pare.compiler.registry.OptionsSchema;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.PipelineResource;
import dev.pare.compiler.registry.RegisteredPass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/**
 * Turns pipeline text into a {@link PipelineSpec}: parses it, follows includes, resolves pass and
 * pipeline names, types every option, and reports all problems of the text at once as a
 * {@link PipelineException} (codes in {@link PipelineErrorCode}).
 *
 * <p>Names: {@code lower_snake} (or {@code ns::name}) is a pass from the {@link PassRegistry};
 * {@code UPPER_SNAKE} is a pipeline defined in the file, in a file it includes (transitively),
 * in a {@code *.pipeline} file directly in a pipeline-path directory, or in a built-in pipeline
 * file (in that order of precedence; the pipeline path shadows built-ins). {@code include "x"} is
 * looked up next to the including file, then in the pipeline-path directories, then among the
 * built-in files; it may not leave those folders (P017). Files are read through
 * {@link PipelineFileText} and nesting is bounded by {@link PipelineLimits} (P019).
 *
 * <p>A {@code where} arm's options are merged over the step's options and validated by the
 * options record; within one kind of selector the first matching arm wins.
 */
public final class PipelineCompiler {

    /** Display name of inline text. */
    public static final String INLINE = "<pipeline>";

    private static final Pattern PASS_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern PIPELINE_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final String FIXPOINT_OWNER = "'fixpoint'";

    private final PassRegistry registry;
    private final List<Path> pipelinePath;

    public PipelineCompiler(PassRegistry registry, List<Path> pipelinePath) {
        this.registry = registry;
        this.pipelinePath = List.copyOf(pipelinePath);
    }

    public PipelineCompiler(PassRegistry registry) { this(registry, List.of()); }

    public PassRegistry registry() { return registry; }

    /**
     * What {@code --pipeline ARG} means: {@code @FILE} is a pipeline file, anything else inline
     * steps (so a bare {@code NAME} is the named pipeline).
     */
    public PipelineSpec parseArgument(String argument) throws PipelineException {
        if (argument.startsWith("@")) return parseFile(Path.of(argument.substring(1)));
        return parseInline(argument);
    }

    /** Inline steps, e.g. {@code palettize{nbits=4} on op_type(conv), CLEANUP}. */
    public PipelineSpec parseInline(String text) throws PipelineException {
        return new Session().inline(text, INLINE);
    }

    /** The named pipeline {@code name} from the pipeline path or the built-ins. */
    public PipelineSpec named(String name) throws PipelineException {
        return new Session().inline(name, name);
    }

    /**
     * A pipeline file: its top-level steps, or its one pipeline if it has no top-level steps.
     * Every definition in the file and in the files it includes is checked.
     */
    public PipelineSpec parseFile(Path file) throws PipelineException {
        return new Session().file(file);
    }

    /**
     * The pipelines a file defines itself ({@code pipeline NAME = ...;}, not those of its includes),
     * in file order, each resolved as {@link #parseFile} resolves the file's one pipeline. Its
     * top-level steps, if any, are checked but not returned. A file that defines none is an error
     * (P020).
     */
    public java.util.LinkedHashMap<String, PipelineSpec> definitionsOf(Path file) throws PipelineException {
        return new Session().definitions(file);
    }

    /** Pipelines available by name (pipeline path, then built-ins) with where each is defined. */
    public SortedMap<String, SourceSpan> availablePipelines() {
        Session s = new Session();
        SortedMap<String, SourceSpan> out = new TreeMap<>();
        s.library().forEach((name, defs) -> out.put(name, defs.get(0).span));
        return out;
    }

    // ---------------------------------------------------------------------------------------

    /** A loaded pipeline file: its parse, includes and own definitions. */
    private static final class LoadedFile {
        final SourceText source;
        final Path dir; // for relative includes; null for built-ins
        SyntaxErrors.Parsed parse;
        final List<PipelineError> loadErrors = new ArrayList<>();
        final List<LoadedFile> includes = new ArrayList<>();
        final List<Definition> definitions = new ArrayList<>();
        boolean used;
        Map<String, Definition> scope;

        LoadedFile(SourceText source, Path dir) {
            this.source = source;
            this.dir = dir;
        }

        String shortName() {
            String n = source.name();
            int slash = Math.max(n.lastIndexOf('/'), n.lastIndexOf('\\'));
            return slash < 0 ? n : n.substring(slash + 1);
        }
    }

    /** An include that would leave the folders includes may read. */
    private static final class OutsideInclude extends Exception {
        OutsideInclude(String message) { super(message); }
    }

    private record Definition(String name, LoadedFile file, PipelineDeclContext ctx, SourceSpan span) {}

    /** One compilation: files read, definitions resolved, errors collected. */
    private final class Session {
        private final List<PipelineError> errors = new ArrayList<>();
        private final Set<String> errorKeys = new LinkedHashSet<>();
        private final Map<String, Integer> fileRank = new HashMap<>();
        private final Map<String, LoadedFile> files = new LinkedHashMap<>();
        private final Map<String, SyntaxErrors.Parsed> parses = new HashMap<>();
        private final Map<Definition, List<Step>> resolved = new HashMap<>();
        private final Deque<Definition> resolving = new ArrayDeque<>();
        private Map<String, List<Definition>> library;
        /** Built-in file texts read to see which names they may define (null: unreadable). */
        private final Map<String, String> builtinText = new HashMap<>();

        PipelineSpec inline(String text, String specName) throws PipelineException {
            SourceText source = new SourceText(INLINE, text, null);
            rank(INLINE);
            SyntaxErrors.Parsed parsed = SyntaxErrors.parseInline(source);
            parsed.errors().forEach(this::report);
            parses.put(source.name(), parsed);
            List<Step> steps = parsed.steps() == null ? List.of() : steps(parsed.steps(), source, Map.of());
            return finish(specName, steps);
        }

        PipelineSpec file(Path path) throws PipelineException {
            LoadedFile main = load(path.normalize(), new ArrayDeque<>(), null);
            if (main == null) return finish(path.toString(), List.of());
            use(main);
            List<LoadedFile> closure = closure(main);
            for (LoadedFile f : closure) {
                scope(f);
                for (Definition d : f.definitions) if (f.parse.trusted(d.ctx)) resolve(d);
            }
            List<Step> steps;
            if (main.parse.steps() != null) {
                steps = steps(main.parse.steps(), main.source, scope(main));
            } else if (main.definitions.size() == 1) {
                steps = Optional.ofNullable(resolved.get(main.definitions.get(0))).orElse(List.of());
            } else if (main.definitions.isEmpty()) {
                steps = List.of();
            } else {
                report(PipelineErrorCode.AMBIGUOUS_FILE, SourceSpan.ofFile(main.source.name()), "",
                        "no top-level steps to run; the file defines pipelines "
                                + main.definitions.stream().map(Definition::name).collect(Collectors.joining(", "))
                                + " (run one by name with --pipeline NAME --pipeline-path DIR)");
                steps = List.of();
            }
            return finish(path.toString(), steps);
        }

        LinkedHashMap<String, PipelineSpec> definitions(Path path) throws PipelineException {
            LoadedFile main = load(path.normalize(), new ArrayDeque<>(), null);
            LinkedHashMap<String, PipelineSpec> out = new LinkedHashMap<>();
            if (main == null) {
                finish(path.toString(), List.of());
                return out;
            }
            use(main);
            for (LoadedFile f : closure(main)) {
                scope(f);
                for (Definition d : f.definitions) if (f.parse.trusted(d.ctx)) resolve(d);
            }
            if (main.parse.steps() != null) steps(main.parse.steps(), main.source, scope(main));
            if (main.definitions.isEmpty()) {
                report(PipelineErrorCode.NO_DEFINITIONS, SourceSpan.ofFile(main.source.name()), "",
                        "defines no pipelines; write one 'pipeline NAME = steps;' per sweep point");
            }
            List<Definition> defs = main.definitions;
            for (Definition d : defs) {
                PipelineSpec spec = finish(d.name(), Optional.ofNullable(resolved.get(d)).orElse(List.of()));
                out.put(d.name(), spec);
            }
            if (defs.isEmpty()) finish(path.toString(), List.of());
            return out;
        }

        // ---- files and includes ------------------------------------------------------------

        /** Loads a file from disk (once per session); null if it cannot be read. */
        private LoadedFile load(Path path, Deque<String> stack, SourceSpan includedAt) {
            String key = "file:" + path.toAbsolutePath().normalize();
            LoadedFile known = files.get(key);
            if (known != null) return known;
            String text;
            SourceSpan where = includedAt != null ? includedAt : SourceSpan.ofFile(path.toString());
            try {
                text = PipelineFileText.read(path);
            } catch (PipelineFileText.Refused e) {
                report(e.code, where, "", e.code == PipelineErrorCode.NOT_A_PIPELINE
                        ? path + " is not a pipeline file: " + e.getMessage() + " (its content is not shown)"
                        : "cannot read pipeline file " + path + ": " + e.getMessage());
                return null;
            } catch (IOException e) {
                String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString();
                report(PipelineErrorCode.UNREADABLE_FILE, where, "", "cannot read pipeline file " + path + ": " + why);
                return null;
            }
            Path dir = path.toAbsolutePath().getParent();
            return register(key, new LoadedFile(new SourceText(path.toString(), text, path), dir), stack);
        }

        /** A built-in file's text, read once per session; null if it cannot be read (loading it reports that). */
        private String builtinText(PipelineResource r) {
            return builtinText.computeIfAbsent(r.fileName(), k -> {
                try {
                    return r.read();
                } catch (IOException e) {
                    return null;
                }
            });
        }

        private LoadedFile loadBuiltin(PipelineResource r, Deque<String> stack) {
            String key = "builtin:" + r.fileName();
            LoadedFile known = files.get(key);
            if (known != null) return known;
            String text;
            try {
                text = builtinText.containsKey(r.fileName()) ? builtinText.get(r.fileName()) : r.read();
            } catch (IOException e) {
                report(PipelineErrorCode.UNREADABLE_FILE, SourceSpan.ofFile(r.displayName()), "",
                        "cannot read built-in pipeline file " + r.url() + ": " + e);
                return null;
            }
            return register(key, new LoadedFile(new SourceText(r.displayName(), text, null), null), stack);
        }

        private LoadedFile register(String key, LoadedFile f, Deque<String> stack) {
            files.put(key, f);
            rank(f.source.name());
            SyntaxErrors.Parsed parsed = SyntaxErrors.parseFile(f.source);
            parses.put(f.source.name(), parsed);
            f.parse = parsed;
            f.loadErrors.addAll(parsed.errors());
            stack.push(key);
            for (IncludeDeclContext inc : f.parse.includes()) {
                if (inc.STRING() == null || inc.STRING().getSymbol().getTokenIndex() < 0) continue;
                String name = OptionsCodec.unquote(inc.STRING().getText());
                SourceSpan span = span(f.source, inc.STRING().getSymbol());
                if (stack.size() >= PipelineLimits.MAX_REFERENCE_DEPTH) {
                    f.loadErrors.add(error(PipelineErrorCode.TOO_DEEP, span, f.source,
                            "includes nest deeper than the limit of " + PipelineLimits.MAX_REFERENCE_DEPTH + " files"));
                    continue;
                }
                Optional<Object> target;
                try {
                    target = findInclude(f, name);
                } catch (OutsideInclude e) {
                    f.loadErrors.add(error(PipelineErrorCode.INCLUDE_OUTSIDE, span, f.source, e.getMessage()));
                    continue;
                }
                if (target.isEmpty()) {
                    f.loadErrors.add(error(PipelineErrorCode.INCLUDE_NOT_FOUND, span, f.source,
                            "cannot find include \"" + name + "\" next to the including file, on the pipeline path, or among the built-in pipelines"));
                    continue;
                }
                String targetKey = target.get() instanceof Path p ? "file:" + p.toAbsolutePath().normalize()
                        : "builtin:" + ((PipelineResource) target.get()).fileName();
                if (stack.contains(targetKey)) {
                    List<String> chain = new ArrayList<>();
                    List<String> keys = new ArrayList<>(stack);
                    java.util.Collections.reverse(keys);
                    for (String k : keys.subList(keys.indexOf(targetKey), keys.size())) chain.add(files.get(k).shortName());
                    chain.add(files.get(targetKey).shortName());
                    f.loadErrors.add(error(PipelineErrorCode.INCLUDE_CYCLE, span, f.source,
                            "include cycle: " + String.join(" -> ", chain)));
                    continue;
                }
                LoadedFile included = target.get() instanceof Path p ? load(p.normalize(), stack, span)
                        : loadBuiltin((PipelineResource) target.get(), stack);
                if (included != null) f.includes.add(included);
            }
            stack.pop();
            for (PipelineDeclContext d : f.parse.definitions()) {
                if (d.IDENT() == null || d.IDENT().getSymbol().getTokenIndex() < 0) continue;
                Token name = d.IDENT().getSymbol();
                if (!PIPELINE_NAME.matcher(name.getText()).matches()) {
                    f.loadErrors.add(error(PipelineErrorCode.BAD_NAME, span(f.source, name), f.source,
                            "pipeline name '" + name.getText() + "' must be UPPER_SNAKE"));
                    continue;
                }
                f.definitions.add(new Definition(name.getText(), f, d, span(f.source, name)));
            }
            return f;
        }

        /**
         * A Path or a PipelineResource. A path must stay inside the including file's folder or a
         * pipeline-path folder, also after following links, like ONNX external data stays inside
         * the model folder (onnx/ExternalDataResolver.java).
         */
        private Optional<Object> findInclude(LoadedFile from, String name) throws OutsideInclude {
            Path asPath;
            try {
                asPath = Path.of(name);
            } catch (InvalidPathException e) {
                return Optional.empty(); // e.g. a NUL character: no file has that name
            }
            List<Path> roots = new ArrayList<>();
            if (from.dir != null) roots.add(from.dir);
            roots.addAll(pipelinePath);
            boolean escapes = false;
            for (Path root : roots) {
                Path base = root.toAbsolutePath().normalize();
                Path candidate = base.resolve(asPath).normalize();
                if (!candidate.startsWith(base)) {
                    escapes = true;
                    continue;
                }
                if (!Files.isRegularFile(candidate)) continue;
                try {
                    if (!candidate.toRealPath().startsWith(base.toRealPath())) {
                        throw new OutsideInclude("include \"" + name + "\" links to a file outside "
                                + (root == from.dir ? "the including file's folder" : "pipeline-path folder " + root));
                    }
                } catch (IOException e) {
                    continue;
                }
                return Optional.of(candidate);
            }
            if (escapes || asPath.isAbsolute()) {
                throw new OutsideInclude("include \"" + name + "\" is outside the including file's folder and the "
                        + "pipeline path; includes are resolved only inside them");
            }
            return Optional.ofNullable(registry.pipelineFiles().get(name));
        }

        /** Reports a file's load errors and those of its includes, once. */
        private void use(LoadedFile f) {
            if (f.used) return;
            f.used = true;
            f.loadErrors.forEach(this::report);
            f.includes.forEach(this::use);
        }

        private List<LoadedFile> closure(LoadedFile root) {
            List<LoadedFile> out = new ArrayList<>();
            collect(root, out);
            return out;
        }

        private void collect(LoadedFile f, List<LoadedFile> out) {
            if (out.contains(f)) return;
            for (LoadedFile i : f.includes) collect(i, out);
            out.add(f);
        }

        /** The definitions visible in a file: its own and its includes' (library names come after). */
        private Map<String, Definition> scope(LoadedFile f) {
            if (f.scope != null) return f.scope;
            Map<String, Definition> scope = new LinkedHashMap<>();
            for (LoadedFile g : closure(f)) {
                for (Definition d : g.definitions) {
                    Definition previous = scope.putIfAbsent(d.name, d);
                    if (previous != null && previous != d) {
                        report(PipelineErrorCode.DUPLICATE_PIPELINE, d.span, d.file.source.line(d.span.line()),
                                "pipeline '" + d.name + "' is already defined at " + previous.span);
                    }
                }
            }
            f.scope = scope;
            return scope;
        }

        /** Pipeline-path definitions (by file name order), then built-ins, per name. */
        Map<String, List<Definition>> library() {
            if (library != null) return library;
            library = new TreeMap<>();
            Map<String, List<Definition>> builtins = new TreeMap<>();
            for (LoadedFile f : pipelinePathFiles()) {
                for (Definition d : f.definitions) library.computeIfAbsent(d.name, k -> new ArrayList<>()).add(d);
            }
            for (PipelineResource r : registry.pipelineFiles().values()) {
                LoadedFile f = loadBuiltin(r, new ArrayDeque<>());
                if (f != null) for (Definition d : f.definitions) builtins.computeIfAbsent(d.name, k -> new ArrayList<>()).add(d);
            }
            builtins.forEach((name, defs) -> library.computeIfAbsent(name, k -> new ArrayList<>()).addAll(defs));
            return library;
        }

        /**
         * {@code library().get(name)}, without parsing the built-in files that cannot define
         * {@code name} (resolving {@code EMPTY} used to parse all of them). Every pipeline-path file
         * is still loaded, and every built-in file that may define it, so a duplicate is found as
         * before. Null when nothing defines it.
         */
        private List<Definition> libraryEntry(String name) {
            if (library != null) return library.get(name);
            List<Definition> defs = new ArrayList<>();
            for (LoadedFile f : pipelinePathFiles()) {
                for (Definition d : f.definitions) if (d.name.equals(name)) defs.add(d);
            }
            for (PipelineResource r : registry.pipelineFiles().values()) {
                if (!BuiltinNames.mayDefine(builtinText(r), name)) continue;
                LoadedFile f = loadBuiltin(r, new ArrayDeque<>());
                if (f != null) for (Definition d : f.definitions) if (d.name.equals(name)) defs.add(d);
            }
            return defs.isEmpty() ? null : defs;
        }

        /** The pipeline-path files, each loaded (once per session), by folder then file name. */
        private List<LoadedFile> pipelinePathFiles() {
            List<LoadedFile> out = new ArrayList<>();
            for (Path dir : pipelinePath) {
                List<Path> found;
                try (Stream<Path> list = Files.list(dir)) {
                    found = list.filter(p -> p.getFileName().toString().endsWith(".pipeline")).sorted().toList();
                } catch (IOException e) {
                    continue;
                }
                for (Path p : found) {
                    LoadedFile f = load(p.normalize(), new ArrayDeque<>(), null);
                    if (f != null) out.add(f);
                }
            }
            return out;
        }

        private Optional<Definition> lookup(String name, Map<String, Definition> scope) {
            Definition local = scope.get(name);
            if (local != null) return Optional.of(local);
            List<Definition> defs = libraryEntry(name);
            if (defs == null) return Optional.empty();
            Definition first = defs.get(0);
            for (Definition other : defs.subList(1, defs.size())) {
                boolean sameTier = (first.file.dir == null) == (other.file.dir == null);
                if (sameTier && other.file != first.file) {
                    report(PipelineErrorCode.DUPLICATE_PIPELINE, other.span, other.file.source.line(other.span.line()),
                            "pipeline '" + name + "' is already defined at " + first.span);
                }
            }
            use(first.file);
            return Optional.of(first);
        }

        private Set<String> visibleNames(Map<String, Definition> scope) {
            Set<String> names = new TreeSet<>(scope.keySet());
            names.addAll(library().keySet());
            return names;
        }

        /** The steps of a definition, resolved once; null if it has errors. */
        private List<Step> resolve(Definition d) {
            if (resolved.containsKey(d)) return resolved.get(d);
            resolving.push(d);
            List<Step> steps = d.ctx.stepList() == null ? List.of() : steps(d.ctx.stepList(), d.file.source, scope(d.file));
            resolving.pop();
            resolved.put(d, steps);
            return steps;
        }

        // ---- steps ------------------------------------------------------------------------

        private List<Step> steps(StepListContext list, SourceText source, Map<String, Definition> scope) {
            List<Step> out = new ArrayList<>();
            for (StepContext step : list.step()) {
                if (!parses.get(source.name()).trusted(step)) continue;
                if (step instanceof FixpointStepContext f) {
                    Step s = fixpoint(f, source, scope);
                    if (s != null) out.add(s);
                } else {
                    out.addAll(named((NamedStepContext) step, source, scope));
                }
            }
            return out;
        }

        private Step fixpoint(FixpointStepContext f, SourceText source, Map<String, Definition> scope) {
            OptionsSchema<FixpointOptions> schema = OptionsSchema.of(FixpointOptions.DEFAULTS);
            Optional<Record> options = options(schema, FIXPOINT_OWNER, FixpointOptions.DEFAULTS, f.optionBlock(), source);
            List<Step> body = f.stepList() == null ? List.of() : steps(f.stepList(), source, scope);
            if (1 + nesting(body) > PipelineLimits.MAX_NESTING) {
                // Pipeline references inline their steps, so nesting adds up across definitions.
                SourceSpan at = span(source, f.getStart());
                report(PipelineErrorCode.TOO_DEEP, at, source.line(at.line()),
                        "'fixpoint' blocks nest deeper than the limit of " + PipelineLimits.MAX_NESTING
                                + " (counting the pipelines it refers to)");
                return null;
            }
            if (options.isEmpty()) return null;
            return new FixpointStep(((FixpointOptions) options.get()).maxIterations(), body,
                    span(source, f.getStart()), List.of());
        }

        private List<Step> named(NamedStepContext step, SourceText source, Map<String, Definition> scope) {
            String name = step.qualifiedName().getText();
            SourceSpan nameSpan = span(source, step.qualifiedName());
            boolean qualified = step.qualifiedName().IDENT().size() > 1;
            if (!qualified && PIPELINE_NAME.matcher(name).matches()) return reference(step, name, nameSpan, source, scope);
            boolean passLike = step.qualifiedName().IDENT().stream().allMatch(t -> PASS_NAME.matcher(t.getText()).matches());
            if (!passLike) {
                Set<String> candidates = new TreeSet<>(registry.passes().keySet());
                candidates.addAll(visibleNames(scope));
                report(PipelineErrorCode.BAD_NAME, nameSpan, source.line(nameSpan.line()),
                        "'" + name + "' is neither a pass name (lower_snake) nor a pipeline name (UPPER_SNAKE)"
                                + Suggestions.didYouMean(name, candidates));
                return List.of();
            }
            RegisteredPass pass = registry.find(name).orElse(null);
            if (pass == null) {
                report(PipelineErrorCode.UNKNOWN_PASS, nameSpan, source.line(nameSpan.line()),
                        "unknown pass '" + name + "'" + Suggestions.didYouMean(name, registry.passes().keySet()));
                return List.of();
            }
            PassStep s = passStep(step, pass, nameSpan, source);
            return s == null ? List.of() : List.of(s);
        }

        private List<Step> reference(NamedStepContext step, String name, SourceSpan nameSpan, SourceText source,
                                     Map<String, Definition> scope) {
            if (step.optionBlock() != null || !step.scopeClause().isEmpty() || step.whereClause() != null) {
                report(PipelineErrorCode.REFERENCE_WITH_OPTIONS, nameSpan, source.line(nameSpan.line()),
                        "pipeline '" + name + "' is a reference and takes no options, selectors or overrides");
                return List.of();
            }
            Optional<Definition> def = lookup(name, scope);
            if (def.isEmpty()) {
                report(PipelineErrorCode.UNKNOWN_PIPELINE, nameSpan, source.line(nameSpan.line()),
                        "unknown pipeline '" + name + "'" + Suggestions.didYouMean(name, visibleNames(scope)));
                return List.of();
            }
            Definition d = def.get();
            if (resolving.size() >= PipelineLimits.MAX_REFERENCE_DEPTH && !resolved.containsKey(d)) {
                report(PipelineErrorCode.TOO_DEEP, nameSpan, source.line(nameSpan.line()),
                        "pipelines refer to pipelines deeper than the limit of " + PipelineLimits.MAX_REFERENCE_DEPTH);
                return List.of();
            }
            if (resolving.contains(d)) {
                List<Definition> chain = new ArrayList<>(resolving);
                java.util.Collections.reverse(chain);
                List<String> names = chain.subList(chain.indexOf(d), chain.size()).stream().map(Definition::name)
                        .collect(Collectors.toCollection(ArrayList::new));
                names.add(name);
                report(PipelineErrorCode.RECURSIVE_PIPELINE, nameSpan, source.line(nameSpan.line()),
                        "pipeline '" + name + "' refers to itself: " + String.join(" -> ", names));
                return List.of();
            }
            List<Step> body = resolve(d);
            PipelineUse use = new PipelineUse(name, nameSpan);
            List<Step> out = new ArrayList<>();
            for (Step s : body) out.add(prependVia(s, use));
            return out;
        }

        private PassStep passStep(NamedStepContext step, RegisteredPass pass, SourceSpan nameSpan, SourceText source) {
            String owner = "pass '" + pass.name() + "'";
            OptionsSchema<?> schema = pass.schema();
            Optional<Record> base = options(schema, owner, schema.defaults(), step.optionBlock(), source);
            List<Selector> on = new ArrayList<>();
            List<Selector> except = new ArrayList<>();
            for (ScopeClauseContext clause : step.scopeClause()) {
                List<Selector> target = clause.ON() != null ? on : except;
                for (SelectorContext sel : clause.selector()) target.add(selector(sel));
            }
            List<NodeOverride> overrides = new ArrayList<>();
            boolean overridesOk = true;
            if (step.whereClause() != null) {
                for (OverrideContext arm : step.whereClause().override()) {
                    Selector selector = selector(arm.selector());
                    SourceSpan armSpan = span(source, arm.selector());
                    if (arm.SKIP_() != null) {
                        overrides.add(new NodeOverride(selector, Optional.empty(), armSpan));
                        continue;
                    }
                    // Without valid step options there is nothing to merge into; still check the keys.
                    Optional<Record> merged = options(schema, owner, base.orElse(schema.defaults()), arm.optionBlock(), source);
                    if (merged.isEmpty()) overridesOk = false;
                    else overrides.add(new NodeOverride(selector, merged, armSpan));
                }
            }
            if (base.isEmpty() || !overridesOk) return null;
            return new PassStep(-1, pass.name(), base.get(), new StepScope(on, except), overrides, nameSpan, List.of());
        }

        private Selector selector(SelectorContext sel) {
            List<String> patterns = new ArrayList<>();
            for (PatternContext p : sel.pattern()) {
                patterns.add(p.STRING() != null ? OptionsCodec.unquote(p.STRING().getText()) : p.getText());
            }
            return new Selector(sel.OP_TYPE() != null ? Selector.Kind.OP_TYPE : Selector.Kind.OP_NAME, patterns);
        }

        /**
         * The record for {@code block}'s values over {@code base}; empty (with errors reported)
         * if a key or value is wrong or the record rejects the combination.
         */
        private Optional<Record> options(OptionsSchema<?> schema, String owner, Record base, OptionBlockContext block,
                                         SourceText source) {
            if (block == null) return Optional.of(base);
            Map<String, Object> values = new LinkedHashMap<>();
            Map<String, SourceSpan> valueSpans = new LinkedHashMap<>();
            boolean ok = true;
            for (OptionContext option : block.option()) {
                String key = option.word().getText();
                SourceSpan keySpan = span(source, option.word());
                Optional<OptionSpec> spec = schema.option(key);
                if (spec.isEmpty()) {
                    String hint = Suggestions.didYouMean(key, schema.keys());
                    if (hint.isEmpty()) {
                        hint = schema.keys().isEmpty() ? "; " + owner + " takes no options"
                                : "; valid options: " + String.join(", ", new TreeSet<>(schema.keys()));
                    }
                    report(PipelineErrorCode.UNKNOWN_OPTION, keySpan, source.line(keySpan.line()),
                            "unknown option '" + key + "' for " + owner + hint);
                    ok = false;
                    continue;
                }
                if (values.containsKey(key)) {
                    report(PipelineErrorCode.DUPLICATE_OPTION, keySpan, source.line(keySpan.line()),
                            "option '" + key + "' is given twice for " + owner);
                    ok = false;
                    continue;
                }
                try {
                    Literal literal = literal(option.value(), source);
                    valueSpans.put(key, literal.span());
                    values.put(key, OptionsCodec.decode(spec.get(), owner, literal));
                } catch (OptionsCodec.ValueException e) {
                    report(e.code(), e.span(), source.line(e.span().line()), e.getMessage());
                    values.put(key, null);
                    ok = false;
                }
            }
            if (!ok) return Optional.empty();
            try {
                return Optional.of(schema.with(base, values));
            } catch (OptionsSchema.InvalidOptionsException e) {
                SourceSpan blockSpan = span(source, block);
                if (e.key().isPresent()) {
                    // one option's value is not allowed: the same code and place as a value outside its @Option range
                    SourceSpan at = valueSpans.getOrDefault(e.key().get(), blockSpan);
                    report(PipelineErrorCode.OUT_OF_RANGE, at, source.line(at.line()),
                            "option '" + e.key().get() + "' of " + owner + " " + e.requirement());
                    return Optional.empty();
                }
                report(PipelineErrorCode.INVALID_OPTIONS, blockSpan, source.line(blockSpan.line()),
                        "invalid options for " + owner + ": " + e.getMessage());
                return Optional.empty();
            }
        }

        private Literal literal(ValueContext value, SourceText source) {
            if (value instanceof ScalarValueContext s) return scalar(s.scalar(), source);
            ListValueContext list = (ListValueContext) value;
            List<Scalar> items = new ArrayList<>();
            for (ScalarContext s : list.scalar()) items.add(scalar(s, source));
            return new ListLiteral(items, list.getText(), span(source, list));
        }

        private Scalar scalar(ScalarContext s, SourceText source) {
            String text = s.getText();
            SourceSpan span = span(source, s);
            if (s.STRING() != null) return new Scalar(ScalarKind.STRING, text, OptionsCodec.unquote(text), span);
            ScalarKind kind = s.INT() != null ? ScalarKind.INTEGER : s.FLOAT() != null ? ScalarKind.DECIMAL : ScalarKind.WORD;
            return new Scalar(kind, text, text, span);
        }

        // ---- results and errors -----------------------------------------------------------

        private PipelineSpec finish(String name, List<Step> steps) throws PipelineException {
            if (!errors.isEmpty()) {
                List<PipelineError> sorted = new ArrayList<>(errors);
                sorted.sort(Comparator.comparingInt((PipelineError e) -> fileRank.getOrDefault(e.span().file(), Integer.MAX_VALUE))
                        .thenComparingInt(e -> e.span().line())
                        .thenComparingInt(e -> e.span().column()));
                throw new PipelineException(sorted);
            }
            int[] next = {0};
            return new PipelineSpec(name, number(steps, next));
        }

        private List<Step> number(List<Step> steps, int[] next) {
            List<Step> out = new ArrayList<>();
            for (Step s : steps) {
                if (s instanceof PassStep p) out.add(p.withIndex(next[0]++));
                else out.add(((FixpointStep) s).withBody(number(((FixpointStep) s).body(), next)));
            }
            return out;
        }

        private void rank(String fileName) { fileRank.putIfAbsent(fileName, fileRank.size()); }

        private void report(PipelineError e) {
            if (errorKeys.add(e.code() + "|" + e.span() + "|" + e.message())) errors.add(e);
        }

        private void report(PipelineErrorCode code, SourceSpan span, String sourceLine, String message) {
            report(new PipelineError(code, span, message, sourceLine));
        }
    }

    /** How deeply {@code fixpoint} blocks nest in {@code steps}; bodies are checked when built, so this stays shallow. */
    private static int nesting(List<Step> steps) {
        int deepest = 0;
        for (Step s : steps) if (s instanceof FixpointStep f) deepest = Math.max(deepest, 1 + nesting(f.body()));
        return deepest;
    }

    private static Step prependVia(Step s, PipelineUse use) {
        List<PipelineUse> via = new ArrayList<>();
        via.add(use);
        via.addAll(s.via());
        if (s instanceof PassStep p) return p.withVia(via);
        FixpointStep f = (FixpointStep) s;
        List<Step> body = new ArrayList<>();
        for (Step b : f.body()) body.add(prependVia(b, use));
        return f.withBody(body).withVia(via);
    }

    private static PipelineError error(PipelineErrorCode code, SourceSpan span, SourceText source, String message) {
        return new PipelineError(code, span, message, source.line(span.line()));
    }

    private static SourceSpan span(SourceText source, Token t) {
        return new SourceSpan(source.name(), t.getLine(), t.getCharPositionInLine() + 1, Math.max(1, t.getText().length()));
    }

    private static SourceSpan span(SourceText source, ParserRuleContext ctx) {
        Token start = ctx.getStart();
        Token stop = ctx.getStop() == null ? start : ctx.getStop();
        int length = Math.max(1, stop.getStopIndex() - start.getStartIndex() + 1);
        return new SourceSpan(source.name(), start.getLine(), start.getCharPositionInLine() + 1, length);
    }
}
