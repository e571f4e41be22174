package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.List;

/**
 * Wire-level handling of tensor payloads, so weights never pass through the Java heap.
 *
 * <p>protobuf-java 4.x copies every {@code bytes} field onto the heap, even when parsing an
 * aliased direct buffer. So the reader first walks the encoded model itself and replaces every
 * {@code TensorProto.raw_data} of {@link #PLACEHOLDER_SIZE} bytes or more by a fixed-size
 * placeholder that holds an index into a table of (offset, length) pairs of the mapped file. The
 * small "skeleton" that remains is parsed with the generated classes. The writer does the
 * reverse: it serializes a skeleton with placeholders and expands it while streaming, writing each
 * payload straight from its (mapped) buffer.
 *
 * <p>Only the message paths that lead to tensors of the graph are followed (model, graph, node,
 * attribute, sparse tensor, tensor); functions and training info are copied verbatim.
 */
final class WireSkeleton {

    /** Placeholder length; raw_data shorter than this stays inline, longer is always replaced. */
    static final int PLACEHOLDER_SIZE = 24;
    private static final long MAGIC_0 = 0x6572612e70617265L; // "pare.are"
    private static final long MAGIC_1 = 0x5f64617461726177L; // "rawdata_"
    private static final int MAX_DEPTH = 200;

    private enum Kind { MODEL, GRAPH, NODE, ATTRIBUTE, SPARSE, TENSOR }

    private WireSkeleton() {}

    /** A wire-format problem; the message is a short reason such as {@code truncated message}. */
    static final class WireException extends Exception {
        WireException(String reason) { super(reason); }
    }

    /** The skeleton bytes and, by placeholder index, the payload regions of the source buffer. */
    record Stripped(byte[] skeleton, long[] offsets, int[] lengths) {}

    static ByteString placeholder(int index) {
        ByteBuffer b = ByteBuffer.allocate(PLACEHOLDER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC_0).putLong(MAGIC_1).putLong(index);
        return ByteString.copyFrom(b.array());
    }

