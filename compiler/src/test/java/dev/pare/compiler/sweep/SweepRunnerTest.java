package dev.pare.compiler.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.io.ModelFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner on the MNIST model with a stand-in compiler that writes the model back unchanged
 * (or fails on request): resuming, failures, folders, workers.
 */
class SweepRunnerTest {

    static final Path DIR = Path.of("src/test/resources/models/mnist_dwnet");
    static final Path MODEL = DIR.resolve("model.onnx");
    static final ModelFormats FORMATS = ModelFormats.discover();
    static final Path COREML = Path.of("src/test/resources/models/coreml/mnist_dwnet_fp32_ios18.mlpackage");

    @TempDir Path tmp;
    final AtomicInteger compiles = new AtomicInteger();
    final List<String> progress = Collections.synchronizedList(new ArrayList<>());

    /** Writes the model back unchanged; a pipeline saying "fail" fails. */
    SweepRunner runner() {
        return new SweepRunner(FORMATS, (point, out) -> {
            compiles.incrementAndGet();
            if (point.pipeline().contains("fail")) throw new IllegalStateException("pass failed at node 'conv': asked to fail");
            if (point.format().equals("mlpackage")) {
                copyTree(COREML, out); // the same model as Core ML Tools converted it
                return;
            }
            new Compilation(FORMATS).run(new CompileRequest(MODEL, out, true));
        }, progress::add);
    }

    SweepSettings settings(Path report, int jobs, boolean force) {
        return new SweepSettings(MODEL, report, "model", "test", DIR.resolve("test_x.f32"), "-1,1,28,28",
                DIR.resolve("test_y.u8"), 40, 0, jobs, 1, force);
    }

    static final List<SweepPoint> POINTS = List.of(new SweepPoint("A", "EMPTY", "onnx"), new SweepPoint("B", "DEFAULT", "onnx"),
            new SweepPoint("SAME_AS_A", "EMPTY", "onnx"));

    @Test
    void measuresEachPointAndASecondRunSkipsThemWithTheSameResults() throws Exception {
        Path report = tmp.resolve("report");
        SweepReport first = runner().run(settings(report, 2, false), POINTS);
        assertEquals(2, compiles.get()); // SAME_AS_A shares A's pipeline, so its key and result
        double reference = new ModelComparison(FORMATS).run(new CompareRequest(MODEL, MODEL, DIR.resolve("test_x.f32"), "-1,1,28,28",
                DIR.resolve("test_y.u8"), 0, 40, Map.of(), 1)).outputs().get(0).classification().accuracyA();
        assertEquals(List.of("A", "B", "SAME_AS_A"), first.points().stream().map(PointResult::name).toList());
        for (PointResult p : first.points()) {
            assertTrue(p.ok(), p.error());
            assertEquals(reference, p.accuracy());
            assertEquals(reference, p.referenceAccuracy());
            assertEquals(Double.POSITIVE_INFINITY, p.snrDb());
            assertEquals(1.0, p.cosine());
            assertEquals(40, p.samples());
            assertEquals(Files.size(MODEL), p.bytes()); // written back unchanged: same bytes
            assertEquals("points/" + p.id() + "/model.onnx", p.output());
            assertTrue(Files.isRegularFile(report.resolve(p.output())));
        }
        assertEquals(first.points().get(0).id(), first.points().get(2).id());
        assertEquals(Quality.ACCURACY, first.quality());
        assertEquals(first.points().stream().map(PointResult::id).collect(java.util.stream.Collectors.toSet()), first.pareto());
        String json = Files.readString(report.resolve("results.json"));
        String csv = Files.readString(report.resolve("results.csv"));
        String html = Files.readString(report.resolve("index.html"));
        assertTrue(Files.isRegularFile(report.resolve(SweepRunner.MARKER)));

        progress.clear();
        SweepReport second = runner().run(settings(report, 1, false), POINTS);
        assertEquals(2, compiles.get(), "nothing compiled again");
        assertEquals(List.of("[1/2] A: finished earlier, skipped", "[2/2] B: finished earlier, skipped"), progress);
        assertEquals(first, second);
        assertEquals(json, Files.readString(report.resolve("results.json")));
        assertEquals(csv, Files.readString(report.resolve("results.csv")));
        assertEquals(html, Files.readString(report.resolve("index.html")));

        runner().run(settings(report, 1, true), POINTS);
        assertEquals(4, compiles.get(), "--force runs every point again");
    }

    @Test
    void aFailedPointIsReportedLeavesNothingBehindAndRunsAgainNextTime() throws Exception {
        Path report = tmp.resolve("report");
        List<SweepPoint> points = List.of(new SweepPoint("GOOD", "EMPTY", "onnx"), new SweepPoint("BAD", "fail", "onnx"));
        SweepReport r = runner().run(settings(report, 1, false), points);
        PointResult bad = r.points().get(1);
        assertFalse(bad.ok());
        assertEquals("pass failed at node 'conv': asked to fail", bad.error());
        assertNull(bad.output());
        assertEquals(1, r.failed());
        assertFalse(Files.exists(report.resolve("points").resolve(bad.id())));
        assertEquals(Map.of("[1/2]", "GOOD", "[2/2]", "BAD: failed: pass failed at node 'conv': asked to fail"),
                Map.of(progress.get(0).substring(0, 5), progress.get(0).substring(6, 10), progress.get(1).substring(0, 5),
                        progress.get(1).substring(6)));
        assertTrue(Files.readString(report.resolve("index.html")).contains("failed: pass failed at node &#39;conv&#39;: asked to fail"));
        assertEquals(List.of(r.points().get(0).id()), List.copyOf(r.pareto()));

        compiles.set(0);
        runner().run(settings(report, 1, false), points);
        assertEquals(1, compiles.get(), "only the failed point runs again");
    }

