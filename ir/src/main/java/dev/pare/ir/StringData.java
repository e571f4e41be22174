package dev.pare.ir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A string tensor: each element is an arbitrary byte string (ONNX strings need not be UTF-8). */
public final class StringData extends TensorData {

    private final List<byte[]> elements;

    public StringData(TensorType type, List<byte[]> elements, Map<String, String> annotations) {
        super(type, annotations);
        if (type.dtype() != DType.STRING) throw new IllegalArgumentException("not a string type: " + type);
        if (elements.size() != type.elementCount()) {
            throw new IllegalArgumentException("string tensor " + type + " needs " + type.elementCount()
                    + " elements, got " + elements.size());
        }
        List<byte[]> copy = new ArrayList<>(elements.size());
        for (byte[] e : elements) copy.add(e.clone());
        this.elements = List.copyOf(copy);
    }

    public int size() { return elements.size(); }

    public byte[] element(int i) { return elements.get(i).clone(); }

    @Override public StringData withAnnotations(Map<String, String> annotations) {
        return new StringData(type(), elements, annotations);
    }

    /** Length-prefixed concatenation, used only for digests. */
    @Override public long byteSize() {
        long n = 0;
        for (byte[] e : elements) n += 4 + e.length;
        return n;
    }

    @Override public ByteBuffer bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] e : elements) {
            out.write(e.length >>> 24); out.write(e.length >>> 16); out.write(e.length >>> 8); out.write(e.length);
            out.writeBytes(e);
        }
        return ByteBuffer.wrap(out.toByteArray()).asReadOnlyBuffer();
    }
}
