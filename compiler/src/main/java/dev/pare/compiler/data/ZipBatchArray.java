package dev.pare.compiler.data;

import dev.pare.ir.DType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * One {@code .npy} member of an {@code .npz}. Samples are read through a stream that stays open,
 * so reading them in order decompresses each byte once; going back re-opens the member.
 */
final class ZipBatchArray implements BatchArray {

    private final ZipFile zip;
    private final ZipEntry entry;
    private final String where;
    private final NpyHeader header;
    private final int sliceBytes;
    private InputStream stream;
    private int next;

    ZipBatchArray(ZipFile zip, ZipEntry entry, String where) throws IOException {
        this.zip = zip;
        this.entry = entry;
        this.where = where;
        try (InputStream in = zip.getInputStream(entry)) {
            this.header = NpyHeader.read(in, where);
        } catch (ZipException | EOFException e) {
            throw damaged(e);
        }
        BatchArray.checkSampleAxis(where, header.shape());
        long size = entry.getSize();
        if (size >= 0 && size != header.dataOffset() + header.dataBytes()) {
            throw new DataException(where + ": .npy " + DTypeNames.describe(header.dtype(), header.shape()) + " needs "
                    + header.dataBytes() + " data bytes, the member has " + (size - header.dataOffset()));
        }
        this.sliceBytes = sliceBytes();
    }

    @Override public String where() { return where; }

    @Override public DType dtype() { return header.dtype(); }

    @Override public long[] shape() { return header.shape().clone(); }

    @Override public synchronized byte[] read(int index) throws IOException {
        byte[] b;
        try {
            if (stream == null || index < next) {
                if (stream != null) stream.close();
                stream = zip.getInputStream(entry);
                stream.skipNBytes(header.dataOffset());
                next = 0;
            }
            stream.skipNBytes((long) (index - next) * sliceBytes);
            b = stream.readNBytes(sliceBytes);
        } catch (EOFException e) {
            b = new byte[0];
        } catch (ZipException e) {
            throw damaged(e);
        }
        if (b.length != sliceBytes) throw new DataException(where + ": ends inside sample " + index);
        next = index + 1;
        return b;
    }

    /** A zip error while reading the member (a bad local header, corrupt or cut deflate data). */
    private DataException damaged(IOException e) {
        return new DataException(where + ": damaged .npz member: " + (e.getMessage() == null ? "truncated" : e.getMessage()), e);
    }

    @Override public synchronized void close() throws IOException {
        if (stream != null) stream.close();
        stream = null;
    }
}
