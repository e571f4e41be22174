package dev.pare.cli;

import dev.pare.compiler.inspect.ReportText;
import dev.pare.spi.MessageText;
import dev.pare.spi.Progress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Shows {@link Progress} on stderr. On a terminal: one bar line per task, redrawn in place, for
 * tasks that last over a second. Otherwise (a log file, a CI job): a line at most every
 * {@link #PLAIN_INTERVAL_NANOS} per task and a closing line for the tasks that printed one, so
 * short runs print nothing. Thread-safe: passes report from worker threads. The clock is
 * injected so the lines can be tested.
 */
final class ProgressPrinter implements Progress {

    static final long PLAIN_INTERVAL_NANOS = 10_000_000_000L;
    /** A bar appears only for tasks that take longer; shorter ones would only flicker. */
    static final long BAR_DELAY_NANOS = 1_000_000_000L;
    private static final long BAR_REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 24;

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;

    private String task;
    private long total;
    private String unit;
    private long done;
    private long bytes;
    private String item;
    private long started;
    private long lastShown;
    private boolean shown;
    private int barLength;

    ProgressPrinter(PrintWriter err, boolean terminal, LongSupplier nanoClock) {
        this.err = err;
        this.terminal = terminal;
        this.clock = nanoClock;
    }

    @Override public synchronized void start(String task, long total, String unit) {
        String name = MessageText.forDisplay(task == null ? "" : task);
        // a pass's own task ("prune: compress") goes on from the pass's ("prune"): no closing line
        if (this.task != null && name.startsWith(this.task + ": ")) {
            if (terminal && shown) err.print('\n');
        } else {
            end();
        }
        this.task = name;
        this.total = total;
        this.unit = unit == null ? "" : unit;
        done = 0;
        bytes = 0;
        item = null;
        started = clock.getAsLong();
        lastShown = started;
        shown = false;
    }

    @Override public synchronized void advance(long n, long bytes, String item) {
        if (task == null) return;
        done += n;
        this.bytes += bytes;
        if (item != null) this.item = item;
        refresh();
    }

    /** Called now and then by a timer, so a task that reports nothing still shows it is alive. */
    synchronized void tick() {
        if (task != null) refresh();
    }

    @Override public synchronized void end() {
        if (task == null) return;
        if (shown) {
            long elapsed = clock.getAsLong() - started;
            if (terminal) {
                draw(bar(elapsed) + " " + duration(elapsed));
                err.print('\n');
            } else {
                err.println("pare: " + task + ": done" + counts(false) + " in " + duration(elapsed));
            }
            err.flush();
        }
        task = null;
    }

    /** Before an error is printed: a bar line is closed so the error starts a line of its own. The task is kept for {@link #where}. */
    synchronized void interrupted() {
        if (terminal && shown) {
            err.print('\n');
            err.flush();
        }
        shown = false;
    }

    /**
     * What was being done, for an error message: e.g. {@code prune: compress (12 of 800 weights
     * done; the last was 'fc1.weight')}. Items are reported when done, so the last one is named as such.
     */
    synchronized Optional<String> where() {
        if (task == null) return Optional.empty();
        StringBuilder sb = new StringBuilder(task);
        boolean counted = total > 0 && !isBytes();
        if (counted) sb.append(" (").append(done).append(" of ").append(total).append(' ').append(unit).append(" done");
        if (item != null) sb.append(counted ? "; " : " (").append("the last was '").append(MessageText.forDisplay(item)).append('\'');
        if (counted || item != null) sb.append(')');
        return Optional.of(sb.toString());
    }

    private void refresh() {
        long now = clock.getAsLong();
        long elapsed = now - started;
        if (terminal) {
            if (elapsed < BAR_DELAY_NANOS || (shown && now - lastShown < BAR_REDRAW_NANOS)) return;
            draw(bar(elapsed) + eta(elapsed).map(e -> " ETA " + e).orElse(" " + duration(elapsed)));
        } else {
            if (now - lastShown < PLAIN_INTERVAL_NANOS) return;
            String status = total > 0 || done > 0 || bytes > 0 ? counts(true).substring(2) : "running for " + duration(elapsed);
            err.println("pare: " + task + ": " + status + eta(elapsed).map(e -> ", " + e + " left").orElse(""));
        }
        err.flush();
        lastShown = now;
        shown = true;
    }

    /** {@code task [=====>    ] 120/800 weights, 1.2 GiB} (no bar when the total is not known). */
    private String bar(long elapsed) {
        StringBuilder sb = new StringBuilder(task);
        if (total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * (isBytes() ? bytes : done) / total);
            sb.append(" [").append("=".repeat(filled)).append(filled < BAR_WIDTH ? ">" : "")
                    .append(" ".repeat(Math.max(0, BAR_WIDTH - filled - 1))).append(']');
        }
        return sb.append(counts(true).replaceFirst("^,", "")).toString();
    }

    /** Redraws the bar line in place, blanking what is left of a longer line before. */
    private void draw(String line) {
        int pad = Math.max(0, barLength - line.length());
        err.print("\r" + line + " ".repeat(pad));
        barLength = line.length();
    }

    /** {@code , 120/800 weights (15%), 1.2 GiB} while running; {@code , 800 weights, 6.0 GiB} at the end. */
    private String counts(boolean running) {
        StringBuilder sb = new StringBuilder();
        if (isBytes()) {
            if (bytes > 0 || total > 0) sb.append(", ").append(ReportText.size(bytes));
            if (running && total > 0) sb.append(" of ").append(ReportText.size(total)).append(percent(bytes));
            return sb.toString();
        }
        if (total > 0 || done > 0) {
            sb.append(", ").append(done);
            if (running && total > 0) sb.append('/').append(total);
            if (!unit.isEmpty()) sb.append(' ').append(unit);
            if (running && total > 0) sb.append(percent(done));
        }
        if (bytes > 0) sb.append(", ").append(ReportText.size(bytes));
        return sb.toString();
    }

    private String percent(long part) {
        return total > 0 ? " (" + Math.min(100, 100 * part / total) + "%)" : "";
    }

    private boolean isBytes() { return unit.equals("bytes"); }

    /** Time left at the rate so far, once some of a known total is done. */
    private Optional<String> eta(long elapsed) {
        long part = isBytes() ? bytes : done;
        if (total <= 0 || part <= 0 || part >= total) return Optional.empty();
        return Optional.of(duration((long) ((double) elapsed * (total - part) / part)));
    }

    /** {@code 45s}, {@code 2m10s}, {@code 1h05m}. */
    static String duration(long nanos) {
        long s = Math.max(0, nanos / 1_000_000_000L);
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
}
