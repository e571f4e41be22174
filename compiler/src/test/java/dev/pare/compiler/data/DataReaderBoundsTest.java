package dev.pare.compiler.data;

import static dev.pare.compiler.data.NpyBytes.npy;
import static dev.pare.compiler.data.NpyBytes.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pare.ir.Value;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibration data, labels and preprocessing specs: declared sizes are checked before anything is allocated. */
class DataReaderBoundsTest {

    @TempDir Path dir;

    private static final List<Value> IMAGE = ModelInputs.of("x:f32[N,1,2,2]");

    private String openError(Path path, String spec) {
        return assertThrows(DataException.class, () -> CalibrationDataReaders.open(path, spec, IMAGE).close()).getMessage();
    }

    /** A file of {@code size} bytes that takes no disk space (a hole). */
    private Path sparseFile(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    @Test
    void npyShapeWhoseSizeOverflows() throws IOException {
        Path f = write(dir.resolve("huge.npy"), npy("<f4", "(4294967296, 4294967296, 16)", new byte[0]));
        assertEquals(f + ": .npy shape [4294967296, 4294967296, 16] overflows 64 bits", openError(f, null));
    }

    @Test
    void npyDeclaringMoreThanTheFileHolds() throws IOException {
        Path f = write(dir.resolve("short.npy"), npy("<f4", "(40000, 40000)", new byte[16]));
        assertEquals(f + ": .npy float32 [40000,40000] needs 6400000000 data bytes, the file has 16", openError(f, null));
    }

    @Test
    void npyHeaderLongerThanTheLimit() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {2, 0, 0, 0, 0x10, 0}); // version 2.0, header of 1 MiB
        Path f = write(dir.resolve("long.npy"), out.toByteArray());
        assertEquals(f + ": .npy header of 1048576 bytes is larger than the limit of 65536 bytes", openError(f, null));
    }

    @Test
    void rawDataShapeWhoseSizeOverflows() throws IOException {
        Path f = write(dir.resolve("data.f32"), new byte[16]);
        assertEquals(f + ": the size of float32 [-1,4294967296,4294967296,16] overflows 64 bits",
                openError(f, "-1,4294967296,4294967296,16"));
    }

    @Test
    void imageDeclaringTooManyPixelsIsNotDecoded() throws Exception {
        Path png = Files.write(dir.resolve("huge.png"), pngHeader(100_000, 100_000));
        assertEquals(png + ": image of 100000x100000 pixels is larger than the limit of 67108864 pixels", openError(png, null));
    }

    @Test
    void labelsLargerThanTheLimitOrNotAFile() throws IOException {
        Path big = sparseFile("labels.txt", Labels.MAX_FILE_BYTES + 1);
        assertEquals(big + ": cannot read the labels: it is larger than the limit of 64 MiB",
                assertThrows(DataException.class, () -> Labels.read(big)).getMessage());
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertEquals("/dev/zero: cannot read the labels: it is not a regular file (a device, FIFO or socket)",
                assertThrows(DataException.class, () -> Labels.read(zero)).getMessage());
    }

    @Test
    void deviceIsNotOpenedAsCalibrationData() {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertEquals("/dev/zero: not a regular file or folder (a device, FIFO or socket)", openError(zero, null));
    }

    @Test
    void preprocessingSpecFileLargerThanTheLimit() throws IOException {
        Path big = sparseFile("spec.txt", ImagePreprocess.MAX_SPEC_FILE_BYTES + 1);
        assertEquals(big + ": cannot read the preprocessing spec: it is larger than the limit of 64 KiB",
                assertThrows(DataException.class, () -> ImagePreprocess.parse("@" + big, IMAGE.get(0))).getMessage());
    }

    /** The signature and IHDR chunk of a PNG of the given size, and nothing else: enough for the reader to tell its size. */
    static byte[] pngHeader(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        data.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.writeBytes("IHDR");
        c.writeInt(width);
        c.writeInt(height);
        c.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter, no interlace
        byte[] body = chunk.toByteArray();
        data.writeInt(body.length - 4);
        data.write(body);
        CRC32 crc = new CRC32();
        crc.update(body);
        data.writeInt((int) crc.getValue());
        return out.toByteArray();
    }
}
