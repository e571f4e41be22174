package dev.pare.compiler.sweep;

/** What a sweep ranks points by: higher is better for both. */
public enum Quality {
    /** Top-1 accuracy against {@code --labels}. */
    ACCURACY("accuracy", "accuracy"),
    /** The lowest SNR over the outputs against the original model, without labels. */
    SNR("snr_db", "SNR (dB)");

    private final String key;
    private final String label;

    Quality(String key, String label) {
        this.key = key;
        this.label = label;
    }

    /** The name in results.json and results.csv. */
    public String key() { return key; }

    /** The axis title. */
    public String label() { return label; }
}
