package dev.pare.compiler.mil;

import dev.pare.compiler.coreml.eval.MilModelExecutor;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.compiler.runtime.ExactSigmoid;
import dev.pare.compiler.runtime.OrtEnvironments;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Developer tool: where does a converted model first depart from ONNX Runtime? Converts an ONNX
 * file with convert_to_mil in memory, runs ONNX Runtime without graph optimizations with every
 * node result added as a graph output, runs the MIL interpreter capturing the values of the same
 * names, and prints, in ONNX node order, each value whose max |ort - mil| / max |ort| exceeds the
 * threshold. A DynamicQuantizeLinear whose codes differ also gets its input at the flipped element
 * (with the float bits), both scales and zero points, so a rounding tie shows as such.
 *
 * <pre>
 * ConversionBisect MODEL.onnx [--npy DIR] [--tokens LEN] [--seed N] [--threshold T] [--limit N] [--ort-vs-ort] [--exact-sigmoid]
 * </pre>
 * Inputs: with {@code --npy}, DIR/NAME.npy (float32, as scripts/corpus/make-inputs.py writes them);
 * otherwise a text encoder's input_ids (random ids, seeded), attention_mask (ones) and
 * token_type_ids (zeros) of length LEN (default 32). {@code --ort-vs-ort} instead prints how far
 * ONNX Runtime's default optimizations move its own graph outputs. {@code --exact-sigmoid} runs ONNX
 * Runtime on a copy whose float32 Sigmoids are computed as 1 / (1 + exp(-x)) ({@link ExactSigmoid}, as
 * {@code pare compare --exact-sigmoid} does), so what departs is not its approximate Sigmoid kernel.
 * Run by scripts/corpus/bisect.sh.
 */
public final class ConversionBisect {

