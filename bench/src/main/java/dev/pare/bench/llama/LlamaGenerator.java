package dev.pare.bench.llama;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Generates LLaMA-shaped ONNX models with seeded pseudo-random weights, all of them external data
 * in {@code OUT.data} next to {@code OUT}, for benchmarks at scale ({@code scripts/gen-llama.sh}).
 *
 * <p>The decoder graph, per layer: RMSNorm as ONNX ops (Pow, ReduceMean, Add, Sqrt, Div, Mul),
 * q/k/v/o MatMuls by constant [in, out] weights, grouped-query attention with Softmax (no rotary
 * embedding and no causal mask: the benchmark needs the weights and a valid graph, not a language
 * model), a SiLU MLP (gate/up/down MatMuls, Sigmoid × Mul) and residual Adds; then a final RMSNorm
 * and the lm_head MatMul. Weights are σ = 0.02 pseudo-normal values (norm scales are 1), in float16
 * or float32; activations have the same type. Opset 17, so ReduceMean takes {@code axes} as an
 * attribute, as in most exported models.
 */
public final class LlamaGenerator {

    static final int OPSET = 17;
    static final float STD = 0.02f;
    static final float RMS_EPS = 1e-5f;

    private final Preset preset;
    private final long seed;
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private ExternalDataWriter data;
    private long tensorIndex;

    public LlamaGenerator(Preset preset, long seed) {
        this.preset = preset;
        this.seed = seed;
    }

    /** What one run wrote. */
    public record Result(Path model, Path data, long parameters, long dataBytes) {}

    /** Writes {@code out} and its external data {@code out + ".data"}, replacing both. */
    public Result write(Path out) throws IOException {
        Path dataFile = out.resolveSibling(out.getFileName() + ".data");
        try (ExternalDataWriter w = new ExternalDataWriter(dataFile)) {
            data = w;
            graph.setName("pare_bench_" + preset.name().replace('.', '_'));
            switch (preset.kind()) {
                case DECODER -> decoder();
                case EMBEDDING -> embeddingOnly();
                case MATMUL -> matmulOnly();
            }
        }
        ModelProto model = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("pare-bench gen-llama")
                .setDocString("preset " + preset.name() + ", " + preset.dtype().name().toLowerCase(Locale.ROOT)
                        + ", seed " + seed + "; random weights, not a trained model")
                .setGraph(graph)
                .build();
        try (OutputStream os = Files.newOutputStream(out)) {
            model.writeTo(os);
        }
        return new Result(out, dataFile, preset.parameters(), Files.size(dataFile));
    }

    private void decoder() throws IOException {
        Preset p = preset;
        int h = p.hidden();
        int hd = p.headDim();
        int kvh = p.kvHeads();
        int group = p.heads() / kvh;
        graph.addInput(valueInfo("input_ids", TensorProto.DataType.INT64_VALUE, "batch", "seq"));
        graph.addOutput(valueInfo("logits", p.dtype().onnxType, "batch", "seq", p.vocab()));
        scalar("rms.two", 2f);
        scalar("rms.eps", RMS_EPS);
        scalar("attn.scale", (float) (1 / Math.sqrt(hd)));
        // 0 in a Reshape shape keeps that input dimension (batch, seq); -1 is inferred
        shape("shape.q", 0, 0, kvh, group, hd);
        shape("shape.kv", 0, 0, kvh, hd);
        shape("shape.q_rows", 0, 0, -1, hd);
        shape("shape.ctx", 0, 0, group, -1, hd);
        shape("shape.hidden", 0, 0, h);

        String x = "embed.out";
        node("Gather", "embed", new String[] {weight("model.embed_tokens.weight", p.vocab(), h), "input_ids"}, x);
        for (int i = 0; i < p.layers(); i++) {
            String l = "model.layers." + i;
            String n = rmsNorm(l + ".input_layernorm", x);
            String attn = attention(l + ".self_attn", n, h, kvh * hd);
            String r1 = node("Add", l + ".attn_residual", new String[] {x, attn}, l + ".attn_residual.out");
            String n2 = rmsNorm(l + ".post_attention_layernorm", r1);
            String mlp = mlp(l + ".mlp", n2, h, p.intermediate());
            x = node("Add", l + ".mlp_residual", new String[] {r1, mlp}, l + ".mlp_residual.out");
        }
        String fin = rmsNorm("model.norm", x);
        node("MatMul", "lm_head", new String[] {fin, weight("lm_head.weight", h, p.vocab())}, "logits");
    }

