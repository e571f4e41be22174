package dev.pare.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Bytes to a {@link PrintWriter}, decoded as UTF-8 on every flush: lets the pass manager's
 * instrumentation (which prints to a {@code PrintStream}) write to picocli's stderr writer, so
 * tests capture it. Callers flush after whole strings, so no character is split.
 */
final class WriterOutputStream extends OutputStream {

    private final PrintWriter writer;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    WriterOutputStream(PrintWriter writer) { this.writer = writer; }

    @Override public synchronized void write(int b) { buffer.write(b); }

    @Override public synchronized void write(byte[] b, int off, int len) { buffer.write(b, off, len); }

    @Override public synchronized void flush() {
        if (buffer.size() > 0) {
            writer.write(buffer.toString(StandardCharsets.UTF_8));
            buffer.reset();
        }
        writer.flush();
    }

    @Override public void close() { flush(); }
}
