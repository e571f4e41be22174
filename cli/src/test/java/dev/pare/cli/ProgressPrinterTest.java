package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Progress lines by text, timed with a clock the test moves. */
class ProgressPrinterTest {

    static final long S = 1_000_000_000L;

    long now = 1000 * S;
    final StringWriter text = new StringWriter();

    ProgressPrinter printer(boolean terminal) {
        return new ProgressPrinter(new PrintWriter(text, true), terminal, () -> now);
    }

    @Test
    void aShortTaskPrintsNothing() {
        ProgressPrinter p = printer(false);
        p.start("prune: compress", 3, "weights");
        now += 9 * S;
        p.advance(3, 3L << 20, "w");
        p.tick();
        p.end();
        assertEquals("", text.toString());
    }

    @Test
    void aLongTaskPrintsALineAtMostEveryTenSecondsAndADoneLine() {
        ProgressPrinter p = printer(false);
        p.start("prune: compress", 800, "weights");
        now += 10 * S;
        p.advance(200, 1L << 30, "fc1.weight");
        now += 5 * S;
        p.advance(200, 1L << 30, "fc2.weight"); // 5 s after the last line: nothing
        now += 5 * S;
        p.tick();
        now += 20 * S;
        p.end();
        assertEquals("""
                pare: prune: compress: 200/800 weights (25%), 1.0 GiB, 30s left
                pare: prune: compress: 400/800 weights (50%), 2.0 GiB, 20s left
                pare: prune: compress: done, 400 weights, 2.0 GiB in 40s
                """, text.toString());
    }

    @Test
    void aTaskWithoutCountsSaysItIsRunningAndBytesShowTheirTotal() {
        ProgressPrinter p = printer(false);
        p.start("prune", -1, "");
        now += 75 * S;
        p.tick();
        p.start("write out.onnx", 4L << 30, "bytes"); // ends "prune"
        now += 10 * S;
        p.advance(0, 1L << 30, null);
        p.end();
        assertEquals("""
                pare: prune: running for 1m15s
                pare: prune: done in 1m15s
                pare: write out.onnx: 1.0 GiB of 4.0 GiB (25%), 30s left
                pare: write out.onnx: done, 1.0 GiB in 10s
                """, text.toString());
    }

    @Test
    void aPassesOwnTaskContinuesThePassWithoutAClosingLine() {
        ProgressPrinter p = printer(false);
        p.start("prune", -1, "");
        now += 10 * S;
        p.tick();
        p.start("prune: compress", 2, "weights");
        now += 10 * S;
        p.advance(1, 0, "w1");
        p.end();
        assertEquals("""
                pare: prune: running for 10s
                pare: prune: compress: 1/2 weights (50%), 10s left
                pare: prune: compress: done, 1 weights in 10s
                """, text.toString());
    }

    @Test
    void onATerminalABarIsRedrawnInPlaceAfterASecond() {
        ProgressPrinter p = printer(true);
        p.start("q: compress", 4, "weights");
        p.advance(1, 0, "a"); // at once: no bar yet
        now += 2 * S;
        p.advance(1, 0, "b");
        now += 2 * S;
        p.end();
        assertEquals("\rq: compress [============>           ] 2/4 weights (50%) ETA 2s"
                + "\rq: compress [============>           ] 2/4 weights (50%) 4s    \n", text.toString()); // blanks the longer line
    }

    @Test
    void whereNamesTheTaskTheCountAndTheLastItem() {
        ProgressPrinter p = printer(false);
        assertEquals(Optional.empty(), p.where());
        p.start("prune: compress", 800, "weights");
        assertEquals(Optional.of("prune: compress (0 of 800 weights done)"), p.where());
        p.advance(12, 0, "fc1.weight\u001b[2J");
        assertEquals(Optional.of("prune: compress (12 of 800 weights done; the last was 'fc1.weight\\u001b[2J')"), p.where());
        p.start("explode", -1, "");
        assertEquals(Optional.of("explode"), p.where());
    }

    @Test
    void durations() {
        assertEquals("0s", ProgressPrinter.duration(0));
        assertEquals("59s", ProgressPrinter.duration(59 * S + S / 2));
        assertEquals("6m30s", ProgressPrinter.duration(390 * S));
        assertEquals("2h05m", ProgressPrinter.duration(7500 * S));
    }

    @Test
    void outOfMemoryMessageNamesTheHeapAndTwiceIt() {
        assertEquals("out of memory in prune (3 of 9 weights done); the Java heap is limited to 512 MiB: try JAVA_OPTS=-Xmx1g",
                OutOfMemory.message(Optional.of("prune (3 of 9 weights done)"), 512L << 20));
        assertEquals("out of memory; the Java heap is limited to 64 MiB: try JAVA_OPTS=-Xmx128m",
                OutOfMemory.message(Optional.empty(), 64L << 20));
        assertEquals("out of memory; the Java heap is limited to 3.5 GiB: try JAVA_OPTS=-Xmx7g",
                OutOfMemory.message(Optional.empty(), 7L << 29));
        assertEquals("5g", OutOfMemory.twice((5L << 30) / 2));
        assertEquals("16g", OutOfMemory.twice(8L << 30));
    }
}