    private void embeddingOnly() throws IOException {
        Preset p = preset;
        graph.addInput(valueInfo("input_ids", TensorProto.DataType.INT64_VALUE, "batch", "seq"));
        graph.addOutput(valueInfo("hidden_states", p.dtype().onnxType, "batch", "seq", p.hidden()));
        node("Gather", "embed", new String[] {weight("model.embed_tokens.weight", p.vocab(), p.hidden()), "input_ids"},
                "hidden_states");
    }

    private void matmulOnly() throws IOException {
        int n = preset.hidden();
        graph.addInput(valueInfo("x", preset.dtype().onnxType, "batch", n));
        graph.addOutput(valueInfo("y", preset.dtype().onnxType, "batch", n));
        node("MatMul", "matmul", new String[] {"x", weight("weight", n, n)}, "y");
    }

    /** x / sqrt(mean(x^2) + eps) * scale, over the last axis. */
    private String rmsNorm(String prefix, String x) throws IOException {
        int h = preset.hidden();
        String sq = node("Pow", prefix + ".pow", new String[] {x, "rms.two"}, prefix + ".pow.out");
        NodeProto.Builder mean = nodeBuilder("ReduceMean", prefix + ".mean", new String[] {sq}, prefix + ".mean.out");
        mean.addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS).addInts(-1));
        mean.addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT).setI(1));
        graph.addNode(mean);
        String var = node("Add", prefix + ".add_eps", new String[] {prefix + ".mean.out", "rms.eps"}, prefix + ".add_eps.out");
        String rms = node("Sqrt", prefix + ".sqrt", new String[] {var}, prefix + ".sqrt.out");
        String normed = node("Div", prefix + ".div", new String[] {x, rms}, prefix + ".div.out");
        String scale = constantWeight(prefix + ".weight", 1f, h);
        return node("Mul", prefix + ".mul", new String[] {normed, scale}, prefix + ".out");
    }

    /**
     * Grouped-query attention without materialising repeated k/v heads: q is laid out as
     * [batch, kv_heads, group × seq, head_dim], so query head {@code kv × group + j} uses kv head
     * {@code kv}, as LLaMA's repeat_kv does.
     */
    private String attention(String prefix, String x, int h, int kvWidth) throws IOException {
        String q = node("MatMul", prefix + ".q_proj", new String[] {x, weight(prefix + ".q_proj.weight", h, h)}, prefix + ".q");
        String k = node("MatMul", prefix + ".k_proj", new String[] {x, weight(prefix + ".k_proj.weight", h, kvWidth)}, prefix + ".k");
        String v = node("MatMul", prefix + ".v_proj", new String[] {x, weight(prefix + ".v_proj.weight", h, kvWidth)}, prefix + ".v");
        String q5 = node("Reshape", prefix + ".q_reshape", new String[] {q, "shape.q"}, prefix + ".q5");
        String qt = transpose(prefix + ".q_transpose", q5, 0, 2, 3, 1, 4);                 // [b, kv, g, s, d]
        String qr = node("Reshape", prefix + ".q_rows", new String[] {qt, "shape.q_rows"}, prefix + ".q_rows.out"); // [b, kv, g*s, d]
        String k4 = node("Reshape", prefix + ".k_reshape", new String[] {k, "shape.kv"}, prefix + ".k4");
        String kt = transpose(prefix + ".k_transpose", k4, 0, 2, 3, 1);                    // [b, kv, d, s]
        String v4 = node("Reshape", prefix + ".v_reshape", new String[] {v, "shape.kv"}, prefix + ".v4");
        String vt = transpose(prefix + ".v_transpose", v4, 0, 2, 1, 3);                    // [b, kv, s, d]
        String scores = node("MatMul", prefix + ".scores", new String[] {qr, kt}, prefix + ".scores.out");
        String scaled = node("Mul", prefix + ".scale", new String[] {scores, "attn.scale"}, prefix + ".scale.out");
        NodeProto.Builder sm = nodeBuilder("Softmax", prefix + ".softmax", new String[] {scaled}, prefix + ".probs");
        sm.addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(-1));
        graph.addNode(sm);
        String ctx = node("MatMul", prefix + ".context", new String[] {prefix + ".probs", vt}, prefix + ".context.out");
        String c5 = node("Reshape", prefix + ".ctx_reshape", new String[] {ctx, "shape.ctx"}, prefix + ".ctx5"); // [b, kv, g, s, d]
        String ct = transpose(prefix + ".ctx_transpose", c5, 0, 3, 1, 2, 4);               // [b, s, kv, g, d]
        String merged = node("Reshape", prefix + ".merge_heads", new String[] {ct, "shape.hidden"}, prefix + ".merged");
        return node("MatMul", prefix + ".o_proj", new String[] {merged, weight(prefix + ".o_proj.weight", h, h)}, prefix + ".out");
    }

    /** down(silu(gate(x)) * up(x)), with silu(g) = g * sigmoid(g). */
    private String mlp(String prefix, String x, int h, int inter) throws IOException {
        String g = node("MatMul", prefix + ".gate_proj", new String[] {x, weight(prefix + ".gate_proj.weight", h, inter)}, prefix + ".gate");
        String s = node("Sigmoid", prefix + ".sigmoid", new String[] {g}, prefix + ".sigmoid.out");
        String silu = node("Mul", prefix + ".silu", new String[] {g, s}, prefix + ".silu.out");
        String u = node("MatMul", prefix + ".up_proj", new String[] {x, weight(prefix + ".up_proj.weight", h, inter)}, prefix + ".up");
        String prod = node("Mul", prefix + ".gate_up", new String[] {silu, u}, prefix + ".gate_up.out");
        return node("MatMul", prefix + ".down_proj", new String[] {prod, weight(prefix + ".down_proj.weight", inter, h)}, prefix + ".out");
    }

    private String transpose(String name, String in, long... perm) {
        NodeProto.Builder t = nodeBuilder("Transpose", name, new String[] {in}, name + ".out");
        AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS);
        for (long p : perm) a.addInts(p);
        t.addAttribute(a);
        graph.addNode(t);
        return name + ".out";
    }

    /** A random weight; each tensor has its own stream, so the values do not depend on the order. */
    private String weight(String name, long... dims) throws IOException {
        long tensorSeed = seed * 0x9E3779B97F4A7C15L + (++tensorIndex) * 0xC2B2AE3D27D4EB4FL;
        graph.addInitializer(data.write(name, dims, preset.dtype(), tensorSeed, STD, 0f));
        return name;
    }

    private String constantWeight(String name, float value, long... dims) throws IOException {
        graph.addInitializer(data.write(name, dims, preset.dtype(), 0, 0f, value));
        return name;
    }

    /** A scalar of the activation type, stored inline (it is not a weight). */
    private void scalar(String name, float value) {
        WeightType t = preset.dtype();
        ByteBuffer b = ByteBuffer.allocate(t.bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (t == WeightType.FP16) b.putShort(WeightType.toHalf(value));
        else b.putFloat(value);
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(t.onnxType)
                .setRawData(ByteString.copyFrom(b.array())));
    }

    private void shape(String name, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(values.length).setRawData(ByteString.copyFrom(b.array())));
    }

    private String node(String op, String name, String[] inputs, String output) {
        graph.addNode(nodeBuilder(op, name, inputs, output));
        return output;
    }

    private static NodeProto.Builder nodeBuilder(String op, String name, String[] inputs, String output) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String in : inputs) n.addInput(in);
        return n;
    }

    /** dims: a String is a symbolic dimension, a Number a fixed one. */
    private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) dim.setDimParam(s);
            else dim.setDimValue(((Number) d).longValue());
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    /** {@code PRESET OUT.onnx [--seed N] [--dtype fp16|fp32]}; exit 2 on a usage error. */
    public static void main(String[] args) throws IOException {
        try {
            if (args.length < 2) throw new IllegalArgumentException("expected PRESET OUT.onnx");
            Preset preset = Preset.named(args[0]);
            Path out = Path.of(args[1]);
            long seed = 1;
            for (int i = 2; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                switch (a) {
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--dtype" -> preset = preset.withDtype(WeightType.parse(args[++i]));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            long start = System.nanoTime();
            Result r = new LlamaGenerator(preset, seed).write(out);
            System.out.printf(Locale.ROOT, "%s: preset %s, %s, %,d parameters, %,d bytes + %,d bytes of external data (%s), %.1f s%n",
                    r.model(), preset.name(), preset.dtype().name().toLowerCase(Locale.ROOT), r.parameters(),
                    Files.size(r.model()), r.dataBytes(), r.data().getFileName(),
                    (System.nanoTime() - start) / 1e9);
        } catch (IllegalArgumentException e) {
            System.err.println("gen-llama: error: " + e.getMessage());
            System.err.println("usage: gen-llama.sh PRESET OUT.onnx [--seed N] [--dtype fp16|fp32]; presets "
                    + Preset.ALL.stream().map(Preset::name).toList());
            System.exit(2);
        }
    }
}
