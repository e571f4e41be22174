package dev.pare.compiler.compare;

import dev.pare.compiler.inspect.TextTable;
import dev.pare.compiler.runtime.ExactSigmoid;
import java.util.List;
import java.util.Locale;

/** The text form of a {@link CompareReport}: a header line, a table of outputs and, with labels, the accuracies. */
public final class CompareText {

    private CompareText() {}

    public static String render(CompareReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("compare ").append(r.modelA()).append(" (A) with ").append(r.modelB()).append(" (B): ")
                .append(r.samples()).append(r.samples() == 1 ? " sample " : " samples ")
                .append(r.seed() == null ? "from " + r.inputs() : "generated with seed " + r.seed()).append('\n');
        for (String g : r.generated()) sb.append("  generated ").append(g).append('\n');
        exactSigmoid(sb, "A", r.exactSigmoidA());
        exactSigmoid(sb, "B", r.exactSigmoidB());
        TextTable t = new TextTable("output", "shape", ">SNR dB", ">cosine", ">max abs err", ">mean abs err", ">top-1", ">top-5");
        boolean nonFinite = false;
        for (OutputComparison o : r.outputs()) {
            OutputComparison.Classification c = o.classification();
            String name = o.nameA().equals(o.nameB()) ? o.nameA() : o.nameA() + " / " + o.nameB();
            t.row(name, o.dtype() + " " + shape(o.shape()), snr(o.snrDb()), String.format(Locale.ROOT, "%.6f", o.cosine()),
                    number(o.maxAbsError()), number(o.meanAbsError()),
                    c == null ? "-" : fraction(c.top1Agreement()), c == null || c.top5Agreement() == null ? "-" : fraction(c.top5Agreement()));
            nonFinite |= o.nonFinite() > 0;
        }
        sb.append(t.render());
        for (OutputComparison o : r.outputs()) {
            if (o.nonFinite() > 0) {
                sb.append("  note: output '").append(o.nameA()).append("': ").append(o.nonFinite())
                        .append(" values are NaN or infinite in one model only; they are left out of the measures\n");
            }
        }
        if (!r.onlyInA().isEmpty()) sb.append("  only in A: ").append(String.join(", ", r.onlyInA())).append('\n');
        if (!r.onlyInB().isEmpty()) sb.append("  only in B: ").append(String.join(", ", r.onlyInB())).append('\n');
        if (r.labels() != null) {
            sb.append("\nAccuracy against ").append(r.labels()).append('\n');
            TextTable acc = new TextTable("output", ">labels", ">A", ">B");
            boolean any = false;
            for (OutputComparison o : r.outputs()) {
                OutputComparison.Classification c = o.classification();
                if (c == null || c.accuracyA() == null) continue;
                any = true;
                acc.row(o.nameA(), Long.toString(c.labeled()), fraction(c.accuracyA()), fraction(c.accuracyB()));
            }
            sb.append(any ? acc.render() : "  no output holds one row of class scores per sample ([1,C] or [C])\n");
        }
        return sb.toString();
    }

    /** Says that (and how much of) an ONNX model's Sigmoid ONNX Runtime computed exactly. */
    private static void exactSigmoid(StringBuilder sb, String side, ExactSigmoid.Result e) {
        if (e == null) return;
        sb.append("  ").append(side).append(" in ONNX Runtime: ");
        if (e.rewritten() == 0) sb.append("no float32 Sigmoid node to compute exactly");
        else sb.append(e.rewritten()).append(e.rewritten() == 1 ? " Sigmoid node" : " Sigmoid nodes")
                .append(" computed exactly, as 1 / (1 + exp(-x))");
        if (!e.leftAsIs().isEmpty()) {
            sb.append("; left to ONNX Runtime's Sigmoid: ").append(String.join(", ", e.leftAsIs()));
        }
        sb.append(" (--exact-sigmoid)\n");
    }

    static String snr(double db) {
        if (db == Double.POSITIVE_INFINITY) return "inf";
        if (db == Double.NEGATIVE_INFINITY) return "-inf";
        return String.format(Locale.ROOT, "%.2f", db);
    }

    static String number(double v) {
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.4g", v);
    }

    static String fraction(double v) { return String.format(Locale.ROOT, "%.4f", v); }

    static String shape(List<Long> shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.size(); i++) sb.append(i == 0 ? "" : ",").append(shape.get(i));
        return sb.append(']').toString();
    }
}
