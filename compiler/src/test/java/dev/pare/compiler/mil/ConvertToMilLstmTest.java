package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.str;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** LSTM unrolled over a static sequence into MIL ops, against ONNX Runtime: each direction, with and without initial states. */
class ConvertToMilLstmTest {

    @TempDir Path tmp;

    private static final int SEQ = 3;
    private static final int BATCH = 2;
    private static final int IN = 4;
    private static final int HIDDEN = 3;

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    private static GraphProto lstm(String direction, boolean states) {
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        OnnxGraphBuilder b = new OnnxGraphBuilder("lstm").input("x", FLOAT, SEQ, BATCH, IN)
                .floats("w", new long[] {dirs, 4 * HIDDEN, IN}, random(dirs * 4 * HIDDEN * IN, 1))
                .floats("r", new long[] {dirs, 4 * HIDDEN, HIDDEN}, random(dirs * 4 * HIDDEN * HIDDEN, 2))
                .floats("b", new long[] {dirs, 8 * HIDDEN}, random(dirs * 8 * HIDDEN, 3));
        if (states) b.input("h0", FLOAT, dirs, BATCH, HIDDEN).input("c0", FLOAT, dirs, BATCH, HIDDEN);
        return b.node("LSTM", new String[] {"x", "w", "r", "b", "", states ? "h0" : "", states ? "c0" : ""},
                        new String[] {"y", "yh", "yc"}, intAttr("hidden_size", HIDDEN), str("direction", direction))
                .output("y", FLOAT, SEQ, dirs, BATCH, HIDDEN).output("yh", FLOAT, dirs, BATCH, HIDDEN)
                .output("yc", FLOAT, dirs, BATCH, HIDDEN).build();
    }

    @ParameterizedTest(name = "{0}, initial states {1}")
    @CsvSource({"forward,true", "forward,false", "reverse,true", "bidirectional,false", "bidirectional,true"})
    void unrolledLstmMatchesOnnxRuntime(String direction, boolean states) throws Exception {
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        Path onnx = OnnxGraphBuilder.write(lstm(direction, states), tmp.resolve("lstm.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("lstm.mlpackage"));
        var in = inputs("x", floats(new long[] {SEQ, BATCH, IN}, random(SEQ * BATCH * IN, 4)));
        if (states) {
            in.put("h0", floats(new long[] {dirs, BATCH, HIDDEN}, random(dirs * BATCH * HIDDEN, 5)));
            in.put("c0", floats(new long[] {dirs, BATCH, HIDDEN}, random(dirs * BATCH * HIDDEN, 6)));
        }
        ConvertedVsOrt.assertMatches(onnx, m, in, 1e-5);
    }
}
