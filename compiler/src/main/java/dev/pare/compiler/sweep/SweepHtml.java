package dev.pare.compiler.sweep;

import dev.pare.compiler.inspect.ReportText;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code index.html} of a sweep: one self-contained page (inline CSS, SVG and script; nothing
 * fetched) with a scatter of size against quality, the Pareto front ringed and joined by a line,
 * and a table whose column headers sort it (click again to reverse). The page is complete without
 * the script: points and rows are written here, the script only sorts.
 *
 * <p>Hooks for tests and styling: each point is a {@code circle.point} (also {@code .pareto} on
 * the front, {@code .fmt-FORMAT} by output format) with {@code data-id} and {@code data-format}; each row is a {@code tr} with {@code data-id} (class
 * {@code pareto} on the front); sortable headers are {@code th[data-sort]}, with
 * {@code aria-sort} on the sorted one; numeric cells carry their exact value in {@code data-value}.
 * The page is also well-formed XML (tests parse it so), hence the script avoids {@code <} and {@code &}.
 */
public final class SweepHtml {

    static final int WIDTH = 760;
    static final int HEIGHT = 420;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;

    private SweepHtml() {}

    public static String render(SweepReport r) {
        StringBuilder sb = new StringBuilder(16_384);
        String title = "pare sweep: " + fileName(r.model());
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n")
                .append("<h1>").append(esc(title)).append("</h1>\n");
        summary(sb, r);
        scatter(sb, r);
        table(sb, r);
        sb.append("<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static void summary(StringBuilder sb, SweepReport r) {
        long ok = r.points().size() - r.failed();
        sb.append("<p class=\"summary\">").append(r.points().size()).append(r.points().size() == 1 ? " point" : " points");
        if (r.failed() > 0) sb.append(" (").append(r.failed()).append(" failed)");
        sb.append(" of <code>").append(esc(r.model())).append("</code> (").append(esc(ReportText.size(r.modelBytes())))
                .append("), each evaluated on ").append(r.samples()).append(" samples of ").append(esc(r.inputs()));
        if (r.labels() != null) sb.append(" with labels ").append(esc(r.labels()));
        sb.append(". Quality: ").append(r.quality() == Quality.ACCURACY ? "top-1 accuracy"
                : "the lowest SNR over the outputs against the original model");
        if (r.referenceAccuracy() != null) {
            sb.append(" (original: ").append(fixed(r.referenceAccuracy(), 4)).append(")");
        }
        java.util.Set<String> formats = new java.util.TreeSet<>();
        for (PointResult p : r.points()) formats.add(p.format());
        if (formats.size() > 1) {
            sb.append(". Formats: ").append(esc(String.join(", ", formats))).append(" (mlpackage points are green, evaluated in the MIL interpreter)");
        }
        sb.append(". Pareto front (no other point is both smaller and better): ");
        List<String> names = new ArrayList<>();
        for (PointResult p : r.front()) names.add("<b>" + esc(p.name()) + "</b>");
        sb.append(names.isEmpty() ? "none" : String.join(", ", names)).append(ok == 0 ? "" : " (ringed, ★ in the table)")
                .append(".</p>\n");
    }

    // ---- the scatter --------------------------------------------------------------------------

    private static void scatter(StringBuilder sb, SweepReport r) {
        List<PointResult> ok = r.points().stream().filter(p -> p.ok() && !Double.isNaN(p.quality(r.quality()))).toList();
        double xMin = r.modelBytes();
        double xMax = r.modelBytes();
        for (PointResult p : ok) {
            xMin = Math.min(xMin, Math.max(1, p.bytes()));
            xMax = Math.max(xMax, p.bytes());
        }
        SizeAxis x = SizeAxis.of(Math.max(1, xMin), Math.max(1, xMax));
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (PointResult p : ok) {
            double q = p.quality(r.quality());
            if (Double.isFinite(q)) {
                lo = Math.min(lo, q);
                hi = Math.max(hi, q);
            }
        }
        if (r.referenceAccuracy() != null) {
            lo = Math.min(lo, r.referenceAccuracy());
            hi = Math.max(hi, r.referenceAccuracy());
        }
        if (!Double.isFinite(lo)) {
            lo = 0;
            hi = 1;
        }
        double pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 0.01);
        Axis y = Axis.of(lo - pad, hi + pad);
        if (r.quality() == Quality.ACCURACY) y = Axis.of(Math.max(0, lo - pad), Math.min(1, hi + pad));
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        sb.append("<svg id=\"scatter\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" role=\"img\" aria-label=\"")
                .append(esc(r.quality().label() + " against size, one circle per point")).append("\">\n");
        sb.append("<rect class=\"plot\" x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(plotW)
                .append("\" height=\"").append(plotH).append("\"/>\n");
        for (double t : x.ticks()) {
            double px = LEFT + x.fraction(t) * plotW;
            sb.append("<line class=\"grid\" x1=\"").append(f(px)).append("\" y1=\"").append(TOP).append("\" x2=\"").append(f(px))
                    .append("\" y2=\"").append(TOP + plotH).append("\"/><text class=\"tick\" x=\"").append(f(px)).append("\" y=\"")
                    .append(TOP + plotH + 16).append("\" text-anchor=\"middle\">").append(esc(ReportText.size(Math.round(t)))).append("</text>\n");
        }
        for (double t : y.ticks()) {
            double py = TOP + (1 - y.fraction(t)) * plotH;
            sb.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" y1=\"").append(f(py)).append("\" x2=\"").append(LEFT + plotW)
                    .append("\" y2=\"").append(f(py)).append("\"/><text class=\"tick\" x=\"").append(LEFT - 6).append("\" y=\"")
                    .append(f(py + 4)).append("\" text-anchor=\"end\">").append(esc(y.label(t))).append("</text>\n");
        }
        sb.append("<text class=\"axis-title\" x=\"").append(LEFT + plotW / 2).append("\" y=\"").append(HEIGHT - 8)
                .append("\" text-anchor=\"middle\">size on disk (log scale)</text>\n");
        sb.append("<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"").append(-(TOP + plotH / 2)).append("\" y=\"16\" text-anchor=\"middle\">")
                .append(esc(r.quality().label())).append("</text>\n");
        // the original model: its size, and its accuracy when there are labels
        double ox = LEFT + x.fraction(r.modelBytes()) * plotW;
        sb.append("<line class=\"original\" x1=\"").append(f(ox)).append("\" y1=\"").append(TOP).append("\" x2=\"").append(f(ox))
                .append("\" y2=\"").append(TOP + plotH).append("\"/><text class=\"original-label\" x=\"").append(f(ox - 4))
                .append("\" y=\"").append(TOP + 12).append("\" text-anchor=\"end\">original</text>\n");
        if (r.referenceAccuracy() != null) {
            double oy = TOP + (1 - y.fraction(r.referenceAccuracy())) * plotH;
            sb.append("<line class=\"original\" x1=\"").append(LEFT).append("\" y1=\"").append(f(oy)).append("\" x2=\"").append(LEFT + plotW)
                    .append("\" y2=\"").append(f(oy)).append("\"/>\n");
        }
        List<double[]> frontXY = new ArrayList<>();
        StringBuilder circles = new StringBuilder();
        StringBuilder labels = new StringBuilder();
        List<double[]> placed = new ArrayList<>();
        for (PointResult p : ok) {
            double q = p.quality(r.quality());
            double px = LEFT + x.fraction(p.bytes()) * plotW;
            double py = Double.isInfinite(q) ? (q > 0 ? TOP : TOP + plotH) : TOP + (1 - y.fraction(q)) * plotH;
            boolean front = r.pareto().contains(p.id());
            if (front) frontXY.add(new double[] {px, py});
            circles.append("<circle class=\"point fmt-").append(esc(p.format())).append(front ? " pareto" : "").append("\" data-id=\"")
                    .append(esc(p.id())).append("\" data-format=\"").append(esc(p.format())).append("\" data-name=\"").append(esc(p.name())).append("\" cx=\"").append(f(px)).append("\" cy=\"").append(f(py))
                    .append("\" r=\"").append(front ? 6 : 4.5).append("\"><title>").append(esc(p.name() + " (" + p.format() + "): " + ReportText.size(p.bytes())
                    + ", " + r.quality().label() + " " + qualityText(p, r.quality()))).append("</title></circle>\n");
            if (front) {
                double[] at = placeLabel(placed, px + 8, py - 8, p.name().length());
                labels.append("<text class=\"point-label\" x=\"").append(f(at[0])).append("\" y=\"").append(f(at[1])).append("\">")
                        .append(esc(p.name())).append("</text>\n");
            }
        }
        frontXY.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(b[1], a[1]));
        if (frontXY.size() > 1) {
            sb.append("<polyline class=\"front\" points=\"");
            for (int i = 0; i < frontXY.size(); i++) {
                if (i > 0) sb.append(' ');
                sb.append(f(frontXY.get(i)[0])).append(',').append(f(frontXY.get(i)[1]));
            }
            sb.append("\"/>\n");
        }
        sb.append(circles).append(labels).append("</svg>\n");
    }

    /**
     * Where a point's label goes: at (x, y) unless that overlaps a label already placed, then
     * further down or up, a line at a time, so the names of close points stay readable.
     */
    static double[] placeLabel(List<double[]> placed, double x, double y, int chars) {
        double w = chars * 6.2;
        double h = 12;
        double[] shifts = {0, 14, -14, 28, -28, 42, -42, 56, -56, 70};
        for (double dy : shifts) {
            double ty = y + dy;
            boolean clash = false;
            for (double[] b : placed) {
                if (x < b[0] + b[2] && b[0] < x + w && ty - h < b[1] && b[1] - h < ty) {
                    clash = true;
                    break;
                }
            }
            if (!clash && ty - h >= 0 && ty <= HEIGHT - BOTTOM) {
                placed.add(new double[] {x, ty, w});
                return new double[] {x, ty};
            }
        }
        placed.add(new double[] {x, y, w});
        return new double[] {x, y};
    }

    /**
     * Sizes on a log scale (compressed models span 2x to 16x), padded a little on both sides, with
     * ticks at powers of two (128 KiB, 256 KiB, ...), or five even steps when the range holds fewer
     * than two of those.
     */
    private record SizeAxis(double lo, double hi) {
        static SizeAxis of(double min, double max) {
            return new SizeAxis(min / 1.25, max * 1.25);
        }

        double fraction(double v) { return (Math.log(Math.max(v, 1)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)); }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            for (double t = Math.pow(2, Math.ceil(Math.log(lo) / Math.log(2))); t <= hi; t *= 2) out.add(t);
            if (out.size() >= 2) return out;
            out.clear();
            for (int i = 1; i <= 5; i++) out.add(Math.exp(Math.log(lo) + i / 6.0 * (Math.log(hi) - Math.log(lo))));
            return out;
        }
    }

    /** A linear axis over [lo, hi] with about five round ticks. */
    private record Axis(double lo, double hi, double step) {
        static Axis of(double lo, double hi) {
            if (hi <= lo) hi = lo + 1;
            double raw = (hi - lo) / 5;
            double mag = Math.pow(10, Math.floor(Math.log10(raw)));
            double n = raw / mag;
            double step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
            return new Axis(lo, hi, step);
        }

        double fraction(double v) { return (v - lo) / (hi - lo); }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.add(t);
            return out;
        }

        String label(double t) {
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
            return String.format(Locale.ROOT, "%." + decimals + "f", t);
        }
    }

    // ---- the table ----------------------------------------------------------------------------

    private static void table(StringBuilder sb, SweepReport r) {
        boolean accuracy = r.quality() == Quality.ACCURACY;
        sb.append("<table id=\"results\">\n<thead><tr>")
                .append(header("order", "#", "number"))
                .append(header("name", "point", "text"))
                .append(header("format", "format", "text"))
                .append(header("bytes", "size", "number"));
        if (accuracy) sb.append(header("accuracy", "accuracy", "number"));
        sb.append(header("snr", "SNR dB", "number")).append(header("cosine", "cosine", "number"))
                .append(header("top1", "top-1 agree", "number")).append(header("pareto", "Pareto", "number"))
                .append(header("compile", "compile s", "number")).append(header("eval", "eval s", "number"))
                .append("<th>output</th></tr></thead>\n<tbody>\n");
        int order = 0;
        for (PointResult p : r.points()) {
            order++;
            boolean front = r.pareto().contains(p.id());
            sb.append("<tr data-id=\"").append(esc(p.id())).append('"').append(front ? " class=\"pareto\"" : p.ok() ? "" : " class=\"failed\"")
                    .append('>');
            sb.append(cell(order, Integer.toString(order)));
            sb.append("<td data-value=\"").append(esc(p.name())).append("\"><details><summary>").append(esc(p.name()))
                    .append("</summary><pre class=\"pipeline\">").append(esc(p.pipeline())).append("</pre></details></td>");
            sb.append("<td data-value=\"").append(esc(p.format())).append("\">").append(esc(p.format())).append("</td>");
            if (p.ok()) {
                sb.append(cell(p.bytes(), ReportText.size(p.bytes())));
                if (accuracy) sb.append(cell(p.accuracy(), p.accuracy() == null ? "-" : fixed(p.accuracy(), 4)));
                sb.append(cell(p.snrDb(), Double.isInfinite(p.snrDb()) ? (p.snrDb() > 0 ? "inf" : "-inf") : fixed(p.snrDb(), 2)));
                sb.append(cell(p.cosine(), fixed(p.cosine(), 6)));
                sb.append(cell(p.top1Agreement(), p.top1Agreement() == null ? "-" : fixed(p.top1Agreement(), 4)));
                sb.append(cell(front ? 1 : 0, front ? "★" : ""));
                sb.append(cell(p.compileSeconds(), fixed(p.compileSeconds(), 2)));
                sb.append(cell(p.evalSeconds(), fixed(p.evalSeconds(), 2)));
                sb.append("<td><a href=\"").append(esc(href(p.output()))).append("\">").append(esc(p.output())).append("</a></td>");
            } else {
                int blanks = accuracy ? 8 : 7;
                for (int i = 0; i < blanks; i++) sb.append("<td data-value=\"\"></td>");
                sb.append("<td class=\"error\">failed: ").append(esc(p.error())).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n<p class=\"note\">Click a column header to sort by it; click again to reverse. "
                + "Sizes count every file of the output (external data, the whole package).</p>\n");
    }

    private static String header(String key, String label, String type) {
        return "<th data-sort=\"" + key + "\" data-type=\"" + type + "\" tabindex=\"0\">" + esc(label) + "</th>";
    }

    private static String cell(Number value, String text) {
        String v = value == null ? "" : value instanceof Double d ? (d.isNaN() ? "" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity")
                : Double.toString(d)) : value.toString();
        return "<td class=\"num\" data-value=\"" + v + "\">" + esc(text) + "</td>";
    }

    private static String qualityText(PointResult p, Quality q) {
        double v = p.quality(q);
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return q == Quality.ACCURACY ? fixed(v, 4) : fixed(v, 2);
    }

    /** A relative link: each path segment percent-encoded. */
    static String href(String relative) {
        StringBuilder sb = new StringBuilder();
        for (String seg : relative.split("/")) {
            if (sb.length() > 0) sb.append('/');
            sb.append(java.net.URLEncoder.encode(seg, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    private static String fixed(double v, int decimals) { return String.format(Locale.ROOT, "%." + decimals + "f", v); }

    private static String f(double v) { return String.format(Locale.ROOT, "%.1f", v); }

    private static String fileName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return slash < 0 ? path : path.substring(slash + 1);
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String CSS = """
            body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.3em; }
            code, pre { font: 12px ui-monospace, monospace; }
            #scatter { display: block; margin: 1em 0; max-width: 100%; height: auto; }
            #scatter .plot { fill: #fafafa; stroke: #999; }
            #scatter .grid { stroke: #e4e4e4; }
            #scatter .tick { font-size: 11px; fill: #555; }
            #scatter .axis-title { font-size: 12px; fill: #333; }
            #scatter .original { stroke: #888; stroke-dasharray: 4 3; }
            #scatter .original-label { font-size: 11px; fill: #777; }
            #scatter .point { fill: #7a9cc6; stroke: #fff; }
            #scatter .point.fmt-mlpackage { fill: #9ccf8a; }
            #scatter .point.pareto { fill: #d1495b; stroke: #7a1020; stroke-width: 2; }
            #scatter .front { fill: none; stroke: #d1495b; stroke-width: 1.5; }
            #scatter .point-label { font-size: 11px; fill: #7a1020; }
            table { border-collapse: collapse; margin-top: 1em; }
            th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
            th[data-sort] { cursor: pointer; user-select: none; background: #f2f2f2; }
            th[aria-sort=ascending]::after { content: " \\25B2"; }
            th[aria-sort=descending]::after { content: " \\25BC"; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            th, summary { white-space: nowrap; }
            tr.pareto td { background: #fdecee; }
            tr.failed td { color: #999; }
            td.error { color: #a00; }
            pre.pipeline { margin: 4px 0; white-space: pre-wrap; }
            .note { color: #666; font-size: 12px; }
            """;

    /** Sorts the table by a clicked header: numbers by data-value (blank last), text by name; a second click reverses. */
    private static final String SCRIPT = """
            (function () {
              var table = document.getElementById('results');
              var headers = table.querySelectorAll('th[data-sort]');
              function key(row, index, numeric) {
                var v = row.cells[index].getAttribute('data-value');
                if (!numeric) return v;
                return v === '' ? NaN : parseFloat(v);
              }
              function sortBy(th) {
                var index = Array.prototype.indexOf.call(th.parentNode.cells, th);
                var numeric = th.getAttribute('data-type') === 'number';
                var descending = th.getAttribute('aria-sort') === 'ascending';
                var body = table.tBodies[0];
                var rows = Array.prototype.slice.call(body.rows);
                rows.sort(function (a, b) {
                  var x = key(a, index, numeric), y = key(b, index, numeric);
                  if (numeric) {
                    if (isNaN(x) || isNaN(y)) return isNaN(x) - isNaN(y);
                    return descending ? y - x : x - y;
                  }
                  var c = x.localeCompare(y);
                  return descending ? -c : c;
                });
                rows.forEach(function (r) { body.appendChild(r); });
                headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
                th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
              }
              headers.forEach(function (th) {
                th.addEventListener('click', function () { sortBy(th); });
                th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortBy(th); });
              });
            })();
            """;
}