    /** Ops whose results are bool, which the ONNX Runtime runner does not read back. */
    private static final Set<String> BOOL_RESULTS = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "Not", "And", "Or", "Xor", "IsNaN", "IsInf");

    private ConversionBisect() {}

    public static void main(String[] args) throws Exception {
        OrtEnvironments.shared();  // before any other ONNX Runtime use: its start-up then needs no -Xss
        if (args.length == 0) {
            System.err.println("usage: ConversionBisect MODEL.onnx [--npy DIR] [--tokens LEN] [--seed N] [--threshold T] [--limit N] [--ort-vs-ort] [--exact-sigmoid]");
            System.exit(2);
        }
        Path onnx = Path.of(args[0]);
        Path npy = null;
        int tokens = 32;
        long seed = 0;
        double threshold = 1e-6;
        int limit = 60;
        boolean ortVsOrt = false;
        boolean exactSigmoid = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--npy" -> npy = Path.of(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threshold" -> threshold = Double.parseDouble(args[++i]);
                case "--limit" -> limit = Integer.parseInt(args[++i]);
                case "--ort-vs-ort" -> ortVsOrt = true;
                case "--exact-sigmoid" -> exactSigmoid = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Model ref = new OnnxFormat().read(onnx);
        Map<String, Tensor> ortIn = npy != null ? readNpy(ref, npy) : tokens(ref, tokens, seed);
        if (ortVsOrt) {
            Map<String, Tensor> none = OrtRunner.runUnoptimized(onnx, ortIn);
            Map<String, Tensor> all = OrtRunner.run(onnx, ortIn);
            for (Map.Entry<String, Tensor> e : none.entrySet()) {
                if (e.getValue().floats() == null) continue;
                Diff d = Diff.of(e.getValue().floats(), all.get(e.getKey()).floats());
                System.out.printf("ort all vs none: %s rel %.3g abs %.3g max %.3g%n", e.getKey(), d.rel(), d.abs, d.max);
            }
            return;
        }
        List<Departure> found = departures(onnx, ortIn, threshold, exactSigmoid);
        for (Departure d : found.subList(0, Math.min(limit, found.size()))) {
            System.out.println(d);
            if (d.detail != null) System.out.println("    " + d.detail);
        }
        System.out.println(found.size() + " values differ by more than " + threshold);
    }

    /**
     * One value that differs: its node, the relative and absolute difference, how many elements
     * differ, the worst element on both sides, and for a quantizer's codes the rounding detail.
     */
    record Departure(String op, String node, String value, double rel, double abs, double max, int count, int size,
            int at, float ort, float mil, String detail) {
        @Override public String toString() {
            return String.format("%s %s (%s): rel %.3g abs %.3g max %.3g, %d of %d differ; worst [%d] ort %s mil %s",
                    op, node, value, rel, abs, max, count, size, at, ort, mil);
        }
    }

    /** The values of {@code onnx} whose interpreter result departs by more than {@code threshold}, in node order. */
    static List<Departure> departures(Path onnx, Map<String, Tensor> ortIn, double threshold) throws Exception {
        return departures(onnx, ortIn, threshold, false);
    }

    /** The same, with ONNX Runtime's float32 Sigmoids computed exactly when {@code exactSigmoid}. */
    static List<Departure> departures(Path onnx, Map<String, Tensor> ortIn, double threshold, boolean exactSigmoid) throws Exception {
        if (!exactSigmoid) return departures(onnx, onnx, ortIn, threshold);
        Model rewritten = new OnnxFormat().read(onnx);
        ExactSigmoid.rewrite(rewritten);
        Path file = Files.createTempFile("bisect-exact-sigmoid-", ".onnx");
        try {
            new OnnxFormat().write(rewritten, file);
            return departures(onnx, file, ortIn, threshold);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * {@code onnx} converted and run in the interpreter against {@code reference} (the same file, or
     * a copy of it whose Sigmoids are exact, which keeps every other value's name) in ONNX Runtime.
     */
    private static List<Departure> departures(Path onnx, Path reference, Map<String, Tensor> ortIn, double threshold) throws Exception {
        Model ref = new OnnxFormat().read(reference);
        Model conv = new OnnxFormat().read(onnx);
        String shapes = ortIn.entrySet().stream()
                .map(e -> "\"" + e.getKey() + ":" + Arrays.stream(e.getValue().shape()).mapToObj(Long::toString).collect(Collectors.joining(",")) + "\"")
                .collect(Collectors.joining(", "));
        ConvertedVsOrt.run("convert_to_mil{input_shapes=[" + shapes + "]}", conv);

        List<Value> refCaptured = new ArrayList<>();
        List<Value> milCaptured = new ArrayList<>();
        for (Node n : ref.graph().nodes()) {
            if (BOOL_RESULTS.contains(n.opType())) continue;
            for (Value v : n.results()) {
                if (v.isAbsent() || ref.graph().isOutput(v)) continue;
                Optional<Value> m = conv.graph().value(v.name());
                if (m.isEmpty() || m.get().producer() == null || m.get().isConstant()) continue;
                refCaptured.add(v);
                milCaptured.add(m.get());
            }
        }
        Map<String, float[]> ort = runOrt(reference, refCaptured, ortIn);
        Map<String, float[]> mil = runMil(conv, milCaptured, ortIn);
        List<Departure> found = new ArrayList<>();
        for (Node n : ref.graph().nodes()) {
            for (Value v : n.results()) {
                float[] x = ort.get(v.name());
                float[] y = mil.get(v.name());
                if (x == null || y == null) continue;
                if (x.length != y.length) {
                    found.add(new Departure(n.opType(), n.name(), v.name(), Double.POSITIVE_INFINITY, 0, 0, 0, x.length, 0, 0, 0,
                            x.length + " elements in ONNX Runtime, " + y.length + " in the interpreter"));
                    continue;
                }
                Diff d = Diff.of(x, y);
                if (d.rel() <= threshold) continue;
                String detail = n.opType().equals("DynamicQuantizeLinear") && v == n.result(0) ? quantizerDetail(n, d.at, ort, mil)
                        : n.opType().equals("DynamicQuantizeMatMul") ? fusedQuantizerDetail(n, ort, mil) : null;
                found.add(new Departure(n.opType(), n.name(), v.name(), d.rel(), d.abs, d.max, d.count, x.length, d.at, x[d.at], y[d.at], detail));
            }
        }
        return found;
    }

    private static String quantizerDetail(Node n, int at, Map<String, float[]> ort, Map<String, float[]> mil) {
        float[] xa = ort.get(n.operand(0).name());
        float[] xb = mil.get(n.operand(0).name());
        float sa = ort.get(n.result(1).name())[0];
        float sb = mil.get(n.result(1).name())[0];
        float za = ort.get(n.result(2).name())[0];
        float zb = mil.get(n.result(2).name())[0];
        if (xa == null || xb == null) return null;
        return String.format("input [%d] ort %s (bits %08x) mil %s (bits %08x); scale ort %s mil %s; zero point ort %s mil %s; x/scale ort %s mil %s",
                at, xa[at], Float.floatToRawIntBits(xa[at]), xb[at], Float.floatToRawIntBits(xb[at]), sa, sb, za, zb, xa[at] / sa, xb[at] / sb);
    }

    /**
     * ONNX Runtime's DynamicQuantizeMatMul quantizes its input inside the kernel, so no code is
     * captured: each side's input is quantized here with the kernel's arithmetic (that of
     * DynamicQuantizeLinear, which the conversion reproduces bit for bit) and the first code that
     * differs is shown with its input bits and x / scale.
     */
    private static String fusedQuantizerDetail(Node n, Map<String, float[]> ort, Map<String, float[]> mil) {
        float[] xa = ort.get(n.operand(0).name());
        float[] xb = mil.get(n.operand(0).name());
        if (xa == null || xb == null) return null;
        float[] pa = quantization(xa);
        float[] pb = quantization(xb);
        int flips = 0;
        int first = -1;
        for (int i = 0; i < xa.length; i++) {
            if (code(xa[i], pa) != code(xb[i], pb)) {
                flips++;
                if (first < 0) first = i;
            }
        }
        if (first < 0) return String.format("input codes identical (scale ort %s mil %s; zero point ort %s mil %s)", pa[0], pb[0], pa[1], pb[1]);
        return String.format("input codes differ at %d of %d; first [%d] ort %s (bits %08x) mil %s (bits %08x); scale ort %s mil %s;"
                + " zero point ort %s mil %s; x/scale ort %s mil %s", flips, xa.length, first, xa[first], Float.floatToRawIntBits(xa[first]),
                xb[first], Float.floatToRawIntBits(xb[first]), pa[0], pb[0], pa[1], pb[1], xa[first] / pa[0], xb[first] / pb[0]);
    }

    /** {scale, zero point} of DynamicQuantizeLinear for x. */
    private static float[] quantization(float[] x) {
        float min = 0;
        float max = 0;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = max == min ? 1f : (max - min) / 255f;
        float zp = (float) Math.rint(Math.max(0f, Math.min(255f, 0f - min / scale)));
        return new float[] {scale, zp};
    }

    private static float code(float x, float[] p) {
        return Math.max(0f, Math.min(255f, (float) Math.rint(x / p[0]) + p[1]));
    }

    private record Diff(double abs, double max, int at, int count) {
        double rel() { return max == 0 ? abs : abs / max; }

        static Diff of(float[] x, float[] y) {
            double max = 0;
            double abs = 0;
            int at = 0;
            int count = 0;
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i]));
                double d = Math.abs(x[i] - y[i]);
                if (d > 0) count++;
                if (d > abs) {
                    abs = d;
                    at = i;
                }
            }
            return new Diff(abs, max, at, count);
        }
    }

    /** ONNX Runtime (no graph optimizations) on a copy of the file with the captured values as extra outputs. */
    private static Map<String, float[]> runOrt(Path onnx, List<Value> captured, Map<String, Tensor> in) throws Exception {
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(onnx));
        GraphProto.Builder g = proto.getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        for (ValueInfoProto o : g.getOutputList()) outputs.add(o.getName());
        // an output with a name only: ONNX Runtime infers its type
        for (Value v : captured) if (outputs.add(v.name())) g.addOutput(ValueInfoProto.newBuilder().setName(v.name()));
        Path file = Files.createTempFile("bisect-", ".onnx");
        try {
            Files.write(file, proto.toBuilder().setGraph(g).build().toByteArray());
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : OrtRunner.runUnoptimized(file, in).entrySet()) out.put(e.getKey(), asFloats(e.getValue()));
            return out;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static Map<String, float[]> runMil(Model conv, List<Value> captured, Map<String, Tensor> in) throws Exception {
        Map<String, TensorData> milIn = new LinkedHashMap<>();
        for (Value v : conv.graph().inputs()) {
            Tensor t = in.get(v.name());
            if (t.floats() != null) {
                milIn.put(v.name(), TensorData.ofFloats(t.shape(), t.floats()));
            } else {
                int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
                int[] values = Arrays.stream(t.longs()).mapToInt(Math::toIntExact).toArray();
                milIn.put(v.name(), MilTensor.ints(v.tensorType().dtype() == DType.INT64 ? DType.INT64 : DType.INT32, shape, values).toData());
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        try (ModelExecutor.Session s = new MilModelExecutor().open(conv.graph(), captured)) {
            for (Map.Entry<String, TensorData> e : s.run(milIn).entrySet()) out.put(e.getKey(), MilTensor.of(e.getValue()).toFloats());
        }
        return out;
    }

    private static float[] asFloats(Tensor t) {
        if (t.floats() != null) return t.floats();
        float[] f = new float[t.longs().length];
        for (int i = 0; i < f.length; i++) f[i] = t.longs()[i];
        return f;
    }

    /**
     * A text encoder's inputs: [CLS] then random ids in [1000, min(30000, vocabulary)), mask ones,
     * token types zero. The bound keeps ids inside a smaller vocabulary (BGE zh: 21,128 rows) and
     * leaves the ids of the English encoders (30,522 rows) as they were.
     */
    static Map<String, Tensor> tokens(Model ref, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long bound = Math.min(30000, vocabulary(ref));
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) ids[i] = i == 0 ? 101 : r.nextLong(1000, bound);
        long[] ones = new long[length];
        Arrays.fill(ones, 1);
        Map<String, long[]> byName = Map.of("input_ids", ids, "attention_mask", ones, "token_type_ids", new long[length]);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Value v : ref.graph().inputs()) {
            long[] values = byName.get(v.name());
            if (values == null) throw new IllegalArgumentException("input '" + v.name() + "' is not a text encoder input; give --npy DIR");
            in.put(v.name(), Tensor.ofLongs(new long[] {1, length}, values));
        }
        return in;
    }

    /** Rows of the embedding table that input_ids indexes directly (a Gather's indices), else 30522 (BERT's). */
    private static long vocabulary(Model ref) {
        for (Value v : ref.graph().inputs()) {
            if (!v.name().equals("input_ids")) continue;
            for (Value.Use use : v.uses()) {
                if (!use.user().opType().equals("Gather") || use.operandIndex() != 1) continue;
                var table = use.user().operand(0).tensorType();
                if (table.isStatic() && table.shape().length > 0 && table.shape()[0] > 1000) return table.shape()[0];
            }
        }
        return 30522;
    }

    /** DIR/NAME.npy for every graph input: little-endian float32, C order. */
    private static Map<String, Tensor> readNpy(Model ref, Path dir) throws Exception {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Value v : ref.graph().inputs()) {
            byte[] bytes = Files.readAllBytes(dir.resolve(v.name() + ".npy"));
            int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
            String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
            if (!header.contains("'<f4'")) throw new IllegalArgumentException(v.name() + ".npy is not little-endian float32: " + header.trim());
            int from = header.indexOf("'shape': (") + 10;
            long[] shape = Arrays.stream(header.substring(from, header.indexOf(')', from)).split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
            FloatBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] f = new float[data.remaining()];
            data.get(f);
            in.put(v.name(), Tensor.ofFloats(shape, f));
        }
        return in;
    }
}
