package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pare inspect OUT --check-weight NAME --original IN}: a weight decoded by ONNX Runtime against the original's. */
class CheckWeightTest {

    private static final Path MNIST = EndToEndTest.MNIST;
    private static final String CONV = "onnx::Conv_273"; // [128, 128, 1, 1] float32

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private Path compile(String pipeline, String file) {
        Path out = dir.resolve(file);
        CliRun c = pare("compile", MNIST.toString(), "-o", out.toString(), "--pipeline", pipeline, "--quiet");
        assertEquals(0, c.exitCode(), c.err());
        return out;
    }

    private static CliRun check(Path out, Path original, String... weights) {
        String[] args = new String[3 + 2 * weights.length + 2];
        int i = 0;
        args[i++] = "inspect";
        args[i++] = out.toString();
        for (String w : weights) {
            args[i++] = "--check-weight";
            args[i++] = w;
        }
        args[i++] = "--original";
        args[i++] = original.toString();
        return pare(java.util.Arrays.copyOf(args, i));
    }

    @Test
    void int4BlocksStayWithinHalfAScale() {
        CliRun r = check(compile("QUANTIZE_INT4_BLOCK32", "q4.onnx"), MNIST, CONV);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                Decoded weight onnx::Conv_273 [128, 128, 1, 1] f32: affine 4-bit, per-block axis 1 size 32
                  values 16,384  max |decoded - original| 0.0278882  mean 0.00813274
                  bound: scale/2 (+ rounding of w/scale and of the product in f32): 16,384 of 16,384 values (holds)
                  largest |error| / scale 0.5000
                """, r.out());
    }

    @Test
    void groupedLutsGiveEachValueTheNearestEntryOfItsGroup() {
        Path out = compile("palettize{nbits=4, granularity=per_grouped_channel, group_size=2}", "pal.onnx");
        CliRun r = check(out, MNIST, CONV, "fc.weight");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                Decoded weight onnx::Conv_273 [128, 128, 1, 1] f32: lut 4-bit, grouped axis 0, 64 LUTs
                  values 16,384  max |decoded - original| 0.0479614  mean 0.00681880
                  bound: the table entry of its index, and the nearest entry of its group's 16 (within an ulp of each): 16,384 of 16,384 values (holds)
                Decoded weight fc.weight [10, 512] f32: lut 4-bit, grouped axis 0, 5 LUTs
                  values 5,120  max |decoded - original| 0.0169902  mean 0.00242086
                  bound: the table entry of its index, and the nearest entry of its group's 16 (within an ulp of each): 5,120 of 5,120 values (holds)
                """, r.out());
    }

    @Test
    void prunedWeightsKeepTheirLargerHalfExactly() {
        CliRun r = check(compile("PRUNE_50", "p50.onnx"), MNIST, CONV);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                Decoded weight onnx::Conv_273 [128, 128, 1, 1] f32: sparse, sparsity 0.5000
                  values 16,384  max |decoded - original| 0.0803443  mean 0.0196649
                  bound: every kept value equal to the original: 16,384 of 16,384 values (holds)
                  8,192 non-zero values pruned (50.00 %); largest |original| pruned 0.0803443, smallest kept 0.0803474
                """, r.out());
    }

    /** The original's weight moved by 10 %: the LUT entries are no longer the nearest for most values, and the check fails. */
    @Test
    void aWeightFromAnotherOriginalFailsItsBound() throws Exception {
        Path out = compile("palettize{nbits=4, granularity=per_grouped_channel, group_size=2}", "pal.onnx");
        Model m = ModelFormats.discover().read(MNIST);
        Value w = m.graph().value(CONV).orElseThrow();
        ByteBuffer b = w.data().bytes().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[(int) w.data().elementCount()];
        b.asFloatBuffer().get(v);
        for (int i = 0; i < v.length; i++) v[i] *= 1.1f;
        m.graph().rewriter().setConstantData(w, TensorData.ofFloats(w.data().type().shape(), v));
        Path other = dir.resolve("other.onnx");
        ModelFormats.discover().write(m, other);

        CliRun r = check(out, other, CONV);
        assertEquals(ExitCodes.COMPILE_FAILED, r.exitCode(), r.err());
        assertTrue(r.out().contains("(DOES NOT HOLD)"), r.out());
        assertTrue(r.err().matches("pare: error: " + java.util.regex.Pattern.quote(out.toString()) + ": decoded weight 'onnx::Conv_273' \\(\\d+ of 16384 "
                + "values outside: the table entry of its index, and the nearest entry of its group's 16 \\(within an ulp of each\\)\\)\n"), r.err());
        assertEquals(DType.FLOAT32, w.data().dtype());
    }

    @Test
    void aNameNotInTheModelAndAMissingOriginalAreOneLineErrors() {
        Path out = compile("QUANTIZE_INT4_BLOCK32", "q4.onnx");
        CliRun missing = check(out, MNIST, "no_such_weight");
        assertEquals(ExitCodes.BAD_INPUT, missing.exitCode());
        assertEquals("pare: error: " + out + ": weight 'no_such_weight': no value named 'no_such_weight' in the model's main graph\n", missing.err());
        CliRun noOriginal = pare("inspect", out.toString(), "--check-weight", CONV);
        assertEquals(ExitCodes.USAGE, noOriginal.exitCode());
        assertEquals("pare: error: --check-weight needs --original MODEL (the model it was compressed from)\n", noOriginal.err());
    }
}
