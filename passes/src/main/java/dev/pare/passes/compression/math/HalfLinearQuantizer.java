package dev.pare.passes.compression.math;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;

/**
 * The streamed linear quantization of a float16 weight ({@link LinearQuantizer#quantize(long[],
 * Precision, LinearQuantizer.ValueSource, LinearQuantizerOptions, int, LinearQuantizer.CodeSink,
 * SplitWork)} with {@link Precision#FLOAT16}: same scales, zero points and codes) working on the
 * stored bits: a block's range is found on the bits (the largest magnitude is the largest
 * {@code bits & 0x7FFF}; min and max compare order-preserving integer keys), each value is widened
 * once to compute its code, and the codes come out packed (two int4 codes or one int8 code a byte),
 * so no float or int array of a piece is made and nothing is packed code by code afterwards.
 *
 * <p>The per-value step, {@code clip(round_half_even(fp16(v / scale)) + zp)}, is
 * {@link LinearQuantizer#code} after {@link Precision#roundToHalf} without the branches of either:
 * the rounding to float16 on the float's bits is exact for quotients in fp16's normal range; below
 * it (|q| &lt; 2^-14) both roundings end below 2^-13 and so at the integer 0; above it (the quotient
 * of two finite float16 values is below 2^40, so the bits cannot overflow into the sign) both give
 * magnitudes of at least 2^15 of the same sign, which clip to qmin or qmax as codes are below 2^8.
 * {@code HalfLinearQuantizerTest} checks the code of every finite float16 value against the float
 * path for scales from 2^-24 to 65504, and whole weights' codes, scales and zero points.
 */
public final class HalfLinearQuantizer {

    private HalfLinearQuantizer() {}

    /** Reads the stored float16 bits of the weight's elements {@code [first, first + count)}, row-major, into {@code into[0, count)}. */
    @FunctionalInterface
    public interface HalfSource {
        void read(long first, short[] into, int count);

        /**
         * Reads the elements {@code [first, first + 2·pairs)} ({@code first} even) as pairs into
         * {@code into[0, pairs)}: the first of a pair in the low 16 bits, as the stored little-endian
         * bytes read as ints. Sources over stored bytes override it to read the ints directly.
         */
        default void readPairs(long first, int[] into, int pairs) {
            short[] h = new short[2 * pairs];
            read(first, h, 2 * pairs);
            for (int i = 0; i < pairs; i++) into[i] = (h[2 * i] & 0xFFFF) | (h[2 * i + 1] << 16);
        }
    }

    /** Takes the next {@code count} bytes of packed codes, in element order (the array is reused after the call returns). */
    @FunctionalInterface
    public interface PackedSink {
        void accept(byte[] packed, int count);
    }

    /** Whether {@link #quantize} handles codes of this type: one or two codes a byte. */
    public static boolean packs(DType dtype) {
        return dtype.bits() == 8 || dtype.bits() == 4;
    }

    /**
     * As {@link LinearQuantizer#quantize(long[], Precision, LinearQuantizer.ValueSource,
     * LinearQuantizerOptions, int, LinearQuantizer.CodeSink, SplitWork)} for a float16 weight: pieces
     * of whole bands read once when a piece holds a band (blocks of 32 rows of a MatMul weight),
     * else a first pass over the pieces for the ranges and a second for the codes, both split by
     * element ranges over {@code split} (ranges merged by integer max and min, so the same for any
     * split). {@code piece} must be a multiple of 8, so that every piece packs to whole bytes. The
     * values must be finite (not checked here).
     */
    public static LinearQuantization quantize(long[] shape, HalfSource values, LinearQuantizerOptions options, int piece,
                                              PackedSink codes, SplitWork split) {
        if (piece <= 0 || piece % 8 != 0) throw new IllegalArgumentException("linear_quantize: piece must be a positive multiple of 8, got " + piece);
        if (!packs(options.dtype())) throw new IllegalArgumentException("linear_quantize: float16 codes are packed for 8- and 4-bit types, not " + options.dtype());
        int rank = shape.length;
        int[] blockLengths = options.granularity().blockLengths(shape);
        long[] scaleShape = new long[rank];
        for (int d = 0; d < rank; d++) scaleShape[d] = Math.max(1, (shape[d] + blockLengths[d] - 1) / blockLengths[d]);
        int blocks = Shapes.count(scaleShape);
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        long[] strides = Shapes.strides(shape);
        long[] sStrides = Shapes.strides(scaleShape);
        Kernel kernel = new Kernel(shape, blockLengths, strides, sStrides, options);
        float[] scales = new float[blocks];
        int[] zeroPoints = LinearQuantizer.hasZeroPoint(options) ? new int[blocks] : null;
        long band = rank == 0 ? 1 : (long) blockLengths[0] * strides[0];
        if (n > 0 && kernel.countsThresholds() && band <= Math.max(piece, LARGEST_THRESHOLD_BAND)) {
            // a band larger than a piece (a vocabulary's lm_head in int4 blocks: 32 rows of 151,936) is read whole rather
            // than twice, so that it takes this kernel too
            int length = (int) Math.min(band > piece ? band : piece / band * band, n);
            thresholdsByBands(values, kernel, length, n, band, sStrides[0], blocks, scales, codes);
        } else if (n > 0 && band <= piece) {
            byBands(values, kernel, (int) Math.min(piece / band * band, n), n, band, rank == 0 ? blocks : sStrides[0], blocks, scales,
                    zeroPoints, codes);
        } else {
            twoPasses(values, kernel, (int) Math.min(piece, Math.max(8, n)), n, blocks, scales, zeroPoints, codes, split);
        }
        return new LinearQuantization(shape.clone(), Precision.FLOAT16, options.dtype(), options.mode(), blockLengths, scaleShape, null,
                scales, zeroPoints, null);
    }

