package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * Options of {@link Pruner#magnitude}, mirroring Core ML Tools' {@code OpMagnitudePrunerConfig}
 * (ir/PARE_DIALECT.md, Compression math) minus {@code weight_threshold}.
 *
 * @param targetSparsity fraction in [0, 1] of magnitudes to prune; exclusive with {@code nmRatio}
 * @param blockSize      &gt; 1: prune blocks of this many consecutive channels along {@code dim} by L2 norm
 * @param nmRatio        {@code {n, m}}: the n smallest of every m consecutive values along {@code dim}
 * @param dim            0 or 1; defaults to 0 for blocks and 1 for n:m
 */
public record MagnitudePrunerOptions(Double targetSparsity, Integer blockSize, int[] nmRatio, Integer dim) {

    public MagnitudePrunerOptions {
        if ((targetSparsity == null) == (nmRatio == null)) {
            throw new IllegalArgumentException("prune: exactly one of target_sparsity and n_m_ratio must be set");
        }
        if (targetSparsity != null && !(targetSparsity >= 0 && targetSparsity <= 1)) {
            throw new IllegalArgumentException("prune: target_sparsity must be in [0, 1], got " + targetSparsity);
        }
        if (blockSize != null && nmRatio != null) {
            throw new IllegalArgumentException("prune: block_size and n_m_ratio cannot be combined");
        }
        if (blockSize != null && blockSize <= 1) {
            throw new IllegalArgumentException("prune: block_size must be greater than 1, got " + blockSize);
        }
        if (nmRatio != null) {
            nmRatio = nmRatio.clone();
            if (nmRatio.length != 2 || nmRatio[0] < 0 || nmRatio[1] < 1 || nmRatio[0] > nmRatio[1]) {
                throw new IllegalArgumentException("prune: n_m_ratio must be two integers 0 <= n <= m with m >= 1, got "
                        + Arrays.toString(nmRatio));
            }
        }
        if (dim != null) {
            if (blockSize == null && nmRatio == null) {
                throw new IllegalArgumentException("prune: dim is only allowed with block_size or n_m_ratio");
            }
            if (dim != 0 && dim != 1) throw new IllegalArgumentException("prune: dim must be 0 or 1, got " + dim);
        } else if (blockSize != null) {
            dim = 0;
        } else if (nmRatio != null) {
            dim = 1;
        }
    }

    /** Unstructured magnitude pruning. */
    public static MagnitudePrunerOptions sparsity(double target) {
        return new MagnitudePrunerOptions(target, null, null, null);
    }

    /** Block-structured magnitude pruning along {@code dim}. */
    public static MagnitudePrunerOptions blocks(double target, int blockSize, int dim) {
        return new MagnitudePrunerOptions(target, blockSize, null, dim);
    }

    /** n:m pruning along {@code dim}. */
    public static MagnitudePrunerOptions nOfM(int n, int m, int dim) {
        return new MagnitudePrunerOptions(null, null, new int[] {n, m}, dim);
    }

    @Override
    public int[] nmRatio() {
        return nmRatio == null ? null : nmRatio.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MagnitudePrunerOptions)) return false;
        MagnitudePrunerOptions p = (MagnitudePrunerOptions) o;
        return java.util.Objects.equals(targetSparsity, p.targetSparsity) && java.util.Objects.equals(blockSize, p.blockSize)
                && Arrays.equals(nmRatio, p.nmRatio) && java.util.Objects.equals(dim, p.dim);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(targetSparsity, blockSize, Arrays.hashCode(nmRatio), dim);
    }
}
