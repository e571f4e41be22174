package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.spi.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BlobFileTest {

    @TempDir Path tmp;

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    /** Reading every blob and writing them back in order reproduces coremltools' file byte for byte. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void rewriteReproducesCoremltoolsWeightBin(Row row) throws Exception {
        Path original = CoreMlFixtures.weightBin(row);
        BlobFile in = BlobFile.open(original);
        List<BlobMetadata> blobs = in.blobs();
        assertEquals(in.count(), blobs.size());
        List<DenseData> tensors = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        for (BlobMetadata m : blobs) {
            DType dt = m.dtype().dtype();
            long elements = (m.sizeInBytes() * 8 - m.paddingBits()) / dt.bits();
            tensors.add(in.read(m.metadataOffset(), TensorType.of(dt, elements)));
            offsets.add(m.metadataOffset());
        }
        Path out = tmp.resolve("weight.bin");
        assertEquals(offsets, BlobFile.write(out, tensors));
        assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(out));
    }

    @Test
    void subByteBlobsRecordTheirPaddingAndReadBack() throws Exception {
        long[] u3 = {5, 0, 7, 1, 6};               // 15 bits -> 2 bytes, 1 padding bit
        long[] i4 = {-8, 7, -1};                    // 12 bits -> 2 bytes, 4 padding bits
        DenseData a = TensorData.of(TensorType.of(DType.UINT3, 5), SubByte.pack(DType.UINT3, u3));
        DenseData b = TensorData.of(TensorType.of(DType.INT4, 3), SubByte.pack(DType.INT4, i4));
        DenseData c = TensorData.ofFloats(new long[] {2}, 1.5f, -2f);
        Path out = tmp.resolve("w.bin");
        assertEquals(List.of(64L, 192L, 320L), BlobFile.write(out, List.of(a, b, c)));

        BlobFile f = BlobFile.open(out);
        assertEquals(3, f.count());
        assertEquals(new BlobMetadata(64, BlobDataType.UINT3, 2, 128, 1), f.metadata(64));
        assertEquals(new BlobMetadata(192, BlobDataType.INT4, 2, 256, 4), f.metadata(192));
        assertEquals(new BlobMetadata(320, BlobDataType.FLOAT32, 8, 384, 0), f.metadata(320));
        assertEquals(392, f.fileSize());
        DenseData u3Back = f.read(64, TensorType.of(DType.UINT3, 5));
        DenseData i4Back = f.read(192, TensorType.of(DType.INT4, 3));
        for (int i = 0; i < u3.length; i++) assertEquals(u3[i], SubByte.get(u3Back.bytes(), DType.UINT3, i));
        for (int i = 0; i < i4.length; i++) assertEquals(i4[i], SubByte.get(i4Back.bytes(), DType.INT4, i));
        assertEquals(-2f, f.read(320, TensorType.of(DType.FLOAT32, 2)).bytes().getFloat(4));
        // 8 and 7 as UINT4 pack into one byte, low nibble first (reference 4.2).
        assertArrayEquals(new byte[] {0x78}, SubByte.pack(DType.UINT4, new long[] {8, 7}));
    }

    @Test
    void readRefusesATypeThatDisagreesWithTheBlob() throws Exception {
        Path file = copy();
        BlobFile f = BlobFile.open(file);
        assertEquals(file + ": blob at offset 64 holds FLOAT32 but the program declares f16[256,64]",
                message(() -> f.read(64, TensorType.of(DType.FLOAT16, 256, 64))));
        assertEquals(file + ": blob at offset 64 holds 65536 bytes but f32[256,32] needs 32768",
                message(() -> f.read(64, TensorType.of(DType.FLOAT32, 256, 32))));
    }

    @Test
    void wrongSentinel() throws Exception {
        Path file = patch(64, 0xCAFEBABEL, 4);
        assertEquals(file + ": blob metadata at offset 64 has sentinel 0xCAFEBABE, expected 0xDEADBEEF",
                message(() -> BlobFile.open(file).metadata(64)));
    }

    @Test
    void unknownDtype() throws Exception {
        Path file = patch(68, 99, 4);
        assertEquals(file + ": blob metadata at offset 64 has unknown blob dtype 99",
                message(() -> BlobFile.open(file).metadata(64)));
    }

    @Test
    void metadataOffsetBeyondFile() throws Exception {
        Path file = copy();
        assertEquals(file + ": blob metadata at offset 140000 lies outside the blob area [64, 133312)",
                message(() -> BlobFile.open(file).metadata(140000)));
        assertEquals(file + ": blob metadata at offset 100 is not 64-byte aligned",
                message(() -> BlobFile.open(file).metadata(100)));
    }

    @Test
    void dataOffsetBeyondFile() throws Exception {
        Path file = patch(80, 1L << 40, 8);
        assertEquals(file + ": blob at offset 64 has data offset 1099511627776 outside [128, 133312]",
                message(() -> BlobFile.open(file).metadata(64)));
    }

    @Test
    void sizeBeyondFile() throws Exception {
        Path file = patch(72, 200000, 8);
        assertEquals(file + ": blob at offset 64 has size 200000 at data offset 128 beyond the file end (133312 bytes)",
                message(() -> BlobFile.open(file).blobs()));
    }

    @Test
    void paddingOfAWholeByteOrMore() throws Exception {
        Path file = patch(88, 8, 8);
        assertEquals(file + ": blob at offset 64 records 8 padding bits; must be below 8",
                message(() -> BlobFile.open(file).metadata(64)));
    }

    @Test
    void wrongVersionAndShortHeader() throws Exception {
        Path file = patch(4, 3, 4);
        assertEquals(file + ": blob storage version 3 at offset 4; only version 2 is supported",
                message(() -> BlobFile.open(file)));
        Path shortFile = tmp.resolve("short.bin");
        Files.write(shortFile, new byte[10]);
        assertEquals(shortFile + ": blob storage header needs 64 bytes but the file holds 10",
                message(() -> BlobFile.open(shortFile)));
    }

    private Path copy() throws IOException {
        Path file = tmp.resolve("weight.bin");
        Files.copy(CoreMlFixtures.weightBin(CoreMlFixtures.PACKAGES.get(9)), file);   // block_fp32_ios18
        file.toFile().setWritable(true);
        return file;
    }

    private Path patch(int at, long value, int width) throws IOException {
        Path file = copy();
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 4) b.putInt(at, (int) value); else b.putLong(at, value);
        Files.write(file, bytes);
        return file;
    }

    interface Action { void run() throws Exception; }

    static String message(Action a) {
        return assertThrows(ModelFormatException.class, a::run).getMessage();
    }
}
