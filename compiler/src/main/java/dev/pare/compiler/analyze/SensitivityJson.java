package dev.pare.compiler.analyze;

import dev.pare.compiler.analyze.CompressibleWeights.Weight;
import dev.pare.compiler.analyze.SensitivityReport.CandidateText;
import dev.pare.compiler.analyze.SensitivityReport.Setting;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.coreml.JsonValues;
import dev.pare.compiler.inspect.Json;
import dev.pare.ir.DType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pare analyze --json} (schema version 1, keys sorted, every key present): what
 * {@code mixed_precision{analysis="FILE"}} reads back instead of measuring again. Noise powers
 * keep 9 significant digits; an infinite noise or SNR is the string {@code "inf"}.
 */
public final class SensitivityJson {

    private static final MathContext DIGITS = new MathContext(9);

    private SensitivityJson() {}

    public static String write(SensitivityReport r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema_version", SensitivityReport.SCHEMA_VERSION);
        root.put("model", r.model());
        root.put("format", r.format());
        root.put("data", r.data());
        root.put("samples", r.samples());
        root.put("labels", r.labels().orElse(null));
        root.put("signal_power", number(r.signalPower()));
        root.put("float_accuracy", r.floatAccuracy().orElse(null));
        root.put("sizes", r.sizes().key());
        List<Object> candidates = new ArrayList<>();
        for (int c = 0; c < r.candidates().size(); c++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("column", SensitivityText.column(c));
            m.put("step", r.candidates().get(c).text());
            m.put("canonical", r.candidates().get(c).canonical());
            candidates.add(m);
        }
        root.put("candidates", candidates);
        List<Object> weights = new ArrayList<>();
        for (WeightRow w : r.weights()) {
            Weight x = w.weight();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", x.name());
            m.put("shape", new ArrayList<>(x.shape()));
            m.put("dtype", x.dtype().shortName());
            m.put("elements", x.elements());
            m.put("stored_bytes", x.storedBytes());
            m.put("nodes", new ArrayList<>(x.nodes()));
            List<Object> settings = new ArrayList<>();
            for (int c = 0; c < w.settings().size(); c++) {
                Setting s = w.settings().get(c);
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("candidate", SensitivityText.column(c));
                e.put("applied", s.applied());
                e.put("bytes", s.applied() ? s.bytes() : null);
                e.put("bits_per_weight", s.applied() ? CompressibleWeights.bitsPerWeight(s.bytes(), x.elements()) : null);
                e.put("noise_power", s.applied() ? number(s.noise()) : null);
                e.put("snr_db", s.applied() ? number(r.snrDb(s.noise())) : null);
                e.put("accuracy", s.accuracy().orElse(null));
                e.put("note", s.note().orElse(null));
                settings.add(e);
            }
            m.put("settings", settings);
            weights.add(m);
        }
        root.put("weights", weights);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("weights", r.weights().size());
        totals.put("elements", r.elements());
        totals.put("stored_bytes", r.storedBytes());
        totals.put("bits_per_weight", CompressibleWeights.bitsPerWeight(r.storedBytes(), r.elements()));
        root.put("totals", totals);
        return Json.write(root);
    }

    private static Object number(double v) {
        if (Double.isNaN(v)) return null;
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return new BigDecimal(v, DIGITS);
    }

