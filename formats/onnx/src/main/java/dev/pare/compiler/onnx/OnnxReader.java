package dev.pare.compiler.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads an ONNX file: maps it, strips the tensor payloads (see {@link WireSkeleton}), parses the
 * small rest with the generated classes and builds the IR. Weights stay in the mapping.
 */
final class OnnxReader {

    private OnnxReader() {}

    static Model read(Path file) throws ModelFormatException {
        if (java.nio.file.Files.exists(file) && !java.nio.file.Files.isRegularFile(file)) {
            // Opening a FIFO would wait for a writer; a device has no size to map.
            throw new ModelFormatException(file, "not an ONNX model: not a regular file (a directory, device, FIFO or socket)");
        }
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new ModelFormatException(file, "not an ONNX model: the file is empty");
            if (size > Integer.MAX_VALUE) {
                // protobuf cannot encode more: the weights of such a model must live in external data
                throw new ModelFormatException(file, "the file is " + size + " bytes, over the 2 GiB protobuf limit ("
                        + Integer.MAX_VALUE + " bytes) an ONNX model file can hold; its weights must be stored as "
                        + "external data (re-save it with onnx.save_model(model, path, save_as_external_data=True))");
            }
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "file not found");
        } catch (AccessDeniedException e) {
            throw new ModelFormatException(file, "permission denied");
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + oneLine(e), e);
        }
        WireSkeleton.Stripped stripped;
        try {
            stripped = WireSkeleton.strip(map);
        } catch (WireSkeleton.WireException e) {
            throw new ModelFormatException(file, "not an ONNX model: protobuf parse failed (" + e.getMessage() + ")");
        }
        ModelProto proto;
        try {
            CodedInputStream in = CodedInputStream.newInstance(stripped.skeleton());
            in.setRecursionLimit(1000);
            proto = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(file, "not an ONNX model: protobuf parse failed (" + reason(e) + ")");
        } catch (IOException e) {
            throw new ModelFormatException(file, "not an ONNX model: protobuf parse failed (" + oneLine(e) + ")");
        }
        Path dir = file.toAbsolutePath().getParent();
        ExternalDataResolver external = new ExternalDataResolver(dir);
        TensorCodec.Sources sources = new TensorCodec.Sources() {
            @Override public ByteBuffer rawRegion(int index) {
                if (index >= stripped.offsets().length) throw new OnnxInputError("corrupt raw_data placeholder");
                int from = (int) stripped.offsets()[index];
                return map.duplicate().limit(from + stripped.lengths()[index]).position(from).slice();
            }

            @Override public ExternalDataResolver external() { return external; }
        };
        try {
            return new OnnxImporter(file.getFileName().toString(), sources).importModel(proto);
        } catch (OnnxInputError e) {
            throw new ModelFormatException(file, e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            throw new ModelFormatException(file, "invalid model: " + oneLine(e));
        }
    }

    static String reason(InvalidProtocolBufferException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("ended unexpectedly") || m.contains("truncated")) return "truncated message";
        if (m.contains("invalid tag")) return "invalid tag (zero)";
        if (m.contains("end-group tag")) return "mismatched end-group tag";
        if (m.contains("invalid wire type")) return "invalid wire type";
        if (m.contains("malformed varint")) return "malformed varint";
        if (m.contains("negative size")) return "negative length";
        if (m.contains("nesting")) return "nesting too deep";
        return oneLine(e);
    }

    static String oneLine(Exception e) {
        // a java.nio.file exception's message is often only its path: IoMessages adds what went wrong
        String m = e instanceof IOException io ? dev.pare.compiler.io.IoMessages.describe(io)
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
