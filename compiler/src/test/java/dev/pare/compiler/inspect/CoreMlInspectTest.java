package dev.pare.compiler.inspect;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pare inspect} on the coremltools fixtures: the weight table and how each weight was compressed. */
class CoreMlInspectTest {

    private static ModelReport inspect(String fixture) throws Exception {
        Model m = new CoreMlFormat().read(Path.of("src/test/resources/models/coreml/" + fixture + ".mlpackage"));
        return ModelInspector.inspect(m);
    }

    /** Compression method -> number of weights, per fixture (from the constexpr chains coremltools wrote). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "mnist_dwnet_fp16_ios16|",
        "mnist_dwnet_fp32_ios18|",
        "block_fp16_ios17|",
        "block_fp32_ios18|",
        "mnist_dwnet_pal4_ios16|11 palettized 4-bit (constexpr_lut_to_dense, iOS16)",
        "mnist_dwnet_int8_ios16|11 int8 per-channel (constexpr_affine_dequantize, iOS16)",
        "mnist_dwnet_prune50_ios16|11 sparse 50% (constexpr_sparse_to_dense, iOS16)",
        "mnist_dwnet_pal4g16_ios18|4 palettized 4-bit grouped axis 0 (16 LUTs) (constexpr_lut_to_dense, iOS18);"
                + "3 palettized 4-bit grouped axis 0 (32 LUTs) (constexpr_lut_to_dense, iOS18);"
                + "1 palettized 4-bit grouped axis 0 (4 LUTs) (constexpr_lut_to_dense, iOS18);"
                + "2 palettized 4-bit grouped axis 0 (8 LUTs) (constexpr_lut_to_dense, iOS18)",
        "mnist_dwnet_int4b32_ios18|1 int4 per-block 1x32 (constexpr_blockwise_shift_scale, iOS18);"
                + "7 int4 per-block 1x32x1x1 (constexpr_blockwise_shift_scale, iOS18)",
        "mnist_dwnet_joint_prune_pal_ios18|11 sparse 50% + palettized 4-bit "
                + "(constexpr_lut_to_sparse -> constexpr_sparse_to_dense, iOS18)",
        "block_w8a8_ios17|2 int8 per-channel (constexpr_affine_dequantize, iOS16)"})
    void compressionMethods(String fixture, String expected) throws Exception {
        Map<String, Integer> methods = new TreeMap<>();
        for (CompressedWeight c : inspect(fixture).compressedWeights()) methods.merge(c.method(), 1, Integer::sum);
        Map<String, Integer> want = new TreeMap<>();
        if (expected != null) {
            for (String part : expected.split(";")) {
                int space = part.indexOf(' ');
                want.put(part.substring(space + 1), Integer.parseInt(part.substring(0, space)));
            }
        }
        assertEquals(want, methods);
    }

    /** Only weights are listed: conv and linear weights and biases, not the strides/pads/axes constants. */
    @Test
    void weightTableListsWeightsOnly() throws Exception {
        ModelReport r = inspect("mnist_dwnet_fp32_ios18");
        assertEquals(36, r.weights().size());
        for (WeightReport w : r.weights()) {
            assertEquals(DType.FLOAT32, w.dtype(), w.name());
            assertEquals(Storage.BLOB_FILE, w.storage(), w.name());
            assertEquals("weights/weight.bin", w.location(), w.name());
            assertTrue(w.shape().size() == 1 || w.shape().size() == 4 || w.shape().size() == 2, w.name());
        }
        assertEquals(List.of("coreml", "9", "CoreML8"),
                List.of(r.format(), r.properties().get("specificationVersion"), r.properties().get("opset")));
    }

    @Test
    void reportOfTheW8A8Block() throws Exception {
        assertEquals(resource("coreml-block_w8a8_ios17.txt"),
                ReportText.render(inspect("block_w8a8_ios17"), "block_w8a8_ios17.mlpackage"));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = CoreMlInspectTest.class.getResourceAsStream("/inspect/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