    /** One read of each value: chunks of whole bands, whose blocks are complete in the chunk. */
    private static void byBands(HalfSource values, Kernel kernel, int length, long n, long band, long perBand, int blocks,
                                float[] scales, int[] zeroPoints, PackedSink codes) {
        short[] h = new short[length];
        byte[] q = new byte[length];
        byte[] packed = kernel.packedArray(q);
        int[] hi = new int[(int) Math.min(blocks, (length + band - 1) / band * perBand)];
        int[] lo = kernel.symmetric ? null : new int[hi.length]; // symmetric: the largest magnitude only
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            values.read(first, h, count);
            int from = (int) (first / band * perBand);
            int to = (int) Math.min(blocks, (first + count + band - 1) / band * perBand);
            kernel.startRanges(lo, hi, to - from);
            kernel.widenRanges(h, first, count, from, lo, hi);
            kernel.parameters(lo, hi, to - from, from, scales, zeroPoints);
            if (kernel.packsPairsInRows()) { // int4 codes of a row's neighbours packed as they are computed
                codes.accept(packed, kernel.packedPairs(h, first, count, scales, zeroPoints, packed));
            } else {
                kernel.codes(h, first, count, scales, zeroPoints, q, 0);
                codes.accept(packed, kernel.pack(q, count, packed));
            }
        }
    }

    /**
     * Signed symmetric int4 ({@link Kernel#countsThresholds}): chunks of whole bands, each row read
     * twice (for the ranges, then for the codes) as pairs of float16 values per int into row-long
     * arrays, so that every loop indexes its arrays alike: JDK 17's C2 vectorizes only such loops (a
     * loop over {@code a[o + p]} and {@code b[p]} stays scalar), with no conversions between types and
     * a small body. A block's range is the largest magnitude of its values ({@link #widenPairs} on the
     * pairs' halves); its scale and code thresholds come from that magnitude ({@link Int4Blocks}); the
     * codes count thresholds ({@link #codeRow}) and come out a byte a pair. With a block per column
     * (MatMul weights) the rows of a band share their blocks, so their thresholds are laid out once a
     * band; with blocks along the rows (an embedding) once a row.
     */
    private static void thresholdsByBands(HalfSource values, Kernel kernel, int length, long n, long band, long perBand, int blocks,
                                          float[] scales, PackedSink codes) {
        int rowPairs = (int) (kernel.shape[kernel.shape.length - 1] / 2);
        byte[] packed = new byte[length / 2];
        int chunkBlocks = (int) Math.min(blocks, (length + band - 1) / band * perBand);
        boolean columns = kernel.innerBlock() == 1;
        // a block per column: a row's blocks start at an even block (rows are even), so blocks pair up as values do
        int[] hiPairs = new int[columns ? chunkBlocks / 2 : 0];
        int[][] pairThresholds = new int[Int4Blocks.THRESHOLDS][columns ? chunkBlocks / 2 : 0];
        int[] hi = new int[columns ? 0 : chunkBlocks]; // blocks along the rows: each block's largest magnitude
        int[] blockAt = new int[columns ? 0 : chunkBlocks]; // and where its entry is in Int4Blocks
        RowBuffers rows = new RowBuffers(rowPairs);
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            int from = (int) (first / band * perBand);
            int to = (int) Math.min(blocks, (first + count + band - 1) / band * perBand);
            if (columns) {
                java.util.Arrays.fill(hiPairs, 0, (to - from) / 2, 0);
                rangesOfChunk(kernel, values, first, count, from, hiPairs, rows);
                Int4Blocks.ofPairs(hiPairs, (to - from) / 2, scales, from, pairThresholds);
                codesOfChunk(kernel, values, first, count, from, pairThresholds, rows, packed);
            } else {
                java.util.Arrays.fill(hi, 0, to - from, 0);
                rangesAlongRows(kernel, values, first, count, from, hi, rows);
                for (int b = 0; b < to - from; b++) {
                    blockAt[b] = Int4Blocks.at(hi[b]);
                    scales[from + b] = Int4Blocks.scaleAt(blockAt[b]);
                }
                codesAlongRows(kernel, values, first, count, from, blockAt, rows, packed);
            }
            codes.accept(packed, count / 2);
        }
    }

    /** The row-long arrays of {@link #thresholdsByBands}: a row's pairs, its blocks' ranges and thresholds, counts and bytes. */
    private static final class RowBuffers {
        final int pairs;
        final int[] row;
        final int[] range;
        final int[][] thresholds;
        final int[] low;
        final int[] high;
        final int[] out;

        RowBuffers(int pairs) {
            this.pairs = pairs;
            row = new int[pairs];
            range = new int[pairs];
            thresholds = new int[Int4Blocks.THRESHOLDS][pairs];
            low = new int[pairs];
            high = new int[pairs];
            out = new int[pairs];
        }
    }

    /** Widens {@code hiPairs} (the chunk's blocks from {@code from}, two a pair) by the chunk's rows. */
    private static void rangesOfChunk(Kernel kernel, HalfSource values, long first, int count, int from, int[] hiPairs, RowBuffers rows) {
        int rowPairs = rows.pairs;
        int rangeAt = -1; // the pair of blocks rows.range holds (the rows of a band share their blocks)
        for (int i = 0; i < count; i += 2 * rowPairs) {
            int at = (int) ((kernel.rowBase(first + i) - from) / 2);
            if (at != rangeAt) {
                if (rangeAt >= 0) System.arraycopy(rows.range, 0, hiPairs, rangeAt, rowPairs);
                System.arraycopy(hiPairs, at, rows.range, 0, rowPairs);
                rangeAt = at;
            }
            values.readPairs(first + i, rows.row, rowPairs);
            widenPairs(rows.row, rows.range, rowPairs);
        }
        if (rangeAt >= 0) System.arraycopy(rows.range, 0, hiPairs, rangeAt, rowPairs);
    }

    /** The packed codes of the chunk's rows into {@code packed[0, count / 2)}, by the thresholds of the chunk's block pairs. */
    private static void codesOfChunk(Kernel kernel, HalfSource values, long first, int count, int from, int[][] pairThresholds,
                                     RowBuffers rows, byte[] packed) {
        int rowPairs = rows.pairs;
        int[][] t = rows.thresholds;
        int thresholdsAt = -1;
        for (int i = 0; i < count; i += 2 * rowPairs) {
            int at = (int) ((kernel.rowBase(first + i) - from) / 2);
            if (at != thresholdsAt) { // the row's own copy: every loop of codeRow indexes its arrays alike
                for (int j = 0; j < t.length; j++) System.arraycopy(pairThresholds[j], at, t[j], 0, rowPairs);
                thresholdsAt = at;
            }
            values.readPairs(first + i, rows.row, rowPairs);
            codeRow(rows.row, t, rows.low, rows.high, rows.out, rowPairs);
            int o = i / 2;
            int[] out = rows.out;
            for (int p = 0; p < rowPairs; p++) packed[o + p] = (byte) out[p];
        }
    }

    /**
     * Blocks of an even length along the rows (an embedding's blocks of 32): widens {@code hi} (the
     * chunk's blocks from {@code from}) by the largest magnitude of each block's pairs in each row.
     */
    private static void rangesAlongRows(Kernel kernel, HalfSource values, long first, int count, int from, int[] hi, RowBuffers rows) {
        int rowPairs = rows.pairs;
        int blockPairs = kernel.innerBlock() / 2;
        int[] row = rows.row;
        for (int i = 0; i < count; i += 2 * rowPairs) {
            int b = (int) (kernel.rowBase(first + i) - from);
            values.readPairs(first + i, row, rowPairs);
            for (int p0 = 0; p0 < rowPairs; p0 += blockPairs, b++) {
                int end = Math.min(rowPairs, p0 + blockPairs);
                int m = 0; // both halves' largest magnitude, kept in the low and high 16 bits
                for (int p = p0; p < end; p++) {
                    int a = row[p] & MAGNITUDES;
                    int ge = ((a | HALF_SIGNS) - m) & HALF_SIGNS;
                    int keepA = ge - (ge >>> 15);
                    m = (a & keepA) | (m & ~keepA);
                }
                hi[b] = Math.max(hi[b], Math.max(m & 0x7FFF, m >>> 16));
            }
        }
    }

    /** Blocks of an even length along the rows: the packed codes of the chunk's rows, each pair by its block's thresholds (both halves alike). */
    private static void codesAlongRows(Kernel kernel, HalfSource values, long first, int count, int from, int[] blockAt, RowBuffers rows,
                                       byte[] packed) {
        int rowPairs = rows.pairs;
        int blockPairs = kernel.innerBlock() / 2;
        int[][] t = rows.thresholds;
        for (int i = 0; i < count; i += 2 * rowPairs) {
            int b = (int) (kernel.rowBase(first + i) - from);
            for (int p0 = 0; p0 < rowPairs; p0 += blockPairs, b++) {
                int end = Math.min(rowPairs, p0 + blockPairs);
                for (int j = 0; j < t.length; j++) {
                    int threshold = Int4Blocks.thresholdAt(blockAt[b], j);
                    int both = threshold | (threshold << 16);
                    int[] tj = t[j];
                    for (int p = p0; p < end; p++) tj[p] = both;
                }
            }
            values.readPairs(first + i, rows.row, rowPairs);
            codeRow(rows.row, t, rows.low, rows.high, rows.out, rowPairs);
            int o = i / 2;
            int[] out = rows.out;
            for (int p = 0; p < rowPairs; p++) packed[o + p] = (byte) out[p];
        }
    }

    /**
     * {@code out[p]}: the packed byte of pair {@code p} of a row, by thresholds {@code t}. Two thresholds
     * a loop: with the seven in one loop (or three, twice, in one method) C2 did not vectorize it
     * (LoopUnrollLimit), and the code took two to three times the CPU.
     */
    static void codeRow(int[] row, int[][] t, int[] low, int[] high, int[] out, int pairs) {
        countFirst(row, t[0], t[1], low, pairs);
        countMore(row, t[2], t[3], low, high, pairs);
        countMore(row, t[4], t[5], high, low, pairs);
        finishPairs(row, t[6], low, out, pairs);
    }

    /** Both halves' sign bit cleared ({@code x & MAGNITUDES}), and set ({@code | HALF_SIGNS}). */
    private static final int MAGNITUDES = 0x7FFF7FFF;
    private static final int HALF_SIGNS = 0x80008000;
    private static final int HALF_ONES = 0x00010001;

    /**
     * {@code range[p]} := the larger magnitude of each half of {@code range[p]} and {@code pairs[p]}
     * (15-bit fields in 16-bit halves: {@code (a | 0x8000) - b} keeps bit 15 where {@code a >= b}, and
     * borrows nothing across halves).
     */
    static void widenPairs(int[] pairs, int[] range, int count) {
        for (int p = 0; p < count; p++) {
            int a = pairs[p] & MAGNITUDES;
            int b = range[p];
            int ge = ((a | HALF_SIGNS) - b) & HALF_SIGNS;
            int keepA = ge - (ge >>> 15); // 0x7FFF in the halves where a >= b
            range[p] = (a & keepA) | (b & ~keepA);
        }
    }

    /**
     * {@code into[p]} := per half of {@code pairs[p]}, how many of two thresholds its magnitude reaches
     * ({@code (m | 0x8000) - t} keeps bit 15 where {@code m >= t}; thresholds are at most
     * {@code 0x7C00}, so nothing borrows across halves). Few thresholds a loop: a larger body is not
     * unrolled by C2 (LoopUnrollLimit) and so not vectorized.
     */
    static void countFirst(int[] pairs, int[] t1, int[] t2, int[] into, int count) {
        for (int p = 0; p < count; p++) {
            int m = pairs[p] | HALF_SIGNS;
            into[p] = (((m - t1[p]) >>> 15) & HALF_ONES) + (((m - t2[p]) >>> 15) & HALF_ONES);
        }
    }

    /** {@code into[p]} := {@code counts[p]} plus the thresholds of {@code t1} and {@code t2} reached (as {@link #countFirst}). */
    static void countMore(int[] pairs, int[] t1, int[] t2, int[] counts, int[] into, int count) {
        for (int p = 0; p < count; p++) {
            int m = pairs[p] | HALF_SIGNS;
            into[p] = counts[p] + (((m - t1[p]) >>> 15) & HALF_ONES) + (((m - t2[p]) >>> 15) & HALF_ONES);
        }
    }

    /**
     * {@code out[p]} := the packed byte of pair {@code p}: each half's count (with the seventh
     * threshold) negated in 4 bits where the value is negative ({@code (c ^ 0xF) + 1}), the first of the
     * pair in the low nibble.
     */
    static void finishPairs(int[] pairs, int[] t7, int[] counts, int[] out, int count) {
        for (int p = 0; p < count; p++) {
            int v = pairs[p];
            int c = counts[p] + ((((v | HALF_SIGNS) - t7[p]) >>> 15) & HALF_ONES);
            int negative = (v >>> 15) & HALF_ONES;
            int nibbles = ((c ^ (negative * 0xF)) + negative) & 0x000F000F;
            out[p] = nibbles | (nibbles >>> 12);
        }
    }

    /** Bands up to this many elements are read whole for the threshold kernel even when larger than a piece (16 MiB of float16). */
    private static final int LARGEST_THRESHOLD_BAND = 1 << 23;

    /**
     * Signed symmetric int4 blocks ([-7, 7], no zero point) by their largest float16 magnitude
     * {@code m}: the scale ({@link LinearQuantizer#parameters} of the range {@code [-m, m]}) and the
     * code thresholds. The code of a float16 magnitude is the number of thresholds
     * {@code T_1 <= ... <= T_7} it reaches, {@code T_j} the smallest magnitude whose {@link #code} is
     * at least {@code j} ({@code 0x7C00}, above every finite magnitude, if none is): {@link #code} is
     * non-decreasing in the magnitude (division by a positive scale, both roundings and the clip are
     * monotone) and odd ({@code code(-v) = -code(v)}: every step is symmetric and so is the range). Both
     * depend on {@code m} only, so each is found once per process (a binary search with
     * {@link #code}) and kept in one table by {@code m}: the same for every weight, thread and order.
     */
    static final class Int4Blocks {
        static final int THRESHOLDS = 7;
        private static final int NEVER = 0x7C00;
        /** Per magnitude: the thresholds, then the scale's bits (never 0: scales are positive), written last as "ready". */
        private static final int STRIDE = THRESHOLDS + 1;
        private static final int[] TABLE = new int[NEVER * STRIDE];
        private static final java.lang.invoke.VarHandle SLOT = java.lang.invoke.MethodHandles.arrayElementVarHandle(int[].class);
        private static final LinearQuantizerOptions OPTIONS = new LinearQuantizerOptions(Mode.LINEAR_SYMMETRIC, DType.INT4,
                new QuantGranularity.PerTensor());

        private Int4Blocks() {}

        /**
         * For the block pairs {@code [0, count)} of {@code hiPairs} (largest magnitudes, two a pair):
         * the scales into {@code scales[from + 2p]} and {@code [from + 2p + 1]}, and threshold {@code j}
         * of both halves into {@code into[j][p]}.
         */
        static void ofPairs(int[] hiPairs, int count, float[] scales, int from, int[][] into) {
            for (int p = 0; p < count; p++) {
                int low = at(hiPairs[p] & 0x7FFF);
                int high = at(hiPairs[p] >>> 16);
                scales[from + 2 * p] = Float.intBitsToFloat(TABLE[low + THRESHOLDS]);
                scales[from + 2 * p + 1] = Float.intBitsToFloat(TABLE[high + THRESHOLDS]);
                for (int j = 0; j < THRESHOLDS; j++) into[j][p] = TABLE[low + j] | (TABLE[high + j] << 16);
            }
        }

        /** The scale of the block whose largest magnitude has the float16 bits {@code m}. */
        static float scale(int m) {
            return Float.intBitsToFloat(TABLE[at(m) + THRESHOLDS]);
        }

        /** Threshold {@code j} (1 to 7) of the block whose largest magnitude has the float16 bits {@code m}. */
        static int threshold(int m, int j) {
            return TABLE[at(m) + j - 1];
        }

        /** The scale of the entry at {@code at} ({@link #at}). */
        static float scaleAt(int at) {
            return Float.intBitsToFloat(TABLE[at + THRESHOLDS]);
        }

        /** Threshold {@code j + 1} of the entry at {@code at} ({@link #at}). */
        static int thresholdAt(int at, int j) {
            return TABLE[at + j];
        }

        /** Where the entry of magnitude {@code m} starts in {@link #TABLE}, made first if new (acquire/release: any thread may make any). */
        static int at(int m) {
            int at = m * STRIDE;
            if ((int) SLOT.getAcquire(TABLE, at + THRESHOLDS) == 0) {
                float max = HalfTable.FLOATS[m];
                float[] scale = new float[1];
                LinearQuantizer.parameters(new float[] {-max}, new float[] {max}, OPTIONS, Precision.FLOAT16, scale, null);
                for (int j = 1; j <= THRESHOLDS; j++) TABLE[at + j - 1] = smallestReaching(j, scale[0]);
                SLOT.setRelease(TABLE, at + THRESHOLDS, Float.floatToRawIntBits(scale[0])); // a race writes the same values twice
            }
            return at;
        }

        /** The smallest finite float16 magnitude whose code is at least {@code j}, or {@link #NEVER}. */
        static int smallestReaching(int j, float scale) {
            int lo = 0; // code(lo) < j (code(0) = 0)
            int hi = NEVER; // code(hi) >= j, or no finite magnitude reaches j
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (code((short) mid, scale, 0, -THRESHOLDS, THRESHOLDS) >= j) hi = mid; else lo = mid;
            }
            return hi;
        }
    }

    /** Blocks that span pieces (per-channel scales of a MatMul weight): the ranges first, then the codes. */
    private static void twoPasses(HalfSource values, Kernel kernel, int length, long n, int blocks, float[] scales, int[] zeroPoints,
                                  PackedSink codes, SplitWork split) {
        int[][] los = new int[split.parts()][];
        int[][] his = new int[split.parts()][];
        split.run(split.parts(), p -> {
            int[] lo = kernel.symmetric ? null : new int[blocks];
            int[] hi = new int[blocks];
            kernel.startRanges(lo, hi, blocks);
            short[] h = new short[length];
            long end = split.start(n, p + 1);
            for (long first = split.start(n, p); first < end; first += length) {
                int count = (int) Math.min(length, end - first);
                values.read(first, h, count);
                kernel.widenRanges(h, first, count, 0, lo, hi);
            }
            los[p] = lo;
            his[p] = hi;
        });
        int[] lo = los[0];
        int[] hi = his[0];
        for (int p = 1; p < los.length; p++) { // integer extremes: the merge order does not matter
            for (int b = 0; b < blocks; b++) hi[b] = Math.max(hi[b], his[p][b]);
            if (lo != null) for (int b = 0; b < blocks; b++) lo[b] = Math.min(lo[b], los[p][b]);
            los[p] = null; // merged: dropped before the parameters and codes
            his[p] = null;
        }
        kernel.parameters(lo, hi, blocks, 0, scales, zeroPoints);

        byte[] q = new byte[length];
        byte[] packed = kernel.packedArray(q);
        short[][] hs = new short[split.parts()][(int) split.start(length, 1)]; // part 0's slice of a piece is the longest
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            long pieceFirst = first;
            split.run(split.parts(), p -> { // each part reads and codes its own slice of the piece
                int from = (int) split.start(count, p);
                int to = (int) split.start(count, p + 1);
                if (to == from) return;
                values.read(pieceFirst + from, hs[p], to - from);
                kernel.codes(hs[p], pieceFirst + from, to - from, scales, zeroPoints, q, from);
            });
            codes.accept(packed, kernel.pack(q, count, packed));
        }
    }

    /**
     * Every float16 bit pattern widened ({@link Float16#toFloat}); a look-up costs less than the
     * conversion's branches.
     */
    private static final class HalfTable {
        static final float[] FLOATS = new float[1 << 16];

        static {
            for (int h = 0; h < FLOATS.length; h++) FLOATS[h] = Float16.toFloat((short) h);
        }
    }

    /** An order-preserving integer key of float16 bits: negative values below positive ones, -0 just below +0. */
    static int key(short h) {
        return h ^ ((h >> 15) & 0x7FFF);
    }

    /** The float16 bits of a {@link #key}. */
    static short bitsOf(int key) {
        return (short) (key < 0 ? key ^ 0x7FFF : key);
    }

    /** Blocks whose parameters are computed at once (heap for their float ranges). */
    private static final int PARAMETER_SLICE = 1 << 16;

    /** Adding and then subtracting 1.5·2^23 rounds a float of magnitude at most 2^22 to an integer, half to even. */
    private static final float ROUNDER = 0x1.8p23f;

    /**
     * The code of float16 bits {@code h} in a block of scale {@code scale} and zero point {@code zp}:
     * {@code clip(round_half_even(fp16(v / scale)) + zp, qmin, qmax)}.
     */
    static int code(short h, float scale, int zp, int qmin, int qmax) {
        int bits = Float.floatToRawIntBits(HalfTable.FLOATS[h & 0xFFFF] / scale);
        float rounded = Float.intBitsToFloat((bits + 0xFFF + ((bits >>> 13) & 1)) & ~0x1FFF); // fp16 round-half-even on the bits
        int q = (int) ((rounded + ROUNDER) - ROUNDER); // exact below 2^22; beyond, as large and of the same sign (saturated)
        return Math.max(qmin - zp, Math.min(qmax - zp, q)) + zp; // clipped before adding zp: a saturated q cannot overflow
    }

    /**
     * A weight's elements in row-major order as runs of one innermost row (as {@code LinearQuantizer}'s
     * runs): the block index is computed once a run, and the inner loops are plain array loops.
     */
    private static final class Kernel {
        final long[] shape;
        private final int[] blockLengths;
        private final long[] strides;
        private final long[] sStrides;
        private final LinearQuantizerOptions options;
        final boolean symmetric;
        final int qmin;
        final int qmax;
        private final boolean nibbles;

        Kernel(long[] shape, int[] blockLengths, long[] strides, long[] sStrides, LinearQuantizerOptions options) {
            this.shape = shape;
            this.blockLengths = blockLengths;
            this.strides = strides;
            this.sStrides = sStrides;
            this.options = options;
            this.symmetric = options.mode() == Mode.LINEAR_SYMMETRIC;
            this.qmin = options.qmin();
            this.qmax = options.qmax();
            this.nibbles = options.dtype().bits() == 4;
        }

        /**
         * Empty ranges for {@code blocks} blocks: symmetric mode keeps only the largest magnitude
         * ({@code hi}, from 0; {@code lo} is null), linear the smallest and largest keys.
         */
        void startRanges(int[] lo, int[] hi, int blocks) {
            if (lo != null) java.util.Arrays.fill(lo, 0, blocks, Integer.MAX_VALUE);
            java.util.Arrays.fill(hi, 0, blocks, symmetric ? 0 : Integer.MIN_VALUE);
        }

        /** Widens the ranges of blocks {@code b - offset} by the elements {@code [first, first + count)} in {@code h}. */
        void widenRanges(short[] h, long first, int count, int offset, int[] lo, int[] hi) {
            int rank = shape.length;
            long inner = rank == 0 ? 1 : shape[rank - 1];
            int innerBlock = rank == 0 ? 1 : blockLengths[rank - 1];
            for (int i = 0; i < count; ) {
                long e = first + i;
                int col = (int) (e % inner);
                int run = (int) Math.min(count - i, inner - col);
                int base = (int) (rowBase(e - col) - offset);
                if (innerBlock == 1) { // a block per column of the row (a MatMul weight's per-channel and per-block scales)
                    int at = base + col - i;
                    if (symmetric) {
                        for (int k = i; k < i + run; k++) hi[at + k] = Math.max(hi[at + k], h[k] & 0x7FFF);
                    } else {
                        for (int k = i; k < i + run; k++) {
                            int key = key(h[k]);
                            lo[at + k] = Math.min(lo[at + k], key);
                            hi[at + k] = Math.max(hi[at + k], key);
                        }
                    }
                } else {
                    for (int k = 0; k < run; ) {
                        int b = base + (col + k) / innerBlock;
                        int end = Math.min(run, (((col + k) / innerBlock) + 1) * innerBlock - col);
                        int m = hi[b];
                        if (symmetric) {
                            for (int j = i + k; j < i + end; j++) m = Math.max(m, h[j] & 0x7FFF);
                        } else {
                            int l = lo[b];
                            for (int j = i + k; j < i + end; j++) {
                                int key = key(h[j]);
                                l = Math.min(l, key);
                                m = Math.max(m, key);
                            }
                            lo[b] = l;
                        }
                        hi[b] = m;
                        k = end;
                    }
                }
                i += run;
            }
        }

        /**
         * The scales and zero points of blocks {@code [from, from + blocks)} from their ranges
         * {@code lo[0, blocks)} and {@code hi[0, blocks)}, by {@link LinearQuantizer#parameters} on
         * the range's float16 values (symmetric: {@code ±} the largest magnitude, the same {@code m}).
         */
        void parameters(int[] lo, int[] hi, int blocks, int from, float[] scales, int[] zeroPoints) {
            // in slices, so that the float ranges of a weight with millions of blocks (a vocabulary's
            // lm_head in int4 blocks) are never all on the heap next to the integer ones
            int slice = Math.min(blocks, PARAMETER_SLICE);
            float[] min = new float[slice];
            float[] max = new float[slice];
            float[] s = new float[slice];
            int[] z = zeroPoints == null ? null : new int[slice];
            for (int start = 0; start < blocks; start += slice) {
                int count = Math.min(slice, blocks - start);
                if (count < slice) { // LinearQuantizer.parameters fills whole arrays
                    min = new float[count];
                    max = new float[count];
                    s = new float[count];
                    z = zeroPoints == null ? null : new int[count];
                }
                for (int i = 0; i < count; i++) {
                    int b = start + i;
                    if (symmetric) {
                        float m = HalfTable.FLOATS[hi[b]];
                        min[i] = -m;
                        max[i] = m;
                    } else {
                        min[i] = HalfTable.FLOATS[bitsOf(lo[b]) & 0xFFFF];
                        max[i] = HalfTable.FLOATS[bitsOf(hi[b]) & 0xFFFF];
                    }
                }
                LinearQuantizer.parameters(min, max, options, Precision.FLOAT16, s, z);
                System.arraycopy(s, 0, scales, from + start, count);
                if (z != null) System.arraycopy(z, 0, zeroPoints, from + start, count);
            }
        }

        /** The codes of the elements {@code [first, first + count)} in {@code h} into {@code q[at, at + count)}. */
        void codes(short[] h, long first, int count, float[] scales, int[] zeroPoints, byte[] q, int at) {
            int rank = shape.length;
            long inner = rank == 0 ? 1 : shape[rank - 1];
            int innerBlock = rank == 0 ? 1 : blockLengths[rank - 1];
            int qmin = this.qmin;
            int qmax = this.qmax;
            for (int i = 0; i < count; ) {
                long e = first + i;
                int col = (int) (e % inner);
                int run = (int) Math.min(count - i, inner - col);
                int base = (int) rowBase(e - col);
                if (innerBlock == 1) {
                    int b = base + col - i;
                    if (zeroPoints == null) { // signed symmetric (int8 per channel, int4 per block): the common loop
                        for (int k = i; k < i + run; k++) q[at + k] = (byte) code(h[k], scales[b + k], 0, qmin, qmax);
                    } else {
                        for (int k = i; k < i + run; k++) q[at + k] = (byte) code(h[k], scales[b + k], zeroPoints[b + k], qmin, qmax);
                    }
                } else {
                    for (int k = 0; k < run; ) {
                        int b = base + (col + k) / innerBlock;
                        int end = Math.min(run, (((col + k) / innerBlock) + 1) * innerBlock - col);
                        float scale = scales[b];
                        int zp = zeroPoints == null ? 0 : zeroPoints[b];
                        for (int j = i + k; j < i + end; j++) q[at + j] = (byte) code(h[j], scale, zp, qmin, qmax);
                        k = end;
                    }
                }
                i += run;
            }
        }

        /**
         * Whether int4 codes can be packed pair by pair as they are computed: a block per column
         * (innermost block length 1), rows of an even length and a rank of at least 2, so that a chunk
         * of whole bands holds whole rows,
         * every row starts at an even element and a pair never straddles two rows.
         */
        boolean packsPairsInRows() {
            int rank = shape.length;
            return nibbles && rank >= 2 && blockLengths[rank - 1] == 1 && shape[rank - 1] % 2 == 0;
        }

        /**
         * The codes of the elements {@code [first, first + count)} in {@code h}, a chunk of whole rows
         * ({@link #packsPairsInRows}), packed into {@code packed}; returns the bytes.
         */
        int packedPairs(short[] h, long first, int count, float[] scales, int[] zeroPoints, byte[] packed) {
            int rank = shape.length;
            int inner = (int) shape[rank - 1];
            int qmin = this.qmin;
            int qmax = this.qmax;
            for (int i = 0; i < count; i += inner) {
                int b = (int) rowBase(first + i) - i;
                if (zeroPoints == null) { // signed symmetric: int4 per block, QUANTIZE_INT4_BLOCK32
                    for (int k = i; k < i + inner; k += 2) {
                        int low = code(h[k], scales[b + k], 0, qmin, qmax);
                        int high = code(h[k + 1], scales[b + k + 1], 0, qmin, qmax);
                        packed[k >>> 1] = (byte) ((low & 0xF) | (high << 4));
                    }
                } else {
                    for (int k = i; k < i + inner; k += 2) {
                        int low = code(h[k], scales[b + k], zeroPoints[b + k], qmin, qmax);
                        int high = code(h[k + 1], scales[b + k + 1], zeroPoints[b + k + 1], qmin, qmax);
                        packed[k >>> 1] = (byte) ((low & 0xF) | (high << 4));
                    }
                }
            }
            return count / 2;
        }

        /**
         * Whether the codes can be counted as thresholds ({@link Int4Blocks}): int4, signed symmetric
         * ([-7, 7], no zero point), rows of an even length whose pairs never straddle two blocks (a block
         * per column, or blocks of an even length along the row): QUANTIZE_INT4_BLOCK32's MatMul weights
         * and its embedding (a Gather weight, blocks of 32 along the row).
         */
        boolean countsThresholds() {
            int rank = shape.length;
            boolean pairsInBlocks = rank >= 2 && shape[rank - 1] % 2 == 0 && (innerBlock() == 1 || innerBlock() % 2 == 0);
            return nibbles && pairsInBlocks && symmetric && qmin == -Int4Blocks.THRESHOLDS && qmax == Int4Blocks.THRESHOLDS;
        }

        /** The block length along the innermost axis (1: a block per column). */
        int innerBlock() {
            return shape.length == 0 ? 1 : blockLengths[shape.length - 1];
        }

        /** Where the codes in {@code q} are packed: a new array for int4, {@code q} itself for 8-bit codes (a byte a code already). */
        byte[] packedArray(byte[] q) {
            return nibbles ? new byte[(q.length + 1) / 2] : q;
        }

        /**
         * Packs {@code q[0, count)} into {@code packed} from {@link #packedArray} (int4: the first code
         * of a pair in the low nibble); returns the bytes.
         */
        int pack(byte[] q, int count, byte[] packed) {
            if (!nibbles) return count;
            int pairs = count / 2;
            for (int i = 0; i < pairs; i++) packed[i] = (byte) ((q[2 * i] & 0xF) | (q[2 * i + 1] << 4));
            if ((count & 1) != 0) packed[pairs] = (byte) (q[count - 1] & 0xF);
            return (count + 1) / 2;
        }

        /** The block of the first element of the innermost row that starts at element {@code rowStart}. */
        long rowBase(long rowStart) {
            long base = 0;
            long rest = rowStart;
            for (int d = 0; d < shape.length; d++) {
                long c = rest / strides[d];
                rest %= strides[d];
                base += (c / blockLengths[d]) * sStrides[d];
            }
            return base;
        }
    }
}
