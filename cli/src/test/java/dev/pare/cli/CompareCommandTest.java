package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare compare} through the CLI on the MNIST model, with the real ONNX format. */
class CompareCommandTest {

    static final Path DIR = Path.of("../compiler/src/test/resources/models/mnist_dwnet");
    static final Path MNIST = DIR.resolve("model.onnx");
    static final Path TEST_X = DIR.resolve("test_x.f32");
    static final Path TEST_Y = DIR.resolve("test_y.u8");

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static void assertError(CliRun r, int code, String line) {
        assertEquals(code, r.exitCode(), r.err());
        assertEquals("pare: error: " + line + "\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void help() {
        CliRun r = pare("compare", "--help");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Usage: pare compare [-hV] [--exact-sigmoid] [--json] [--stacktrace] [--verbose]\n"), r.out());
        assertTrue(r.out().contains("\n      --data-spec=SPEC   How to read --data that does not describe itself: the\n"), r.out());
        assertTrue(r.out().contains("\n      --labels=FILE      Class labels, one per data sample in order: text (one\n"), r.out());
        assertTrue(r.out().contains("\n  3  bad input model (missing, unreadable or invalid)\n"), r.out());
        CliRun top = pare("--help");
        assertTrue(top.out().contains("\n  compare    Runs models A and B on the same inputs (ONNX models in ONNX\n"), top.out());
    }

    @Test
    void generatedInputsAgainstItself() {
        CliRun r = pare("compare", MNIST.toString(), MNIST.toString(), "--samples", "3", "--seed", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("compare " + MNIST + " (A) with " + MNIST + " (B): 3 samples generated with seed 5\n"
                + "  generated input: float32 [1,1,28,28] uniform [0, 1)\n"
                + "  output  shape           SNR dB    cosine  max abs err  mean abs err   top-1   top-5\n"
                + "  logits  float32 [1,10]     inf  1.000000            0             0  1.0000  1.0000\n", r.out());
    }

    @Test
    void ortOptimizationLevel() {
        // MNIST has no node ONNX Runtime fuses into a kernel that rounds differently: every level
        // gives the model's own results; the option is in the help and a bad level is a usage error
        for (String level : new String[] {"none", "basic", "extended", "all"}) {
            CliRun r = pare("compare", MNIST.toString(), MNIST.toString(), "--samples", "2", "--ort-optimization", level);
            assertEquals(0, r.exitCode(), level + ": " + r.err());
            assertTrue(r.out().contains("\n  logits  float32 [1,10]     inf  1.000000            0             0  1.0000  1.0000\n"), r.out());
        }
        assertTrue(pare("compare", "--help").out().contains("\n      --ort-optimization=LEVEL\n"));
        CliRun bad = pare("compare", MNIST.toString(), MNIST.toString(), "--ort-optimization", "fast");
        assertEquals(2, bad.exitCode(), bad.err());
        assertEquals("pare: error: Invalid value for option '--ort-optimization': must be one of none, basic, extended, all, "
                + "got 'fast' (see 'pare compare --help')\n", bad.err());
    }

    @Test
    void dataLabelsAndJson() {
        CliRun r = pare("compare", MNIST.toString(), MNIST.toString(), "--data", TEST_X.toString(), "--data-spec", "-1,1,28,28",
                "--labels", TEST_Y.toString(), "--samples", "100", "--json");
        assertEquals(0, r.exitCode(), r.err());
        String json = r.out();
        assertTrue(json.contains("\n  \"inputs\": \"" + TEST_X + "\",\n"), json);
        assertTrue(json.contains("\n  \"samples\": 100,\n"), json);
        assertTrue(json.contains("\n      \"labeled\": 100,\n"), json);
        assertTrue(json.contains("\n      \"snr_db\": \"inf\",\n"), json);
        assertTrue(json.contains("\n      \"top1_agreement\": 1,\n"), json);
        assertTrue(json.contains("\n  \"generated\": null,\n"), json);
        // both models are the same file: the same accuracy, whatever it is on the first 100 digits
        String a = json.replaceAll("(?s).*\"accuracy_a\": ([0-9.]+),.*", "$1");
        String b = json.replaceAll("(?s).*\"accuracy_b\": ([0-9.]+),.*", "$1");
        assertEquals(a, b);
        assertTrue(Double.parseDouble(a) > 0.9, a);
    }

    @Test
    void imageFolder() throws Exception {
        // the first test digits as 8-bit gray PNGs: default preprocessing is gray, 28x28, scale 1/255
        Path images = Files.createDirectories(dir.resolve("digits"));
        ByteBuffer x = ByteBuffer.wrap(Files.readAllBytes(TEST_X)).order(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < 4; n++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            for (int i = 0; i < 784; i++) img.getRaster().setSample(i % 28, i / 28, 0, Math.round(x.getFloat() * 255));
            javax.imageio.ImageIO.write(img, "png", images.resolve(n + ".png").toFile());
        }
        Path labels = Files.writeString(dir.resolve("labels.txt"), labelsText(4));
        CliRun r = pare("compare", MNIST.toString(), MNIST.toString(), "--data", images.toString(), "--labels", labels.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains(": 4 samples from " + images + "\n"), r.out());
        assertTrue(r.out().endsWith("\nAccuracy against " + labels + "\n  output  labels       A       B\n  logits       4  1.0000  1.0000\n"), r.out());
    }

    private static String labelsText(int n) throws Exception {
        byte[] y = Files.readAllBytes(TEST_Y);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(y[i]).append('\n');
        return sb.toString();
    }

    @Test
    void badInput() throws Exception {
        Path missing = dir.resolve("missing.onnx");
        assertError(pare("compare", MNIST.toString(), missing.toString()), 3, missing + ": no such file");

        Path calib = Files.createDirectories(dir.resolve("calib"));
        Path bad = Files.write(calib.resolve("0007.npy"), npyFloat64(28, 28));
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--data", calib.toString()), 3,
                bad + ": input 'input' expects float32 [N,1,28,28], got float64 [28,28]");

        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--data", TEST_X.toString()), 3,
                TEST_X + ": not .npy, .npz or an image; raw float32 data needs its shape with the sample count first, e.g. -1,1,28,28");

        Path few = Files.writeString(dir.resolve("few.txt"), "1\n2\n");
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--data", TEST_X.toString(), "--data-spec", "-1,1,28,28",
                "--labels", few.toString()), 3, few + ": 2 labels, but " + TEST_X + " holds 2000 samples (one label per sample)");
    }

    @Test
    void usageErrors() {
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--labels", TEST_Y.toString()), 2,
                "--labels needs --data: labels follow the data's samples");
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--input-shape", "input=1,28,28"), 2,
                "--input-shape input=1,28,28: input 'input' is float32 [N,1,28,28]");
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--input-shape", "pixels=1,1,28,28"), 2,
                "--input-shape pixels: the model has no input 'pixels' (inputs: input)");
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--samples", "0"), 2, "--samples must be at least 1, got 0");
        assertError(pare("compare", MNIST.toString()), 2, "Missing required parameter: 'B' (see 'pare compare --help')");
        assertError(pare("compare", MNIST.toString(), MNIST.toString(), "--ort-optimization", "full"), 2,
                "Invalid value for option '--ort-optimization': must be one of none, basic, extended, all, got 'full' (see 'pare compare --help')");
    }

    @Test
    void ortOptimizationNoneRunsTheModelsAsWritten() {
        CliRun r = pare("compare", MNIST.toString(), MNIST.toString(), "--samples", "3", "--seed", "5", "--ort-optimization", "none");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().endsWith("  logits  float32 [1,10]     inf  1.000000            0             0  1.0000  1.0000\n"), r.out());
    }

    /** y = Sigmoid(x * -4 - 8): for x in [0, 1) outputs of 3e-4 and less, where ONNX Runtime's Sigmoid kernel is 1e-4 off. */
    private Path smallSigmoidModel() throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("small_sigmoid")
                .addInput(info("x")).addOutput(info("y"))
                .addInitializer(scalar("minus_four", -4f)).addInitializer(scalar("minus_eight", -8f))
                .addNode(node("Mul", "scaled", "x", "minus_four")).addNode(node("Add", "shifted", "scaled", "minus_eight"))
                .addNode(node("Sigmoid", "y", "shifted")).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        return Files.write(dir.resolve("small_sigmoid.onnx"), m.toByteArray());
    }

    private static ValueInfoProto info(String name) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        s.addDimBuilder().setDimValue(1);
        s.addDimBuilder().setDimValue(64);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    private static TensorProto scalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(1).addFloatData(v).build();
    }

    private static NodeProto node(String op, String out, String... in) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out).addAllInput(List.of(in)).build();
    }

    private static double maxRelError(String json) {
        return Double.parseDouble(json.replaceAll("(?s).*\"max_rel_error\": ([-0-9.Ee]+),.*", "$1"));
    }

    @Test
    void exactSigmoidRewritesOnlyTheCopyOnnxRuntimeRuns() throws Exception {
        Path onnx = smallSigmoidModel();
        byte[] bytes = Files.readAllBytes(onnx);
        FileTime modified = Files.getLastModifiedTime(onnx);
        Path pkg = dir.resolve("small_sigmoid.mlpackage");
        CliRun c = pare("compile", onnx.toString(), "-o", pkg.toString(), "--pipeline", "EMPTY");
        assertEquals(0, c.exitCode(), c.err());

        // against the conversion: ONNX Runtime's own Sigmoid is 1e-4 relative off, the exact one is not
        CliRun plain = pare("compare", onnx.toString(), pkg.toString(), "--samples", "2", "--ort-optimization", "none", "--json");
        CliRun exact = pare("compare", onnx.toString(), pkg.toString(), "--samples", "2", "--ort-optimization", "none", "--json",
                "--exact-sigmoid");
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(0, exact.exitCode(), exact.err());
        assertTrue(plain.out().contains("\n  \"exact_sigmoid\": null,\n"), plain.out());
        assertTrue(exact.out().contains("\n  \"exact_sigmoid\": {\n    \"a\": {\n      \"left_as_is\": [],\n      \"rewritten\": 1\n    },\n"
                + "    \"b\": null\n  },\n"), exact.out());
        assertTrue(maxRelError(plain.out()) > 1e-4, plain.out());
        assertTrue(maxRelError(exact.out()) < 1e-6, exact.out());

        // both sides ONNX: both rewritten, and the text says so
        CliRun text = pare("compare", onnx.toString(), onnx.toString(), "--samples", "2", "--exact-sigmoid");
        assertEquals(0, text.exitCode(), text.err());
        assertEquals("compare " + onnx + " (A) with " + onnx + " (B): 2 samples generated with seed 0\n"
                + "  generated x: float32 [1,64] uniform [0, 1)\n"
                + "  A in ONNX Runtime: 1 Sigmoid node computed exactly, as 1 / (1 + exp(-x)) (--exact-sigmoid)\n"
                + "  B in ONNX Runtime: 1 Sigmoid node computed exactly, as 1 / (1 + exp(-x)) (--exact-sigmoid)\n"
                + "  output  shape           SNR dB    cosine  max abs err  mean abs err   top-1   top-5\n"
                + "  y       float32 [1,64]     inf  1.000000            0             0  1.0000  1.0000\n", text.out());
        CliRun none = pare("compare", MNIST.toString(), MNIST.toString(), "--samples", "1", "--exact-sigmoid");
        assertTrue(none.out().contains("\n  A in ONNX Runtime: no float32 Sigmoid node to compute exactly (--exact-sigmoid)\n"), none.out());

        assertArrayEquals(bytes, Files.readAllBytes(onnx), "the model file is only read");
        assertEquals(modified, Files.getLastModifiedTime(onnx));
        assertError(pare("compare", pkg.toString(), pkg.toString(), "--exact-sigmoid"), 2,
                "--exact-sigmoid changes how ONNX Runtime runs an ONNX model, but neither A nor B is one");
        assertTrue(pare("compare", "--help").out().contains("\n      --exact-sigmoid    Run the ONNX models' float32 Sigmoid nodes in ONNX\n"));
    }

    /** A version-1 .npy of float64 zeros. */
    private static byte[] npyFloat64(int rows, int cols) {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xFF);
        out.write(header.length() >> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(new byte[rows * cols * 8]);
        return out.toByteArray();
    }
}
