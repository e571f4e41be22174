package dev.pare.compiler.data;

import static dev.pare.compiler.data.NpyBytes.f32;
import static dev.pare.compiler.data.NpyBytes.f64;
import static dev.pare.compiler.data.NpyBytes.floats;
import static dev.pare.compiler.data.NpyBytes.i64;
import static dev.pare.compiler.data.NpyBytes.longs;
import static dev.pare.compiler.data.NpyBytes.npy;
import static dev.pare.compiler.data.NpyBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationDataReadersTest {

    @TempDir Path dir;

    private static final List<Value> IMAGE = ModelInputs.of("x:f32[N,1,2,2]");
    private static final List<Value> TOKENS = ModelInputs.of("ids:i64[batch,seq]", "mask:i64[batch,seq]");

    private static float[] values(float first) { return new float[] {first, first + 1, first + 2, first + 3}; }

    private String error(Path path, String spec, List<Value> inputs) {
        return assertThrows(DataException.class, () -> CalibrationDataReaders.open(path, spec, inputs).close()).getMessage();
    }

    @Test
    void folderOfNpyIsOneSamplePerFileInNaturalOrder() throws IOException {
        Path calib = dir.resolve("calib");
        write(calib.resolve("10.npy"), npy("<f4", "(1, 2, 2)", f32(values(30))));
        write(calib.resolve("2.npy"), npy("<f4", "(1, 1, 2, 2)", f32(values(20))));
        write(calib.resolve("1.npy"), npy("<f4", "(1, 2, 2)", f32(values(10))));
        Files.writeString(calib.resolve(".hidden"), "skipped");
        try (SampleSource s = CalibrationDataReaders.open(calib, null, IMAGE)) {
            assertEquals(3, s.size());
            assertEquals(calib.toString(), s.source());
            for (int i = 0; i < 3; i++) {
                TensorData x = s.sample(i).get("x");
                // [1,2,2] gets the batch axis; [1,1,2,2] is taken as it is
                assertEquals(TensorType.of(DType.FLOAT32, 1, 1, 2, 2), x.type());
                assertArrayEquals(values(10 * (i + 1)), floats(x.bytes()));
            }
        }
    }

    @Test
    void headerVersionsTwoAndThreeAndPythonTwoLongs() throws IOException {
        write(dir.resolve("a.npy"), npy(2, "<f4", false, "(1, 2, 2)", f32(values(1))));
        write(dir.resolve("b.npy"), npy(3, "<f4", false, "(1L, 2L, 2L)", f32(values(5))));
        try (SampleSource s = CalibrationDataReaders.open(dir, null, IMAGE)) {
            assertArrayEquals(values(1), floats(s.sample(0).get("x").bytes()));
            assertArrayEquals(values(5), floats(s.sample(1).get("x").bytes()));
        }
    }

    @Test
    void batchNpyTakesSamplesAlongTheFirstAxis() throws IOException {
        float[] all = new float[12];
        for (int i = 0; i < 12; i++) all[i] = i;
        Path f = write(dir.resolve("batch.npy"), npy("<f4", "(3, 1, 2, 2)", f32(all)));
        try (SampleSource s = CalibrationDataReaders.open(f, null, IMAGE)) {
            assertEquals(3, s.size());
            assertEquals(TensorType.of(DType.FLOAT32, 1, 1, 2, 2), s.sample(2).get("x").type());
            assertArrayEquals(values(8), floats(s.sample(2).get("x").bytes()));
            assertArrayEquals(values(0), floats(s.sample(0).get("x").bytes()));
        }
    }

    @Test
    void npzHasOneMemberPerInputStoredOrCompressed() throws IOException {
        for (boolean compressed : new boolean[] {false, true}) {
            Map<String, byte[]> members = new LinkedHashMap<>();
            members.put("ids.npy", npy("<i8", "(3, 1, 2)", i64(101, 7, 101, 8, 101, 9)));
            members.put("mask.npy", npy("<i8", "(3, 1, 2)", i64(1, 1, 1, 0, 1, 1)));
            Path f = NpyBytes.npz(dir.resolve("tokens" + compressed + ".npz"), compressed, members);
            try (SampleSource s = CalibrationDataReaders.open(f, null, TOKENS)) {
                assertEquals(3, s.size());
                // out of order: the member stream is re-opened for sample 0
                assertArrayEquals(new long[] {101, 9}, longs(s.sample(2).get("ids").bytes()));
                assertArrayEquals(new long[] {1, 0}, longs(s.sample(1).get("mask").bytes()));
                assertArrayEquals(new long[] {101, 7}, longs(s.sample(0).get("ids").bytes()));
                assertEquals(TensorType.of(DType.INT64, 1, 2), s.sample(0).get("mask").type());
            }
        }
    }

    @Test
    void describeNamesTheFileOrTheArchiveMemberAndTheSample() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("ids.npy", npy("<i8", "(2, 1, 2)", i64(101, 7, 101, 8)));
        members.put("mask.npy", npy("<i8", "(2, 1, 2)", i64(1, 1, 1, 0)));
        Path npz = NpyBytes.npz(dir.resolve("tokens.npz"), false, members);
        try (SampleSource s = CalibrationDataReaders.open(npz, null, TOKENS)) {
            assertEquals(npz + ":mask.npy (sample 1)", s.describe(1, "mask"));
        }
        Path folder = Files.createDirectories(dir.resolve("calib"));
        write(folder.resolve("7.npy"), npy("<f4", "(1, 1, 2, 2)", f32(1, 2, 3, 4)));
        try (SampleSource s = CalibrationDataReaders.open(folder, null, IMAGE)) {
            assertEquals(folder.resolve("7.npy").toString(), s.describe(0, "x"));
        }
    }

    @Test
    void npzWithOneMemberOfAnyNameFeedsAOneInputModel() throws IOException {
        Path f = NpyBytes.npz(dir.resolve("one.npz"), false, Map.of("arr_0.npy", npy("<f4", "(2, 1, 2, 2)", f32(new float[8]))));
        try (SampleSource s = CalibrationDataReaders.open(f, null, IMAGE)) {
            assertEquals(2, s.size());
        }
    }

    @Test
    void sampleFoldersHoldOneFilePerInputIncludingBoolAndUint8() throws IOException {
        List<Value> inputs = ModelInputs.of("img:u8[2,2]", "keep:bool[2]", "input:0:f32[1]");
        for (int i = 0; i < 2; i++) {
            Path s = dir.resolve("data/s" + i);
            write(s.resolve("img.npy"), npy("|u1", "(2, 2)", new byte[] {0, (byte) 200, (byte) 255, (byte) i}));
            write(s.resolve("keep.npy"), npy("|b1", "(2,)", new byte[] {1, (byte) i}));
            write(s.resolve("input_0.npy"), npy("<f4", "(1,)", f32(i)));
        }
        try (SampleSource s = CalibrationDataReaders.open(dir.resolve("data"), null, inputs)) {
            assertEquals(2, s.size());
            Map<String, TensorData> one = s.sample(1);
            assertEquals(List.of("img", "keep", "input:0"), List.copyOf(one.keySet()));
            assertEquals(TensorType.of(DType.UINT8, 2, 2), one.get("img").type());
            assertEquals((byte) 200, one.get("img").bytes().get(1));
            assertEquals(TensorType.of(DType.BOOL, 2), one.get("keep").type());
            assertEquals(1, one.get("keep").bytes().get(1));
            assertArrayEquals(new float[] {1}, floats(one.get("input:0").bytes()));
        }
    }

    @Test
    void rawFloat32WithShapeAndInferredCount() throws IOException {
        float[] all = new float[12];
        for (int i = 0; i < 12; i++) all[i] = i;
        Path f = write(dir.resolve("x.f32"), f32(all));
        for (String spec : new String[] {"-1,1,2,2", "3,1,2,2", "[3, 1, 2, 2]"}) {
            try (SampleSource s = CalibrationDataReaders.open(f, spec, IMAGE)) {
                assertEquals(3, s.size(), spec);
                assertArrayEquals(values(4), floats(s.sample(1).get("x").bytes()));
            }
        }
    }

    @Test
    void wrongDtypeOrShapeNamesTheFileAndTheInput() throws IOException {
        Path calib = dir.resolve("calib");
        write(calib.resolve("0006.npy"), npy("<f4", "(1, 2, 2)", f32(values(0))));
        Path bad = write(calib.resolve("0007.npy"), npy("<f8", "(2, 2)", f64(1, 2, 3, 4)));
        try (SampleSource s = CalibrationDataReaders.open(calib, null, ModelInputs.of("x:f32[1,1,2,2]"))) {
            DataException e = assertThrows(DataException.class, () -> s.sample(1));
            assertEquals(bad + ": input 'x' expects float32 [1,1,2,2], got float64 [2,2]", e.getMessage());
        }
        Path shape = write(dir.resolve("shape/0.npy"), npy("<f4", "(1, 3, 2)", f32(new float[6])));
        assertEquals(shape + ": input 'x' expects float32 [N,1,2,2], got float32 [1,3,2]", error(dir.resolve("shape"), null, IMAGE));
        // a fixed batch dim other than 1 does not get a batch axis added
        Path batch4 = write(dir.resolve("b4/0.npy"), npy("<f4", "(1, 2, 2)", f32(values(0))));
        assertEquals(batch4 + ": input 'x' expects float32 [4,1,2,2], got float32 [1,2,2]",
                error(dir.resolve("b4"), null, ModelInputs.of("x:f32[4,1,2,2]")));
    }

    @Test
    void malformedNpyFiles() throws IOException {
        Path fortran = write(dir.resolve("f/0.npy"), npy(1, "<f4", true, "(1, 2, 2)", f32(values(0))));
        assertEquals(fortran + ": .npy array is in Fortran order; save it in C order (np.ascontiguousarray)", error(dir.resolve("f"), null, IMAGE));
        Path big = write(dir.resolve("be/0.npy"), npy(">f4", "(1, 2, 2)", new byte[16]));
        assertEquals(big + ": big-endian .npy dtype '>f4' is not supported; save it little-endian (astype('<f4'))", error(dir.resolve("be"), null, IMAGE));
        Path complex = write(dir.resolve("c/0.npy"), npy("<c8", "(1, 2, 2)", new byte[32]));
        assertEquals(complex + ": unsupported .npy dtype '<c8'", error(dir.resolve("c"), null, IMAGE));
        Path truncated = write(dir.resolve("t/0.npy"), npy("<f4", "(1, 2, 2)", f32(1, 2, 3)));
        assertEquals(truncated + ": .npy float32 [1,2,2] needs 16 data bytes, the file has 12", error(dir.resolve("t"), null, IMAGE));
        Path version = write(dir.resolve("v/0.npy"), npy(4, "<f4", false, "(1, 2, 2)", f32(values(0))));
        assertEquals(version + ": .npy format version 4.0 is not supported (1, 2 or 3)", error(dir.resolve("v"), null, IMAGE));
        byte[] garbled = npy("<f4", "(1, 2, 2)", f32(values(0)));
        garbled[10] = '[';
        Path g = write(dir.resolve("g/0.npy"), garbled);
        assertEquals(g + ": bad .npy header: expected '{' at 0 in ['descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }",
                error(dir.resolve("g"), null, IMAGE));
        Path shortFile = write(dir.resolve("s/0.npy"), new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1});
        assertEquals(shortFile + ": truncated .npy header", error(dir.resolve("s"), null, IMAGE));
    }

    @Test
    void layoutAndInputErrors() throws IOException {
        Path f = write(dir.resolve("x.f32"), f32(new float[12]));
        assertEquals(f + ": not .npy, .npz or an image; raw float32 data needs its shape with the sample count first, e.g. -1,1,28,28",
                error(f, null, IMAGE));
        assertEquals(f + ": 48 bytes do not hold float32 [2,1,2,2] (32 bytes); the first axis counts samples, -1 takes as many as the file holds",
                error(f, "2,1,2,2", IMAGE));
        assertEquals(f + ": 48 bytes are not a whole number of float32 [-1,1,2,5] samples of 40 bytes", error(f, "-1,1,2,5", ModelInputs.of("x:f32[N,1,2,5]")));
        assertEquals(f + ": shape '1,a': 'a' is not a dimension", error(f, "1,a", IMAGE));

        Path npyDir = dir.resolve("n");
        write(npyDir.resolve("0.npy"), npy("<i8", "(1, 2)", i64(1, 2)));
        assertEquals(npyDir + ": a folder of .npy files feeds a model with one input, but the model has 2 (ids, mask); "
                + "use DIR/<sample>/<input>.npy or an .npz with one array per input", error(npyDir, null, TOKENS));
        assertEquals(npyDir + ": .npy files carry their own dtypes and shapes; a shape or preprocessing spec does not apply",
                error(npyDir, "1,2", ModelInputs.of("ids:i64[1,2]")));

        Path sample = dir.resolve("samples/a");
        write(sample.resolve("ids.npy"), npy("<i8", "(1, 2)", i64(1, 2)));
        assertEquals(sample + ": no data for input 'mask'", error(dir.resolve("samples"), null, TOKENS));
        write(sample.resolve("mask.npy"), npy("<i8", "(1, 3)", i64(1, 1, 1)));
        assertEquals(sample.resolve("mask.npy") + ": input 'mask' has seq=3 but input 'ids' has seq=2", error(dir.resolve("samples"), null, TOKENS));
        write(sample.resolve("typo.npy"), npy("<i8", "(1, 2)", i64(1, 2)));
        assertEquals(sample.resolve("typo.npy") + ": no model input is named 'typo' (inputs: ids, mask)", error(dir.resolve("samples"), null, TOKENS));

        Path npz = NpyBytes.npz(dir.resolve("t.npz"), false, Map.of("ids.npy", npy("<i8", "(2, 1, 2)", i64(1, 2, 3, 4)),
                "masks.npy", npy("<i8", "(2, 1, 2)", i64(1, 2, 3, 4))));
        assertEquals(npz + ":masks.npy: no model input is named 'masks' (members must be ids.npy, mask.npy)", error(npz, null, TOKENS));
        Path counts = NpyBytes.npz(dir.resolve("c.npz"), true, new LinkedHashMap<>(Map.of("ids.npy", npy("<i8", "(2, 1, 2)", i64(1, 2, 3, 4)),
                "mask.npy", npy("<i8", "(1, 1, 2)", i64(1, 2)))));
        String countError = error(counts, null, TOKENS);
        assertEquals(true, countError.matches(".*c\\.npz:(ids|mask)\\.npy: [12] samples on the first axis, but .*c\\.npz:(ids|mask)\\.npy has [12]"), countError);

        Path mixed = dir.resolve("mixed");
        write(mixed.resolve("0.npy"), npy("<f4", "(1, 2, 2)", f32(values(0))));
        write(mixed.resolve("1.png"), new byte[0]);
        assertEquals(mixed + ": mixes 1 .npy files, 1 images, 0 folders; use one layout: DIR/*.npy, DIR/<sample>/<input>.npy or DIR/*.png",
                error(mixed, null, IMAGE));
        Files.createDirectories(dir.resolve("empty"));
        assertEquals(dir.resolve("empty") + ": holds no .npy files, images or sample folders", error(dir.resolve("empty"), null, IMAGE));
        assertEquals(dir.resolve("nope") + ": no such file or directory", error(dir.resolve("nope"), null, IMAGE));
    }

    @Test
    void labelsFromTextU8AndNpy() throws IOException {
        assertArrayEquals(new int[] {3, 1, 4}, Labels.read(Files.writeString(dir.resolve("y.txt"), "3\n1\n\n4\n")));
        assertArrayEquals(new int[] {7, 0, 255}, Labels.read(Files.write(dir.resolve("y.u8"), new byte[] {7, 0, (byte) 255})));
        assertArrayEquals(new int[] {2, 9}, Labels.read(write(dir.resolve("y.npy"), npy("<i8", "(2,)", i64(2, 9)))));
        assertArrayEquals(new int[] {5, 6}, Labels.read(write(dir.resolve("y2.npy"), npy("<i4", "(2, 1)", NpyBytes.i32(5, 6)))));
        Path bad = Files.writeString(dir.resolve("bad.txt"), "1\ncat\n");
        assertEquals(bad + ":2: 'cat' is not an integer label (one per line, or a .npy / .u8 file)",
                assertThrows(DataException.class, () -> Labels.read(bad)).getMessage());
        Path floats = write(dir.resolve("f.npy"), npy("<f4", "(1,)", f32(1)));
        assertEquals(floats + ": labels must be integers, got float32 [1]",
                assertThrows(DataException.class, () -> Labels.read(floats)).getMessage());
    }
}
