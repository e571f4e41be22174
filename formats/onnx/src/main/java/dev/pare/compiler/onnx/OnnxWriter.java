package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.io.TempFiles;
import dev.pare.ir.DenseData;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a model as ONNX. The proto is built with placeholders for tensor payloads and streamed
 * with the payloads written straight from their buffers (mapped input regions stay off the heap).
 *
 * <p>External data goes to one {@code <file name>.data} next to the output, each tensor at a
 * 4096-byte aligned offset (what ONNX Runtime wants to map it), copied in chunks from its source
 * ({@link dev.pare.ir.TensorData#writeTo}). Which tensors go there is an {@link ExternalDataPolicy}:
 * tensors that were external stay external; graph initializers of at least the threshold go there
 * too when a pass made them, or when the threshold was given explicitly, or when the file would
 * otherwise pass the 2 GiB protobuf limit. A tensor one buffer cannot hold is always external. When
 * nothing is external, a {@code <file name>.data} left by an earlier output of the same name is
 * removed, so the output never comes with stale data (the compiler's {@code OutputPlan} lists
 * that file, so it is replaced only with {@code --force}).
 *
 * <p>Everything goes to temporary siblings first and is moved into place, so a failure leaves no
 * output behind. The model is checked ({@link OnnxModelChecker}) before anything is written: an
 * invalid model is refused and no file is created.
 */
final class OnnxWriter {

    static final int ALIGNMENT = 4096;

    /** protobuf's limit on one message: an ONNX file without external data cannot be larger. */
    static final long PROTOBUF_LIMIT = Integer.MAX_VALUE;

    private OnnxWriter() {}

    /**
     * Which tensors that are not external yet are written to external data.
     *
     * @param threshold   tensors of at least this many bytes may go
     * @param everyTensor whether tensors read inline go too (else only those a pass made)
     */
    record ExternalDataPolicy(long threshold, boolean everyTensor) {

        /** The model's {@link OnnxKeys#EXTERNAL_DATA_THRESHOLD} (every tensor), else the default (new tensors only). */
        static ExternalDataPolicy of(Model model) {
            String text = model.properties().get(OnnxKeys.EXTERNAL_DATA_THRESHOLD);
            if (text == null) return new ExternalDataPolicy(OnnxFormat.DEFAULT_EXTERNAL_DATA_THRESHOLD, false);
            try {
                long t = Long.parseLong(text.trim());
                if (t >= 0) return new ExternalDataPolicy(t, true);
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("model property " + OnnxKeys.EXTERNAL_DATA_THRESHOLD + " = '" + text
                    + "' is not a byte count");
        }

        boolean moves(DenseData data, String storage, boolean initializer) {
            if (data.byteSize() > Integer.MAX_VALUE) return true;   // raw_data cannot hold it
            return initializer && data.byteSize() >= threshold && (everyTensor || storage == null);
        }
    }

    private record Region(DenseData data, long offset) {}

    /** Collects payloads while the exporter builds the skeleton. */
    private static final class PayloadSink implements TensorCodec.Sink {
        final List<ByteBuffer> payloads = new ArrayList<>();
        final List<Region> external = new ArrayList<>();
        final String dataFileName;
        final ExternalDataPolicy policy;
        long end;

        PayloadSink(String dataFileName, ExternalDataPolicy policy) {
            this.dataFileName = dataFileName;
            this.policy = policy;
        }

        @Override public void raw(TensorProto.Builder b, DenseData data) {
            if (data.byteSize() < WireSkeleton.PLACEHOLDER_SIZE) {
                b.setRawData(ByteString.copyFrom(data.bytes()));
            } else {
                b.setRawData(WireSkeleton.placeholder(payloads.size()));
                payloads.add(data.bytes());
            }
        }

        @Override public boolean toExternal(DenseData data, String storage, boolean initializer) {
            return policy.moves(data, storage, initializer);
        }

        @Override public void external(TensorProto.Builder b, DenseData data, List<StringStringEntryProto> extra) {
            long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            b.addExternalData(entry("location", dataFileName));
            b.addExternalData(entry("offset", Long.toString(offset)));
            b.addExternalData(entry("length", Long.toString(data.byteSize())));
            b.addAllExternalData(extra);
            b.setDataLocation(TensorProto.DataLocation.EXTERNAL);
            external.add(new Region(data, offset));
            end = offset + data.byteSize();
        }

        private static StringStringEntryProto entry(String k, String v) {
            return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
        }
    }

    /** The serialized skeleton, its size once expanded, and where its payloads come from. */
    private record Built(byte[] skeleton, long size, PayloadSink sink) {}

    static void write(Model model, Path target) throws ModelFormatException {
        write(model, target, proto -> proto);
    }

    /** Where the external data of a model written to {@code target} goes: {@code <file name>.data} next to it. */
    static Path dataFile(Path target) {
        Path absolute = target.toAbsolutePath();
        return target.resolveSibling(absolute.getFileName() + ".data");
    }

    /** As {@link #write(Model, Path)}, with {@code edit} applied to the proto skeleton (payloads are placeholders). */
    static void write(Model model, Path target, java.util.function.UnaryOperator<ModelProto> edit) throws ModelFormatException {
        write(model, target, edit, PROTOBUF_LIMIT);
    }

    /** As above with a lower file size limit than protobuf's, so tests reach the fallback with small models. */
    static void write(Model model, Path target, java.util.function.UnaryOperator<ModelProto> edit, long limit)
            throws ModelFormatException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        String fileName = absolute.getFileName().toString();
        String dataFileName = dataFile(target).getFileName().toString();
        Built built;
        try {
            ExternalDataPolicy policy = ExternalDataPolicy.of(model);
            built = build(model, edit, new PayloadSink(dataFileName, policy), target);
            if (built.size() > limit && !policy.everyTensor()) {
                // Too large inline: every initializer over the threshold goes to external data instead.
                built = build(model, edit, new PayloadSink(dataFileName, new ExternalDataPolicy(policy.threshold(), true)), target);
            }
            if (built.size() > limit) {
                throw new ModelFormatException(target, "cannot write ONNX: the model file would be " + built.size()
                        + " bytes even with every initializer of " + policy.threshold()
                        + " bytes or more in external data, over the 2 GiB protobuf limit; lower --external-data-threshold");
            }
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            throw new ModelFormatException(target, "cannot write ONNX: " + OnnxReader.oneLine(e), e);
        } catch (IOException | WireSkeleton.WireException e) {
            throw new ModelFormatException(target, "cannot write ONNX: " + OnnxReader.oneLine(e), e);
        }
        PayloadSink sink = built.sink();
        if (dir == null || !Files.exists(dir)) {
            throw new ModelFormatException(target, "cannot write: folder " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) throw new ModelFormatException(target, "cannot write: " + dir + " is not a folder");
        Path modelTemp = null;
        Path dataTemp = null;
        Path dataTarget = dir.resolve(dataFileName);
        boolean dataMoved = false;
        try {
            if (!sink.external.isEmpty()) {
                dataTemp = createTemp(dir, dataFileName);
                writeData(sink.external, dataTemp);
            }
            modelTemp = createTemp(dir, fileName);
            try (FileChannel ch = FileChannel.open(modelTemp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                WireSkeleton.expand(built.skeleton(), sink.payloads, ch);
            }
            if (dataTemp != null) {
                move(dataTemp, dataTarget);
                dataTemp = null;
                dataMoved = true;
            }
            move(modelTemp, absolute);
            modelTemp = null;
            if (!dataMoved && Files.isRegularFile(dataTarget, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(dataTarget);   // an earlier output's data; this one has none
            }
        } catch (AccessDeniedException e) {
            throw new ModelFormatException(target, "cannot write: permission denied in " + dir);
        } catch (NoSuchFileException e) {
            // The folder was there when checked: the file system refuses new files (e.g. /proc).
            throw new ModelFormatException(target, Files.isDirectory(dir)
                    ? "cannot write: cannot create files in " + dir + " (the file system does not allow it)"
                    : "cannot write: folder " + dir + " does not exist");
        } catch (IOException | WireSkeleton.WireException | UncheckedIOException | IllegalStateException e) {
            throw new ModelFormatException(target, "cannot write: " + OnnxReader.oneLine(e), e);
        } finally {
            deleteQuietly(modelTemp);
            deleteQuietly(dataTemp);
            if (dataMoved && modelTemp != null) deleteQuietly(dataTarget);
            TempFiles.release(modelTemp);
            TempFiles.release(dataTemp);
        }
    }

    /** Exports and serializes the skeleton with {@code sink}'s placement, checked before anything is written. */
    private static Built build(Model model, java.util.function.UnaryOperator<ModelProto> edit, PayloadSink sink,
                               Path target) throws ModelFormatException, IOException, WireSkeleton.WireException {
        ModelProto proto = edit.apply(new OnnxExporter(sink).export(model));
        rejectInvalid(proto, target);
        byte[] skeleton = new byte[proto.getSerializedSize()];
        CodedOutputStream cos = CodedOutputStream.newInstance(skeleton);
        cos.useDeterministicSerialization();
        proto.writeTo(cos);
        cos.checkNoSpaceLeft();
        return new Built(skeleton, WireSkeleton.expandedSize(skeleton, sink.payloads), sink);
    }

    /**
     * Refuses a model ONNX Runtime would refuse, before any file is created: the skeleton is exactly
     * what gets written, less the tensor payloads.
     */
    private static void rejectInvalid(ModelProto proto, Path target) throws ModelFormatException {
        List<String> problems = OnnxModelChecker.check(proto);
        if (problems.isEmpty()) return;
        String more = problems.size() == 1 ? "" : " (and " + (problems.size() - 1) + " more problem"
                + (problems.size() == 2 ? "" : "s") + ")";
        throw new ModelFormatException(target, "cannot write ONNX: the model would be invalid: " + problems.get(0) + more);
    }

    private static void writeData(List<Region> regions, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long pos = 0;
            for (Region r : regions) {
                if (r.offset() > pos) {
                    ByteBuffer zeros = ByteBuffer.allocate((int) (r.offset() - pos));
                    while (zeros.hasRemaining()) ch.write(zeros);
                }
                r.data().writeTo(ch);   // in chunks, straight from the tensor's mapping or buffer
                pos = r.offset() + r.data().byteSize();
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: the original error matters more
        }
    }

    /**
     * A temporary sibling that becomes the output by a rename: with output permissions, not
     * owner-only, and registered so that an interrupted run removes it ({@link TempFiles}).
     */
    private static Path createTemp(Path dir, String finalName) throws java.io.IOException {
        return TempFiles.createFile(dir, "." + finalName + ".", ".tmp");
    }
}
