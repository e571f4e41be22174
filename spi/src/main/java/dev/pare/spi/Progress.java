package dev.pare.spi;

/**
 * How far a long task has got, for the user watching it (the CLI draws a bar or prints a line now
 * and then) and for error messages (an out-of-memory error names the item last reported). A pass
 * gets one from {@link PassContext#progress()}; reporting is cheap, and optional.
 *
 * <pre>{@code
 * Progress p = context.progress();
 * p.start("compress", weights.size(), "weights");
 * for (Weight w : weights) { compress(w); p.advance(1, w.byteSize(), w.name()); }
 * }</pre>
 */
public interface Progress {

    /** Reports nowhere. */
    Progress NONE = new Progress() {
        @Override public void start(String task, long total, String unit) {}

        @Override public void advance(long n, long bytes, String item) {}
    };

    /**
     * Starts a task (ending the one before, if any): {@code total} units to do, or {@code -1} if
     * not known; {@code unit} is a plural noun such as {@code weights}, or {@code bytes}.
     */
    void start(String task, long total, String unit);

    /**
     * {@code n} more units are done, covering {@code bytes} bytes of data (0 if not counted);
     * {@code item} names what is being (or was just) worked on, or is null.
     */
    void advance(long n, long bytes, String item);

    /** As {@link #advance(long, long, String)} with no byte count. */
    default void advance(long n, String item) { advance(n, 0, item); }

    /** The current task is over; starting another one ends it too. */
    default void end() {}
}
