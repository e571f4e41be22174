package dev.pare.compiler.data;

import dev.pare.ir.DType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a numpy {@code .npy} file (format versions 1, 2 and 3): element type, shape and
 * where the C-order element bytes start. Only little-endian (or single-byte) numeric and bool
 * arrays in C order are accepted.
 *
 * @param dataOffset bytes from the start of the file to the first element
 */
public record NpyHeader(DType dtype, long[] shape, long dataOffset) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Longest header text accepted (numpy itself writes a few hundred bytes at most). */
    public static final int MAX_HEADER_BYTES = 1 << 16;

    /** The element count (1 for a 0-d array). */
    public long elements() {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** The byte size of the element data. */
    public long dataBytes() { return dtype.byteSize(elements()); }

    /** Whether {@code head} (at least 6 bytes) starts with the npy magic string. */
    public static boolean hasMagic(byte[] head) {
        if (head.length < MAGIC.length) return false;
        for (int i = 0; i < MAGIC.length; i++) if (head[i] != MAGIC[i]) return false;
        return true;
    }

    /**
     * Reads the header from the start of {@code in}, leaving the stream at the first element.
     *
     * @param where the file (or zip entry) for messages
     */
    public static NpyHeader read(InputStream in, String where) throws IOException {
        byte[] magic = readFully(in, 8, where);
        if (!hasMagic(magic)) throw new DataException(where + ": not a .npy file (no \\x93NUMPY magic)");
        int major = magic[6] & 0xFF;
        int minor = magic[7] & 0xFF;
        int headerLength;
        int prefix;
        if (major == 1) {
            byte[] b = readFully(in, 2, where);
            headerLength = (b[0] & 0xFF) | (b[1] & 0xFF) << 8;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            byte[] b = readFully(in, 4, where);
            long len = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
            if (len > MAX_HEADER_BYTES) {
                throw new DataException(where + ": .npy header of " + len + " bytes is larger than the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            headerLength = (int) len;
            prefix = 12;
        } else {
            throw new DataException(where + ": .npy format version " + major + "." + minor + " is not supported (1, 2 or 3)");
        }
        byte[] text = readFully(in, headerLength, where);
        String header = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new Literal(header).dict();
        } catch (IllegalArgumentException e) {
            throw new DataException(where + ": bad .npy header: " + e.getMessage() + " in " + header.strip());
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shape = dict.get("shape");
        if (!(descr instanceof String d)) throw new DataException(where + ": .npy header has no 'descr' string (structured arrays are not supported)");
        if (!(fortran instanceof Boolean f)) throw new DataException(where + ": .npy header has no 'fortran_order'");
        if (!(shape instanceof List<?> dims)) throw new DataException(where + ": .npy header has no 'shape' tuple");
        if (f) throw new DataException(where + ": .npy array is in Fortran order; save it in C order (np.ascontiguousarray)");
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) s[i] = (Long) dims.get(i);
        NpyHeader h = new NpyHeader(dtype(d, where), s, prefix + (long) headerLength);
        try {
            h.dataBytes();
        } catch (ArithmeticException e) {
            throw new DataException(where + ": .npy shape " + java.util.Arrays.toString(s) + " overflows 64 bits");
        }
        return h;
    }

    /** The numpy type string, e.g. {@code <f4}, as a dtype. */
    static DType dtype(String descr, String where) throws DataException {
        if (descr.length() < 3) throw new DataException(where + ": unsupported .npy dtype '" + descr + "'");
        char order = descr.charAt(0);
        String kind = descr.substring(1);
        DType d = switch (kind) {
            case "f2" -> DType.FLOAT16;
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            case "i1" -> DType.INT8;
            case "i2" -> DType.INT16;
            case "i4" -> DType.INT32;
            case "i8" -> DType.INT64;
            case "u1" -> DType.UINT8;
            case "u2" -> DType.UINT16;
            case "u4" -> DType.UINT32;
            case "u8" -> DType.UINT64;
            case "b1" -> DType.BOOL;
            default -> null;
        };
        if (d == null) throw new DataException(where + ": unsupported .npy dtype '" + descr + "'");
        boolean single = d.bits() == 8;
        if (order == '>' && !single) {
            throw new DataException(where + ": big-endian .npy dtype '" + descr + "' is not supported; save it little-endian (astype('<" + kind + "'))");
        }
        if (order != '<' && order != '|' && order != '=' && !(order == '>' && single)) {
            throw new DataException(where + ": unsupported .npy dtype '" + descr + "'");
        }
        return d;
    }

    private static byte[] readFully(InputStream in, int n, String where) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new DataException(where + ": truncated .npy header", new EOFException());
        return b;
    }

    /** Just enough of Python's literal syntax for npy headers: dicts, strings, booleans, int tuples. */
    private static final class Literal {
        private final String s;
        private int i;

        Literal(String s) { this.s = s; }

        Map<String, Object> dict() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') { i++; break; }
                String key = string();
                expect(':');
                m.put(key, value());
                skipSpace();
                if (peek() == ',') { i++; continue; }
                expect('}');
                break;
            }
            skipSpace();
            if (i != s.length()) throw new IllegalArgumentException("unexpected text after the dict");
            return m;
        }

        private Object value() {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (c == '[') throw new IllegalArgumentException("structured dtype");
            throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
        }

        private List<Long> tuple() {
            List<Long> out = new ArrayList<>();
            expect('(');
            while (true) {
                skipSpace();
                if (peek() == ')') { i++; return out; }
                out.add(integer());
                skipSpace();
                if (peek() == ',') { i++; continue; }
                expect(')');
                return out;
            }
        }

        private long integer() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            // Python 2 era files wrote 3L
            if (i == start) throw new IllegalArgumentException("expected a dimension at " + start);
            long v = Long.parseLong(s.substring(start, i));
            if (i < s.length() && s.charAt(i) == 'L') i++;
            return v;
        }

        private String string() {
            skipSpace();
            char q = peek();
            if (q != '\'' && q != '"') throw new IllegalArgumentException("expected a string at " + i);
            int end = s.indexOf(q, i + 1);
            if (end < 0) throw new IllegalArgumentException("unterminated string");
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) throw new IllegalArgumentException("expected '" + c + "' at " + i);
            i++;
        }

        private char peek() {
            if (i >= s.length()) throw new IllegalArgumentException("header ends early");
            return s.charAt(i);
        }

        private void skipSpace() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }
    }
}
