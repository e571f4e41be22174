package dev.pare.compiler.onnx;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The difference between a message as read and the message the writer would rebuild from the IR
 * (the "canonical" form): the fields to clear and a residual message to merge in afterwards.
 * Everything the IR does not model (unknown fields, doc strings on attributes, a field present
 * with its default value, a non-UTF-8 string, ...) ends up here, so a read-write round trip
 * reproduces the input exactly. Encoded as {@code "<field numbers to clear>|<base64 residual>"}.
 */
final class ProtoPatch {

    private ProtoPatch() {}

    /**
     * The patch turning {@code canonical} into {@code original}, ignoring the fields numbered in
     * {@code ignored}; null if they already agree.
     */
    static String diff(Message original, Message canonical, Set<Integer> ignored) {
        Message.Builder residual = original.newBuilderForType();
        List<Integer> clear = new ArrayList<>();
        boolean any = false;
        for (FieldDescriptor fd : original.getDescriptorForType().getFields()) {
            if (ignored.contains(fd.getNumber())) continue;
            if (fd.isRepeated()) {
                if (!original.getField(fd).equals(canonical.getField(fd))) {
                    clear.add(fd.getNumber());
                    residual.setField(fd, original.getField(fd));
                    any = true;
                }
                continue;
            }
            boolean ho = original.hasField(fd);
            boolean hc = canonical.hasField(fd);
            if (!ho && !hc) continue;
            if (ho && hc && original.getField(fd).equals(canonical.getField(fd))) continue;
            any = true;
            if (!ho) {
                clear.add(fd.getNumber());
            } else {
                if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) clear.add(fd.getNumber());
                residual.setField(fd, original.getField(fd));
            }
        }
        if (!original.getUnknownFields().asMap().isEmpty()) {
            residual.setUnknownFields(original.getUnknownFields());
            any = true;
        }
        if (!any) return null;
        String fields = clear.stream().map(String::valueOf).collect(Collectors.joining(","));
        return fields + "|" + Base64.getEncoder().encodeToString(residual.build().toByteArray());
    }

    /** Applies a patch made by {@link #diff} to {@code builder}; null does nothing. */
    static void apply(Message.Builder builder, String patch) {
        if (patch == null || patch.isEmpty()) return;
        int bar = patch.indexOf('|');
        if (bar < 0) throw new IllegalArgumentException("malformed ONNX patch metadata");
        if (bar > 0) {
            for (String n : patch.substring(0, bar).split(",")) {
                FieldDescriptor fd = builder.getDescriptorForType().findFieldByNumber(Integer.parseInt(n));
                if (fd != null) builder.clearField(fd);
            }
        }
        try {
            builder.mergeFrom(Base64.getDecoder().decode(patch.substring(bar + 1)));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed ONNX patch metadata", e);
        }
    }
}
