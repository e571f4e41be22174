package dev.pare.bench.llama;

import java.util.List;
import java.util.Locale;

/**
 * The shape of a generated model. {@link Kind#DECODER} is a LLaMA-style decoder; the other kinds are
 * one-weight models for focused scale cases.
 *
 * @param name         what {@code scripts/gen-llama.sh} calls it
 * @param kind         which graph is generated
 * @param hidden       hidden size (for {@link Kind#MATMUL}: the weight is hidden × hidden)
 * @param layers       decoder layers
 * @param heads        attention heads
 * @param kvHeads      key/value heads (grouped-query attention when fewer than {@code heads})
 * @param intermediate MLP width
 * @param vocab        vocabulary size
 * @param dtype        weight and activation type unless {@code --dtype} says otherwise
 */
public record Preset(String name, Kind kind, int hidden, int layers, int heads, int kvHeads, int intermediate,
                     int vocab, WeightType dtype) {

    /** Which graph a preset generates. */
    public enum Kind {
        /** token ids → embedding → decoder layers → final norm → lm_head → logits */
        DECODER,
        /** token ids → embedding Gather → hidden states: one big embedding table */
        EMBEDDING,
        /** x → MatMul by one hidden × hidden constant → y */
        MATMUL
    }

    public Preset {
        if (kind == Kind.DECODER && (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || hidden % heads != 0)) {
            throw new IllegalArgumentException(name + ": heads must divide hidden and kv heads must divide heads");
        }
    }

    /** For the tests: 2 layers, grouped-query attention, a few kB of weights. */
    public static final Preset TINY = new Preset("tiny", Kind.DECODER, 64, 2, 4, 2, 176, 256, WeightType.FP16);
    /**
     * GPT-3 Small's width and depth (hidden 768, 12 layers, 12 heads) with LLaMA's MLP ratio and vocabulary:
     * 134M parameters with an untied lm_head.
     */
    public static final Preset P125M = new Preset("125m", Kind.DECODER, 768, 12, 12, 12, 2048, 32000, WeightType.FP16);
    /** Qwen2-1.5B's shapes (1.78B parameters here, as the lm_head is not tied to the embedding). */
    public static final Preset P1_5B = new Preset("1.5b", Kind.DECODER, 1536, 28, 12, 2, 8960, 151936, WeightType.FP16);
    /** LLaMA-2-7B's shapes: 6.74B parameters, 13.5 GB in float16. */
    public static final Preset P7B = new Preset("7b", Kind.DECODER, 4096, 32, 32, 32, 11008, 32000, WeightType.FP16);
    /** Qwen2-7B's embedding table in float32: 152064 × 3584, 2.18 GB in one tensor. */
    public static final Preset EMBED_152K = new Preset("embed152k", Kind.EMBEDDING, 3584, 0, 0, 0, 0, 152064, WeightType.FP32);
    /** One 4096 × 4096 float32 weight (64 MiB), the size the compression-math benchmark uses. */
    public static final Preset MATMUL_4096 = new Preset("matmul4096", Kind.MATMUL, 4096, 0, 0, 0, 0, 0, WeightType.FP32);

    public static final List<Preset> ALL = List.of(TINY, P125M, P1_5B, P7B, EMBED_152K, MATMUL_4096);

    public static Preset named(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        for (Preset p : ALL) {
            if (p.name.equals(key)) return p;
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; one of "
                + ALL.stream().map(Preset::name).toList());
    }

    public int headDim() { return hidden / heads; }

    /** Elements of all weights this preset generates (norm scales included). */
    public long parameters() {
        long h = hidden;
        return switch (kind) {
            case MATMUL -> h * h;
            case EMBEDDING -> (long) vocab * h;
            case DECODER -> {
                long kv = (long) kvHeads * headDim();
                long perLayer = 2 * h * h + 2 * h * kv + 3 * h * intermediate + 2 * h;
                yield 2L * vocab * h + layers * perLayer + h;
            }
        };
    }

    public Preset withDtype(WeightType t) {
        return new Preset(name, kind, hidden, layers, heads, kvHeads, intermediate, vocab, t);
    }
}
