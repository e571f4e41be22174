package dev.pare.compiler.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;

/** Finds the first difference between two messages, for readable assertion failures. */
public final class ProtoDiff {

    private ProtoDiff() {}

    /** Null if equal, else the path of the first differing field and both values (shortened). */
    public static String firstDifference(Message a, Message b) {
        return diff(a, b, a.getDescriptorForType().getName());
    }

    private static String diff(Message a, Message b, String path) {
        if (a.equals(b)) return null;
        for (FieldDescriptor fd : a.getDescriptorForType().getFields()) {
            String p = path + "." + fd.getName();
            if (fd.isRepeated()) {
                List<?> la = (List<?>) a.getField(fd);
                List<?> lb = (List<?>) b.getField(fd);
                for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                    String d = value(la.get(i), lb.get(i), p + "[" + i + "]");
                    if (d != null) return d;
                }
                if (la.size() != lb.size()) return p + ": " + la.size() + " vs " + lb.size() + " entries";
            } else {
                if (a.hasField(fd) != b.hasField(fd)) {
                    return p + ": present " + a.hasField(fd) + " vs " + b.hasField(fd) + " ("
                            + shorten(a.getField(fd)) + " / " + shorten(b.getField(fd)) + ")";
                }
                String d = value(a.getField(fd), b.getField(fd), p);
                if (d != null) return d;
            }
        }
        if (!a.getUnknownFields().equals(b.getUnknownFields())) {
            return path + ": unknown fields " + a.getUnknownFields().asMap().keySet() + " vs " + b.getUnknownFields().asMap().keySet();
        }
        return path + ": differs";
    }

    private static String value(Object a, Object b, String path) {
        if (a instanceof Message ma && b instanceof Message mb) return diff(ma, mb, path);
        if (a.equals(b)) return null;
        return path + ": " + shorten(a) + " vs " + shorten(b);
    }

    private static String shorten(Object o) {
        String s = o instanceof ByteString bs ? "bytes[" + bs.size() + "]" : String.valueOf(o);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