    @Test
    void changedSettingsGiveNewKeys() throws Exception {
        Path report = tmp.resolve("report");
        runner().run(settings(report, 1, false), List.of(new SweepPoint("A", "EMPTY", "onnx")));
        SweepSettings other = new SweepSettings(MODEL, report, "model", "test", DIR.resolve("test_x.f32"), "-1,1,28,28",
                DIR.resolve("test_y.u8"), 20, 0, 1, 1, false);
        SweepReport r = runner().run(other, List.of(new SweepPoint("A", "EMPTY", "onnx")));
        assertEquals(2, compiles.get(), "another key setting is another point");
        assertEquals(20, r.points().get(0).samples());
    }

    @Test
    void aFolderThatIsNotASweepReportIsRefused() throws Exception {
        Path used = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(used.resolve("notes.txt"), "mine");
        assertEquals("-o " + used + ": the folder holds files but no earlier sweep (no .pare-sweep); give a new or empty folder",
                assertThrows(SweepException.class, () -> runner().run(settings(used, 1, false), POINTS)).getMessage());
        assertEquals(List.of("notes.txt"), listing(used));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertEquals("-o " + file + ": exists and is not a folder",
                assertThrows(SweepException.class, () -> runner().run(settings(file, 1, false), POINTS)).getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        runner().run(settings(empty, 1, false), List.of(new SweepPoint("A", "EMPTY", "onnx")));
        assertEquals(List.of(".pare-sweep", "index.html", "points", "results.csv", "results.json"), listing(empty));
        assertEquals(0, progress.stream().filter(l -> l.contains("failed")).count());
    }

    @Test
    void withoutLabelsPointsAreRankedBySnr() throws Exception {
        SweepSettings s = new SweepSettings(MODEL, tmp.resolve("r"), "model", "test", null, null, null, 2, 7, 1, 1, false);
        SweepReport r = runner().run(s, List.of(new SweepPoint("A", "EMPTY", "onnx")));
        assertEquals(Quality.SNR, r.quality());
        assertEquals("generated inputs (seed 7)", r.inputs());
        assertNull(r.points().get(0).accuracy());
        assertEquals(Double.POSITIVE_INFINITY, r.points().get(0).quality(Quality.SNR));
    }

    @Test
    void aPipelineInTwoFormatsIsTwoPointsEachEvaluatedByItsRuntime() throws Exception {
        Path report = tmp.resolve("report");
        SweepReport r = runner().run(settings(report, 1, false),
                List.of(new SweepPoint("A [onnx]", "EMPTY", "onnx"), new SweepPoint("A [mlpackage]", "EMPTY", "mlpackage")));
        assertEquals(2, compiles.get());
        PointResult onnx = r.points().get(0);
        PointResult ml = r.points().get(1);
        assertTrue(onnx.ok(), onnx.error());
        assertTrue(ml.ok(), ml.error());
        assertFalse(onnx.id().equals(ml.id()), "the format is part of the key");
        assertEquals(List.of("onnx", "mlpackage"), List.of(onnx.format(), ml.format()));
        assertEquals("points/" + ml.id() + "/model.mlpackage", ml.output());
        assertTrue(Files.isRegularFile(report.resolve(ml.output()).resolve("Manifest.json")));
        assertEquals(treeSize(COREML), ml.bytes(), "every file of the package counted");
        // run in the MIL interpreter against the ONNX original: float32 both, so the same classes
        assertEquals(onnx.referenceAccuracy(), ml.accuracy());
        assertEquals(1.0, ml.top1Agreement());
        assertTrue(ml.snrDb() > 60, "SNR " + ml.snrDb());
        String stored = Files.readString(report.resolve("points").resolve(ml.id()).resolve(SweepRunner.RESULT));
        assertTrue(stored.contains("format=mlpackage\n"), stored);
        // a re-run finds both again
        SweepReport again = runner().run(settings(report, 1, false),
                List.of(new SweepPoint("A [onnx]", "EMPTY", "onnx"), new SweepPoint("A [mlpackage]", "EMPTY", "mlpackage")));
        assertEquals(2, compiles.get(), "nothing compiled again");
        assertEquals(r, again);
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    private static long treeSize(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            long total = 0;
            for (Path p : walk.filter(Files::isRegularFile).toList()) total += Files.size(p);
            return total;
        }
    }

    private static List<String> listing(Path dir) throws Exception {
        try (var l = Files.list(dir)) {
            return l.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