    /** The placeholder index held in {@code raw}, or -1 if it is real data. */
    static int placeholderIndex(ByteString raw) {
        if (raw.size() != PLACEHOLDER_SIZE) return -1;
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC_0 || b.getLong(8) != MAGIC_1) return -1;
        return (int) b.getLong(16);
    }

    // ---- reading ---------------------------------------------------------------------------

    static Stripped strip(ByteBuffer file) throws WireException {
        Stripper s = new Stripper(file);
        Sink out = new Sink(Math.min(1 << 20, file.remaining() + 16));
        s.message(Kind.MODEL, file.position(), file.limit(), out, 0);
        return new Stripped(out.toArray(), Arrays.copyOf(s.offsets, s.count), Arrays.copyOf(s.lengths, s.count));
    }

    private static final class Stripper {
        final ByteBuffer in;
        long[] offsets = new long[64];
        int[] lengths = new int[64];
        int count;

        Stripper(ByteBuffer in) { this.in = in; }

        void message(Kind kind, int start, int end, Sink out, int depth) throws WireException {
            if (depth > MAX_DEPTH) throw new WireException("nesting too deep");
            Cursor c = new Cursor(in);
            c.pos = start;
            while (c.pos < end) {
                int fieldStart = c.pos;
                long tag = c.varint(end);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 0) throw new WireException("invalid tag (zero)");
                if (wire != 2) {
                    c.skip(wire, field, end, 0);
                    out.copy(in, fieldStart, c.pos);
                    continue;
                }
                int len = c.length(end);
                int dataStart = c.pos;
                int dataEnd = dataStart + len;
                Kind child = child(kind, field);
                if (child != null) {
                    Sink sub = new Sink(64);
                    message(child, dataStart, dataEnd, sub, depth + 1);
                    out.writeVarint(tag);
                    out.writeVarint(sub.size);
                    out.write(sub.buf, 0, sub.size);
                } else if (kind == Kind.TENSOR && field == 9 && len >= PLACEHOLDER_SIZE) {
                    if (count == offsets.length) {
                        offsets = Arrays.copyOf(offsets, count * 2);
                        lengths = Arrays.copyOf(lengths, count * 2);
                    }
                    offsets[count] = dataStart;
                    lengths[count] = len;
                    out.writeVarint(tag);
                    out.writeVarint(PLACEHOLDER_SIZE);
                    out.write(placeholder(count++).toByteArray(), 0, PLACEHOLDER_SIZE);
                } else {
                    out.copy(in, fieldStart, dataEnd);
                }
                c.pos = dataEnd;
            }
        }
    }

    private static Kind child(Kind parent, int field) {
        switch (parent) {
            case MODEL: return field == 7 ? Kind.GRAPH : null;
            case GRAPH:
                if (field == 1) return Kind.NODE;
                if (field == 5) return Kind.TENSOR;
                if (field == 15) return Kind.SPARSE;
                return null;
            case NODE: return field == 5 ? Kind.ATTRIBUTE : null;
            case ATTRIBUTE:
                if (field == 5 || field == 10) return Kind.TENSOR;
                if (field == 6 || field == 11) return Kind.GRAPH;
                if (field == 22 || field == 23) return Kind.SPARSE;
                return null;
            case SPARSE: return field == 1 || field == 2 ? Kind.TENSOR : null;
            default: return null;
        }
    }

    /** Reads varints and skips fields of {@code in}; {@code pos} is the next byte to read. */
    private static final class Cursor {
        final ByteBuffer in;
        int pos;

        Cursor(ByteBuffer in) { this.in = in; }

        long varint(int end) throws WireException {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new WireException("truncated message");
                byte b = in.get(pos++);
                result |= (long) (b & 0x7F) << shift;
                if (b >= 0) return result;
            }
            throw new WireException("malformed varint");
        }

        /** Length prefix of a delimited field; leaves {@code pos} at the data. */
        int length(int end) throws WireException {
            long len = varint(end);
            if (len < 0 || len > end - pos) throw new WireException("truncated message");
            return (int) len;
        }

        void skip(int wire, int field, int end, int depth) throws WireException {
            switch (wire) {
                case 0:
                    varint(end);
                    return;
                case 1:
                    if (end - pos < 8) throw new WireException("truncated message");
                    pos += 8;
                    return;
                case 5:
                    if (end - pos < 4) throw new WireException("truncated message");
                    pos += 4;
                    return;
                case 3:
                    if (depth > MAX_DEPTH) throw new WireException("nesting too deep");
                    while (true) {
                        long tag = varint(end);
                        int w = (int) (tag & 7);
                        int f = (int) (tag >>> 3);
                        if (w == 4) {
                            if (f != field) throw new WireException("mismatched end-group tag");
                            return;
                        }
                        if (w == 2) {
                            pos += length(end);
                        } else {
                            skip(w, f, end, depth + 1);
                        }
                    }
                case 4:
                    throw new WireException("unexpected end-group tag");
                default:
                    throw new WireException("invalid wire type " + wire);
            }
        }
    }

    // ---- writing ---------------------------------------------------------------------------

    /** Serialized size of {@code skeleton} once every placeholder is replaced by its payload. */
    static long expandedSize(byte[] skeleton, List<ByteBuffer> payloads) throws WireException {
        ByteBuffer in = ByteBuffer.wrap(skeleton);
        return new Expander(in, payloads).size(Kind.MODEL, 0, skeleton.length);
    }

    /** Streams the expanded model to {@code out}. */
    static void expand(byte[] skeleton, List<ByteBuffer> payloads, WritableByteChannel out)
            throws WireException, IOException {
        ByteBuffer in = ByteBuffer.wrap(skeleton);
        ChannelSink sink = new ChannelSink(out);
        new Expander(in, payloads).write(Kind.MODEL, 0, skeleton.length, sink);
        sink.flush();
    }

    private static final class Expander {
        final ByteBuffer in;
        final List<ByteBuffer> payloads;

        Expander(ByteBuffer in, List<ByteBuffer> payloads) {
            this.in = in;
            this.payloads = payloads;
        }

        long size(Kind kind, int start, int end) throws WireException {
            long total = 0;
            Cursor c = new Cursor(in);
            c.pos = start;
            while (c.pos < end) {
                int fieldStart = c.pos;
                long tag = c.varint(end);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (wire != 2) {
                    c.skip(wire, field, end, 0);
                    total += c.pos - fieldStart;
                    continue;
                }
                int len = c.length(end);
                int dataStart = c.pos;
                Kind child = child(kind, field);
                long body;
                if (child != null) {
                    body = size(child, dataStart, dataStart + len);
                } else if (kind == Kind.TENSOR && field == 9 && len == PLACEHOLDER_SIZE) {
                    body = payload(dataStart).remaining();
                } else {
                    body = len;
                }
                total += varintSize(tag) + varintSize(body) + body;
                c.pos = dataStart + len;
            }
            return total;
        }

        void write(Kind kind, int start, int end, ChannelSink out) throws WireException, IOException {
            Cursor c = new Cursor(in);
            c.pos = start;
            while (c.pos < end) {
                int fieldStart = c.pos;
                long tag = c.varint(end);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (wire != 2) {
                    c.skip(wire, field, end, 0);
                    out.write(in, fieldStart, c.pos);
                    continue;
                }
                int len = c.length(end);
                int dataStart = c.pos;
                int dataEnd = dataStart + len;
                Kind child = child(kind, field);
                if (child != null) {
                    out.writeVarint(tag);
                    out.writeVarint(size(child, dataStart, dataEnd));
                    write(child, dataStart, dataEnd, out);
                } else if (kind == Kind.TENSOR && field == 9 && len == PLACEHOLDER_SIZE) {
                    ByteBuffer p = payload(dataStart);
                    out.writeVarint(tag);
                    out.writeVarint(p.remaining());
                    out.writeBuffer(p);
                } else {
                    out.write(in, fieldStart, dataEnd);
                }
                c.pos = dataEnd;
            }
        }

        private ByteBuffer payload(int placeholderStart) throws WireException {
            byte[] ph = new byte[PLACEHOLDER_SIZE];
            in.get(placeholderStart, ph);
            int index = placeholderIndex(ByteString.copyFrom(ph));
            if (index < 0 || index >= payloads.size()) throw new WireException("dangling raw_data placeholder");
            return payloads.get(index).duplicate();
        }
    }

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** A growable byte array. */
    private static final class Sink {
        byte[] buf;
        int size;

        Sink(int capacity) { buf = new byte[Math.max(16, capacity)]; }

        void ensure(int extra) {
            if (size + extra > buf.length) {
                long want = Math.max((long) buf.length * 2, (long) size + extra);
                if (want > Integer.MAX_VALUE - 16) want = Integer.MAX_VALUE - 16;
                buf = Arrays.copyOf(buf, (int) want);
            }
        }

        void writeVarint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        void copy(ByteBuffer src, int from, int to) {
            ensure(to - from);
            src.get(from, buf, size, to - from);
            size += to - from;
        }

        byte[] toArray() { return Arrays.copyOf(buf, size); }
    }

    /** Buffered channel writer; large payload buffers go to the channel directly. */
    private static final class ChannelSink {
        private final WritableByteChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);

        ChannelSink(WritableByteChannel ch) { this.ch = ch; }

        void writeVarint(long v) throws IOException {
            if (buf.remaining() < 10) flush();
            while ((v & ~0x7FL) != 0) {
                buf.put((byte) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.put((byte) v);
        }

        void write(ByteBuffer src, int from, int to) throws IOException {
            writeBuffer(src.duplicate().limit(to).position(from));
        }

        void writeBuffer(ByteBuffer b) throws IOException {
            if (b.remaining() <= buf.remaining()) {
                buf.put(b);
                return;
            }
            flush();
            if (b.remaining() <= buf.capacity() / 2) {
                buf.put(b);
                return;
            }
            while (b.hasRemaining()) ch.write(b);
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }
    }
}
