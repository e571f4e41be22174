package dev.pare.compiler.sweep;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * What one sweep point gave: the compiled model's size and how close it stays to the original.
 * A failed point has {@code error} set and no measures.
 *
 * @param id             the point's key ({@link PointKey}), also its folder under {@code points/}
 * @param format         the output's format as its file extension ({@code onnx}, {@code mlpackage})
 * @param output         the compiled model, relative to the report folder ({@code points/ID/model.onnx}); null if failed
 * @param bytes          the compiled model on disk, external data and every file of a package included
 * @param samples        samples evaluated
 * @param accuracy       top-1 accuracy against the labels, or null without labels
 * @param referenceAccuracy the original model's accuracy on the same samples, or null
 * @param snrDb          the lowest SNR (dB) over the model's outputs against the original; +Infinity if identical
 * @param cosine         the lowest mean cosine similarity over the outputs
 * @param top1Agreement  how often both models pick the same class (first class-score output), or null
 * @param compileSeconds wall time of the compilation; {@code evalSeconds} of the evaluation
 * @param error          the one-line reason the point failed, or null
 */
public record PointResult(String id, String name, String pipeline, String format, String output, long bytes, int samples,
        Double accuracy, Double referenceAccuracy, double snrDb, double cosine, Double top1Agreement,
        double compileSeconds, double evalSeconds, String error) {

    public PointResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(format, "format");
    }

    static PointResult failed(String id, SweepPoint point, String error) {
        return new PointResult(id, point.name(), point.pipeline(), point.format(), null, 0, 0, null, null, Double.NaN, Double.NaN,
                null, 0, 0, error);
    }

    public boolean ok() { return error == null; }

    /** The measure the sweep ranks by: accuracy with labels, else SNR. */
    public double quality(Quality q) {
        return q == Quality.ACCURACY ? (accuracy == null ? Double.NaN : accuracy) : snrDb;
    }

    /** The same result under another point's name (two names for one pipeline share a key). */
    PointResult named(String newName) {
        return new PointResult(id, newName, pipeline, format, output, bytes, samples, accuracy, referenceAccuracy, snrDb, cosine,
                top1Agreement, compileSeconds, evalSeconds, error);
    }

    /** Stored as {@code points/ID/result.properties}: exact doubles, no date line, sorted keys. */
    String toProperties() {
        Properties p = new Properties();
        p.setProperty("id", id);
        p.setProperty("pipeline", pipeline);
        p.setProperty("format", format);
        p.setProperty("output", output);
        p.setProperty("bytes", Long.toString(bytes));
        p.setProperty("samples", Integer.toString(samples));
        if (accuracy != null) p.setProperty("accuracy", Double.toString(accuracy));
        if (referenceAccuracy != null) p.setProperty("reference_accuracy", Double.toString(referenceAccuracy));
        p.setProperty("snr_db", Double.toString(snrDb));
        p.setProperty("cosine", Double.toString(cosine));
        if (top1Agreement != null) p.setProperty("top1_agreement", Double.toString(top1Agreement));
        p.setProperty("compile_seconds", Double.toString(compileSeconds));
        p.setProperty("eval_seconds", Double.toString(evalSeconds));
        StringWriter w = new StringWriter();
        try {
            p.store(w, null);
        } catch (IOException e) {
            throw new AssertionError(e); // a StringWriter does not fail
        }
        return w.toString().lines().filter(l -> !l.startsWith("#")).sorted().collect(Collectors.joining("\n", "", "\n"));
    }

    /** A stored result, or null if the text is not one (then the point runs again). */
    static PointResult fromProperties(String text, String name) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
            return new PointResult(p.getProperty("id"), name, p.getProperty("pipeline"), p.getProperty("format"), p.getProperty("output"),
                    Long.parseLong(p.getProperty("bytes")), Integer.parseInt(p.getProperty("samples")),
                    optional(p, "accuracy"), optional(p, "reference_accuracy"), Double.parseDouble(p.getProperty("snr_db")),
                    Double.parseDouble(p.getProperty("cosine")), optional(p, "top1_agreement"),
                    Double.parseDouble(p.getProperty("compile_seconds")), Double.parseDouble(p.getProperty("eval_seconds")), null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Double optional(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null ? null : Double.valueOf(v);
    }
}
