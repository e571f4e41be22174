package dev.pare.compiler.compare;

import dev.pare.compiler.inspect.Json;
import dev.pare.compiler.runtime.ExactSigmoid;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pare compare --json}: sorted keys, every key always present (null when it does not apply).
 * {@code snr_db} is a number, or the string {@code "inf"} for identical outputs ({@code "-inf"} for
 * noise over an all-zero output). Schema version {@value #SCHEMA_VERSION}.
 */
public final class CompareJson {

    public static final int SCHEMA_VERSION = 1;

    private CompareJson() {}

    public static String write(CompareReport r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema_version", SCHEMA_VERSION);
        root.put("model_a", r.modelA());
        root.put("model_b", r.modelB());
        root.put("inputs", r.inputs());
        root.put("seed", r.seed());
        root.put("generated", r.seed() == null ? null : r.generated());
        root.put("samples", r.samples());
        root.put("labels", r.labels());
        root.put("only_in_a", r.onlyInA());
        root.put("only_in_b", r.onlyInB());
        if (r.exactSigmoidA() == null && r.exactSigmoidB() == null) {
            root.put("exact_sigmoid", null);
        } else {
            Map<String, Object> exact = new LinkedHashMap<>();
            exact.put("a", exactSigmoid(r.exactSigmoidA()));
            exact.put("b", exactSigmoid(r.exactSigmoidB()));
            root.put("exact_sigmoid", exact);
        }
        List<Object> outputs = new ArrayList<>();
        for (OutputComparison o : r.outputs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", o.nameA());
            m.put("name_b", o.nameB());
            m.put("dtype", o.dtype());
            m.put("shape", o.shape());
            m.put("elements", o.elements());
            m.put("snr_db", Double.isInfinite(o.snrDb()) ? (o.snrDb() > 0 ? "inf" : "-inf") : (Object) significant(o.snrDb()));
            m.put("cosine", o.cosine());
            m.put("max_abs_error", significant(o.maxAbsError()));
            m.put("mean_abs_error", significant(o.meanAbsError()));
            m.put("max_abs_a", significant(o.maxAbsA()));
            m.put("max_rel_error", o.maxAbsA() > 0 ? significant(o.maxAbsError() / o.maxAbsA())
                    : o.maxAbsError() == 0 ? significant(0) : null);
            m.put("non_finite", o.nonFinite());
            OutputComparison.Classification c = o.classification();
            m.put("classes", c == null ? null : c.classes());
            m.put("top1_agreement", c == null ? null : c.top1Agreement());
            m.put("top5_agreement", c == null ? null : c.top5Agreement());
            m.put("labeled", c == null ? null : c.labeled());
            m.put("accuracy_a", c == null ? null : c.accuracyA());
            m.put("accuracy_b", c == null ? null : c.accuracyB());
            outputs.add(m);
        }
        root.put("outputs", outputs);
        return Json.write(root);
    }

    private static Map<String, Object> exactSigmoid(ExactSigmoid.Result e) {
        if (e == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rewritten", e.rewritten());
        m.put("left_as_is", e.leftAsIs());
        return m;
    }

    /** Errors span many magnitudes: 6 significant digits rather than 6 decimals. */
    private static BigDecimal significant(double v) {
        return new BigDecimal(v).round(new MathContext(6, RoundingMode.HALF_EVEN));
    }
}
