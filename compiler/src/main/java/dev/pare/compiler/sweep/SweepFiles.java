package dev.pare.compiler.sweep;

import dev.pare.compiler.inspect.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report folder's summary files: {@code results.json}, {@code results.csv} and
 * {@code index.html}. Each is written to a temporary file and moved into place, so a reader (or
 * an interrupted run) never sees half a file.
 */
public final class SweepFiles {

    public static final int SCHEMA_VERSION = 1;
    static final String[] CSV_COLUMNS = {"name", "id", "format", "bytes", "accuracy", "snr_db", "cosine", "top1_agreement", "pareto",
        "samples", "compile_seconds", "eval_seconds", "output", "error", "pipeline"};

    private SweepFiles() {}

    public static void write(Path dir, SweepReport report) throws IOException {
        replace(dir.resolve("results.json"), json(report));
        replace(dir.resolve("results.csv"), csv(report));
        replace(dir.resolve("index.html"), SweepHtml.render(report));
    }

    /** Sorted keys; every key present (null when it does not apply); SNR {@code "inf"} for an identical output. */
    public static String json(SweepReport r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema_version", SCHEMA_VERSION);
        root.put("model", r.model());
        root.put("model_bytes", r.modelBytes());
        root.put("quality", r.quality().key());
        root.put("samples", r.samples());
        root.put("inputs", r.inputs());
        root.put("labels", r.labels());
        root.put("reference_accuracy", r.referenceAccuracy());
        root.put("pareto_front", r.front().stream().map(PointResult::name).toList());
        List<Object> points = new ArrayList<>();
        for (PointResult p : r.points()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("id", p.id());
            m.put("pipeline", p.pipeline());
            m.put("format", p.format());
            m.put("output", p.output());
            m.put("bytes", p.ok() ? p.bytes() : null);
            m.put("samples", p.ok() ? p.samples() : null);
            m.put("accuracy", p.accuracy());
            m.put("snr_db", p.ok() ? jsonSnr(p.snrDb()) : null);
            m.put("cosine", p.ok() ? p.cosine() : null);
            m.put("top1_agreement", p.top1Agreement());
            m.put("pareto", r.pareto().contains(p.id()));
            m.put("compile_seconds", p.ok() ? p.compileSeconds() : null);
            m.put("eval_seconds", p.ok() ? p.evalSeconds() : null);
            m.put("error", p.error());
            points.add(m);
        }
        root.put("points", points);
        return Json.write(root);
    }

    private static Object jsonSnr(double snr) {
        if (Double.isInfinite(snr)) return snr > 0 ? "inf" : "-inf";
        return snr;
    }

    /** RFC 4180: a header, one row per point, fields with commas, quotes or line breaks quoted. */
    public static String csv(SweepReport r) {
        StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
        for (PointResult p : r.points()) {
            String[] row = {p.name(), p.id(), p.format(), p.ok() ? Long.toString(p.bytes()) : "", number(p.accuracy()),
                p.ok() ? number(p.snrDb()) : "", p.ok() ? number(p.cosine()) : "", number(p.top1Agreement()),
                Boolean.toString(r.pareto().contains(p.id())), p.ok() ? Integer.toString(p.samples()) : "",
                p.ok() ? seconds(p.compileSeconds()) : "", p.ok() ? seconds(p.evalSeconds()) : "",
                p.output() == null ? "" : p.output(), p.error() == null ? "" : p.error(), p.pipeline()};
            for (int i = 0; i < row.length; i++) {
                if (i > 0) sb.append(',');
                sb.append(csvField(row[i]));
            }
            sb.append("\r\n");
        }
        return sb.toString();
    }

    /** Six decimals, as in the JSON; {@code inf} for an identical output. */
    static String number(Double v) {
        if (v == null || v.isNaN()) return "";
        if (v.isInfinite()) return v > 0 ? "inf" : "-inf";
        return java.math.BigDecimal.valueOf(v).setScale(6, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }

    private static String seconds(double s) { return String.format(Locale.ROOT, "%.3f", s); }

    private static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static void replace(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
