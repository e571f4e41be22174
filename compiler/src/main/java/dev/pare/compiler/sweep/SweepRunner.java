package dev.pare.compiler.sweep;

import dev.pare.compiler.compare.CompareException;
import dev.pare.compiler.compare.CompareReport;
import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.compare.OutputComparison;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs a sweep: compiles each point into {@code points/ID/} of the report folder, measures its
 * size on disk, evaluates it against the input model ({@code pare compare}'s
 * {@link ModelComparison}: ONNX Runtime for ONNX, the MIL interpreter for Core ML), stores the
 * result as {@code points/ID/result.properties}, and writes the summary files
 * ({@link SweepFiles}). A point whose result is stored under the same key is skipped, so an
 * interrupted sweep resumes where it stopped. Points run on {@code jobs} workers; results keep
 * the order of the points. A point that fails is reported (and run again next time); the others go on.
 */
public final class SweepRunner {

    /** Marks a folder as a sweep report, so a re-run may resume in it. */
    public static final String MARKER = ".pare-sweep";
    static final String RESULT = "result.properties";

    /** Compiles one point to {@code output}; an exception's message is the point's one-line error. */
    @FunctionalInterface
    public interface PointCompiler {
        void compile(SweepPoint point, Path output) throws Exception;
    }

    private final ModelFormats formats;
    private final PointCompiler compiler;
    private final Consumer<String> progress;

    /** {@code progress} receives one line per finished point (called from the workers, one at a time). */
    public SweepRunner(ModelFormats formats, PointCompiler compiler, Consumer<String> progress) {
        this.formats = formats;
        this.compiler = compiler;
        this.progress = progress;
    }

