package dev.pare.passes.compression.math;

/** Which weights {@link SparseGpt} may zero, and how many. */
public sealed interface SparsityPattern permits SparsityPattern.Unstructured, SparsityPattern.PerChannel, SparsityPattern.NOfM {

    /** {@code round(target · count)} of each column block's weights, wherever they are. */
    record Unstructured(double target) implements SparsityPattern {
        public Unstructured {
            check(target);
        }
    }

    /** {@code round(target · count)} of each output channel's weights in each column block: the same sparsity in every channel. */
    record PerChannel(double target) implements SparsityPattern {
        public PerChannel {
            check(target);
        }
    }

    /**
     * {@code n} of every {@code m} consecutive weights along tensor {@code axis}, grouped as
     * {@link Pruner}'s n:m (a partial last group counts its missing members as already pruned).
     */
    record NOfM(int n, int m, int axis) implements SparsityPattern {
        public NOfM {
            if (m < 1 || n < 0 || n > m) throw new IllegalArgumentException("sparsegpt: n:m needs 0 <= n <= m and m >= 1, got " + n + ":" + m);
        }
    }

    private static void check(double target) {
        if (!(target >= 0 && target <= 1)) throw new IllegalArgumentException("sparsegpt: target sparsity must be in [0, 1], got " + target);
    }
}
