package dev.pare.compiler.analyze;

import dev.pare.compiler.analyze.SensitivityReport.Setting;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.inspect.TextTable;
import java.util.Locale;
import java.util.function.Function;

/** The tables {@code pare analyze} prints: SNR, bits per weight and (with labels) accuracy, weights × candidates. */
public final class SensitivityText {

    private SensitivityText() {}

    public static String render(SensitivityReport r) {
        StringBuilder sb = new StringBuilder();
        long elements = r.elements();
        sb.append("analyze ").append(r.model()).append(" (").append(r.format()).append("): ").append(r.weights().size())
                .append(" weights, ").append(String.format(Locale.ROOT, "%,d", elements)).append(" elements, ")
                .append(ReportText.size(r.storedBytes())).append(" (")
                .append(fixed(CompressibleWeights.bitsPerWeight(r.storedBytes(), elements), 2)).append(" bits/weight); ")
                .append(r.samples()).append(" samples from ").append(r.data()).append('\n');
        r.floatAccuracy().ifPresent(a -> sb.append("float top-1 accuracy ").append(fixed(a, 4)).append(" against ")
                .append(r.labels().orElse("")).append('\n'));
        sb.append("\nCandidates\n");
        TextTable legend = new TextTable("", "step");
        for (int c = 0; c < r.candidates().size(); c++) legend.row(column(c), r.candidates().get(c).text());
        sb.append(legend.render());
        sb.append("\nSNR (dB) of the outputs when only this weight is compressed ('-': the candidate leaves it as it is)\n");
        sb.append(table(r, s -> snr(r, s), true));
        sb.append("\nBits per weight under each candidate (stored bytes x 8 / elements: codes, LUTs, scales, masks)\n");
        sb.append(bitsTable(r));
        if (r.labels().isPresent()) {
            sb.append("\nTop-1 accuracy when only this weight is compressed\n");
            sb.append(table(r, s -> s.accuracy().map(a -> fixed(a, 4)).orElse("-"), false));
        }
        return sb.toString();
    }

    private static String bitsTable(SensitivityReport r) {
        TextTable t = header(r, false);
        for (WeightRow w : r.weights()) {
            String[] cells = start(r, w, false);
            for (int c = 0; c < w.settings().size(); c++) {
                Setting s = w.settings().get(c);
                cells[2 + c] = s.applied() ? fixed(s.bytes() * 8.0 / w.weight().elements(), 2) : "-";
            }
            t.row(cells);
        }
        return t.render();
    }

    private static String table(SensitivityReport r, Function<Setting, String> cell, boolean withSize) {
        TextTable t = header(r, withSize);
        for (WeightRow w : r.weights()) {
            String[] cells = start(r, w, withSize);
            for (int c = 0; c < w.settings().size(); c++) {
                Setting s = w.settings().get(c);
                cells[(withSize ? 4 : 2) + c] = s.applied() ? cell.apply(s) : "-";
            }
            t.row(cells);
        }
        return t.render();
    }

    private static TextTable header(SensitivityReport r, boolean withSize) {
        int fixedColumns = withSize ? 4 : 2;
        String[] cols = new String[fixedColumns + r.candidates().size()];
        cols[0] = "weight";
        cols[1] = ">elements";
        if (withSize) {
            cols[2] = "shape";
            cols[3] = ">now";
        }
        for (int c = 0; c < r.candidates().size(); c++) cols[fixedColumns + c] = ">" + column(c);
        return new TextTable(cols);
    }

    private static String[] start(SensitivityReport r, WeightRow w, boolean withSize) {
        String[] cells = new String[(withSize ? 4 : 2) + r.candidates().size()];
        cells[0] = w.weight().name();
        cells[1] = String.format(Locale.ROOT, "%,d", w.weight().elements());
        if (withSize) {
            cells[2] = w.weight().shape().toString().replace(" ", "");
            cells[3] = fixed(w.weight().storedBytes() * 8.0 / w.weight().elements(), 2);
        }
        return cells;
    }

    /** {@code c1}, {@code c2}, ...: column names keyed by the legend. */
    static String column(int index) { return "c" + (index + 1); }

    private static String snr(SensitivityReport r, Setting s) {
        double db = r.snrDb(s.noise());
        return Double.isInfinite(db) ? (db > 0 ? "inf" : "-inf") : fixed(db, 1);
    }

    static String fixed(double v, int decimals) { return String.format(Locale.ROOT, "%." + decimals + "f", v); }
}