    public SweepReport run(SweepSettings s, List<SweepPoint> points) throws SweepException {
        if (points.isEmpty()) throw new SweepException("no points to run: give --pipelines or --grid");
        prepareFolder(s.reportDir());
        String digest;
        try {
            digest = PointKey.modelDigest(s.model());
        } catch (IOException e) {
            throw new SweepException(SweepException.Kind.BAD_INPUT, s.model() + ": cannot read: " + e.getMessage(), e);
        }
        List<String> ids = new ArrayList<>();
        Map<String, SweepPoint> distinct = new LinkedHashMap<>(); // two names for one pipeline run once
        for (SweepPoint p : points) {
            String id = PointKey.of(digest, s.key() + "\nformat " + p.format(), p.pipeline());
            ids.add(id);
            distinct.putIfAbsent(id, p);
        }
        Map<String, PointResult> byId = runAll(s, distinct);
        List<PointResult> results = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) results.add(byId.get(ids.get(i)).named(points.get(i).name()));
        Quality quality = s.quality();
        PointResult firstOk = results.stream().filter(PointResult::ok).findFirst().orElse(null);
        long modelBytes;
        try {
            modelBytes = size(s.model());
        } catch (IOException e) {
            throw new SweepException(SweepException.Kind.BAD_INPUT, s.model() + ": cannot read its size: " + e.getMessage(), e);
        }
        int samples = firstOk != null ? firstOk.samples() : s.samples() != null ? s.samples() : 0;
        String inputs = s.data() != null ? s.data().toString() : "generated inputs (seed " + s.seed() + ")";
        SweepReport report = new SweepReport(s.model().toString(), modelBytes, quality, samples, inputs,
                s.labels() == null ? null : s.labels().toString(), firstOk == null ? null : firstOk.referenceAccuracy(),
                results, ParetoFront.of(results, quality));
        try {
            SweepFiles.write(s.reportDir(), report);
        } catch (IOException e) {
            throw new SweepException(SweepException.Kind.OUTPUT_FAILED, s.reportDir() + ": cannot write the report: " + e.getMessage(), e);
        }
        return report;
    }

    private Map<String, PointResult> runAll(SweepSettings s, Map<String, SweepPoint> distinct) throws SweepException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(s.jobs(), distinct.size()), r -> {
            Thread t = new Thread(r, "pare-sweep");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger done = new AtomicInteger();
        int total = distinct.size();
        Map<String, Future<PointResult>> futures = new LinkedHashMap<>();
        try {
            distinct.forEach((id, p) -> futures.put(id, pool.submit(() -> runPoint(s, id, p, done, total))));
            Map<String, PointResult> out = new LinkedHashMap<>();
            for (Map.Entry<String, Future<PointResult>> f : futures.entrySet()) out.put(f.getKey(), f.getValue().get());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SweepException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error err) throw err;
            if (cause instanceof SweepException se) throw se;
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
        }
    }

    private PointResult runPoint(SweepSettings s, String id, SweepPoint p, AtomicInteger done, int total) throws SweepException {
        Path dir = s.reportDir().resolve("points").resolve(id);
        Path stored = dir.resolve(RESULT);
        if (!s.force() && Files.isRegularFile(stored)) {
            PointResult r = read(stored, p.name());
            if (r != null && id.equals(r.id()) && p.pipeline().equals(r.pipeline()) && p.format().equals(r.format())) {
                report(done, total, p.name() + ": finished earlier, skipped");
                return r;
            }
        }
        String output = "points/" + id + "/" + p.outputName(s.outputStem());
        try {
            deleteTree(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SweepException(SweepException.Kind.OUTPUT_FAILED, dir + ": cannot prepare the point's folder: " + e.getMessage(), e);
        }
        Path out = dir.resolve(p.outputName(s.outputStem()));
        long t0 = System.nanoTime();
        PointResult r;
        try {
            compiler.compile(p, out);
            double compileSeconds = (System.nanoTime() - t0) / 1e9;
            long bytes = size(dir);
            long t1 = System.nanoTime();
            CompareReport cmp = new ModelComparison(formats).run(new CompareRequest(s.model(), out, s.data(), s.dataSpec(),
                    s.labels(), s.seed(), s.samples(), Map.of(), s.evalThreads()));
            r = measures(id, p, output, bytes, cmp, s.labels() != null, compileSeconds, (System.nanoTime() - t1) / 1e9);
            SweepFiles.replace(stored, r.toProperties());
        } catch (Exception e) {
            r = PointResult.failed(id, p, oneLine(e));
            try {
                deleteTree(dir);
            } catch (IOException ignored) {
                // the point runs again next time; a leftover file does not change that
            }
        }
        report(done, total, p.name() + ": " + (r.ok() ? describe(r, s.quality()) : "failed: " + r.error()));
        return r;
    }

    /** The point's measures from the comparison with the input model. */
    static PointResult measures(String id, SweepPoint p, String output, long bytes, CompareReport cmp, boolean labels,
            double compileSeconds, double evalSeconds) throws CompareException {
        double snr = Double.POSITIVE_INFINITY;
        double cosine = 1;
        Double accuracy = null;
        Double reference = null;
        Double top1 = null;
        for (OutputComparison o : cmp.outputs()) {
            snr = Math.min(snr, o.snrDb());
            cosine = Math.min(cosine, o.cosine());
            OutputComparison.Classification c = o.classification();
            if (c != null && top1 == null) top1 = c.top1Agreement();
            if (c != null && c.accuracyB() != null && accuracy == null) {
                accuracy = c.accuracyB();
                reference = c.accuracyA();
            }
        }
        if (cmp.outputs().isEmpty()) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, "no output of the compiled model pairs with an output of the input model");
        }
        if (labels && accuracy == null) {
            throw new CompareException(CompareException.Kind.BAD_INPUT, "--labels: no output holds one row of class scores "
                    + "per sample, so there is no accuracy to rank by (leave out --labels to rank by SNR)");
        }
        return new PointResult(id, p.name(), p.pipeline(), p.format(), output, bytes, cmp.samples(), accuracy, reference, snr, cosine, top1,
                compileSeconds, evalSeconds, null);
    }

    private static String describe(PointResult r, Quality q) {
        String quality = q == Quality.ACCURACY ? String.format(Locale.ROOT, "accuracy %.4f", r.accuracy())
                : Double.isInfinite(r.snrDb()) ? "SNR inf" : String.format(Locale.ROOT, "SNR %.2f dB", r.snrDb());
        return String.format(Locale.ROOT, "%s, %s (compile %.1f s, evaluate %.1f s)", ReportText.size(r.bytes()), quality,
                r.compileSeconds(), r.evalSeconds());
    }

    private synchronized void report(AtomicInteger done, int total, String line) {
        progress.accept("[" + done.incrementAndGet() + "/" + total + "] " + line);
    }

    /** A new or empty folder becomes a report folder; one from an earlier sweep is resumed; anything else is refused. */
    static void prepareFolder(Path dir) throws SweepException {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) throw new SweepException("-o " + dir + ": exists and is not a folder");
            if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER))) {
                boolean empty;
                try (Stream<Path> list = Files.list(dir)) {
                    empty = list.findAny().isEmpty();
                }
                if (!empty) {
                    throw new SweepException("-o " + dir + ": the folder holds files but no earlier sweep (no " + MARKER
                            + "); give a new or empty folder");
                }
            }
            Files.createDirectories(dir.resolve("points"));
            Path marker = dir.resolve(MARKER);
            if (!Files.exists(marker)) {
                Files.writeString(marker, "A pare sweep report: pare sweep resumes here, skipping points already run.\n",
                        StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new SweepException(SweepException.Kind.OUTPUT_FAILED, "-o " + dir + ": cannot create the report folder: " + e.getMessage(), e);
        }
    }

    private static PointResult read(Path stored, String name) {
        try {
            return PointResult.fromProperties(Files.readString(stored, StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            return null;
        }
    }

    /** Bytes of a file, or of every file under a folder. */
    static long size(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        try (Stream<Path> walk = Files.walk(p)) {
            long total = 0;
            for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) total += Files.size(f);
            return total;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