    /** Reads what {@link #write} wrote; throws IllegalArgumentException saying what is wrong. */
    public static SensitivityReport read(String text) {
        Object parsed = JsonValues.parse(text);
        Map<String, Object> root = map(parsed, "the document");
        Object version = root.get("schema_version");
        if (!(version instanceof Long v) || v != SensitivityReport.SCHEMA_VERSION) {
            throw new IllegalArgumentException("schema_version " + version + " is not " + SensitivityReport.SCHEMA_VERSION + " (not a pare analyze --json file?)");
        }
        List<CandidateText> candidates = new ArrayList<>();
        for (Object o : list(root.get("candidates"), "candidates")) {
            Map<String, Object> m = map(o, "a candidate");
            candidates.add(new CandidateText(string(m.get("step"), "step"), string(m.get("canonical"), "canonical")));
        }
        List<WeightRow> rows = new ArrayList<>();
        for (Object o : list(root.get("weights"), "weights")) {
            Map<String, Object> m = map(o, "a weight");
            String name = string(m.get("name"), "name");
            List<Long> shape = new ArrayList<>();
            for (Object d : list(m.get("shape"), "shape of " + name)) shape.add(integer(d, "shape of " + name));
            List<String> nodes = new ArrayList<>();
            for (Object d : list(m.get("nodes"), "nodes of " + name)) nodes.add(string(d, "nodes of " + name));
            String dtypeName = string(m.get("dtype"), "dtype of " + name);
            DType dtype = java.util.Arrays.stream(DType.values()).filter(t -> t.shortName().equals(dtypeName)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("weight '" + name + "': unknown dtype " + dtypeName));
            Weight w = new Weight(name, shape, dtype, integer(m.get("elements"), "elements of " + name),
                    integer(m.get("stored_bytes"), "stored_bytes of " + name), nodes);
            List<Setting> settings = new ArrayList<>();
            for (Object so : list(m.get("settings"), "settings of " + name)) {
                Map<String, Object> s = map(so, "a setting of " + name);
                Optional<String> note = Optional.ofNullable(s.get("note")).map(x -> string(x, "note"));
                if (!(s.get("applied") instanceof Boolean applied)) throw new IllegalArgumentException("weight '" + name + "': applied is not a boolean");
                if (!applied) {
                    settings.add(Setting.notApplied(note.orElse("left as it is")));
                    continue;
                }
                Optional<Double> accuracy = Optional.ofNullable(s.get("accuracy")).map(x -> real(x, "accuracy"));
                settings.add(new Setting(true, integer(s.get("bytes"), "bytes of " + name), real(s.get("noise_power"), "noise_power of " + name),
                        accuracy, note));
            }
            if (settings.size() != candidates.size()) {
                throw new IllegalArgumentException("weight '" + name + "' has " + settings.size() + " settings for " + candidates.size() + " candidates");
            }
            rows.add(new WeightRow(w, settings));
        }
        Optional<String> labels = Optional.ofNullable(root.get("labels")).map(x -> string(x, "labels"));
        Optional<Double> floatAccuracy = Optional.ofNullable(root.get("float_accuracy")).map(x -> real(x, "float_accuracy"));
        // files written before "sizes" existed counted the pare dialect's constants
        String sizesKey = root.containsKey("sizes") ? string(root.get("sizes"), "sizes") : WeightSizes.IR.key();
        WeightSizes sizes = WeightSizes.of(sizesKey)
                .orElseThrow(() -> new IllegalArgumentException("sizes '" + sizesKey + "' is not " + WeightSizes.choices()));
        return new SensitivityReport(string(root.get("model"), "model"), string(root.get("format"), "format"),
                string(root.get("data"), "data"), (int) (long) integer(root.get("samples"), "samples"), labels,
                real(root.get("signal_power"), "signal_power"), floatAccuracy, candidates, rows, sizes);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(what + " is not an object");
    }

    private static List<?> list(Object o, String what) {
        if (o instanceof List<?> l) return l;
        throw new IllegalArgumentException(what + " is not a list");
    }

    private static String string(Object o, String what) {
        if (o instanceof String s) return s;
        throw new IllegalArgumentException(what + " is not a string");
    }

    private static long integer(Object o, String what) {
        if (o instanceof Long l) return l;
        throw new IllegalArgumentException(what + " is not an integer");
    }

    private static double real(Object o, String what) {
        if (o instanceof Number n) return n.doubleValue();
        if ("inf".equals(o)) return Double.POSITIVE_INFINITY;
        throw new IllegalArgumentException(what + " is not a number");
    }
}
