package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * How linear-quantization parameters are shared: every granularity resolves to a block length per
 * weight axis (elements per block along that axis); parameters have shape
 * {@code ceil(dim / blockLength)} per axis.
 */
public sealed interface QuantGranularity
        permits QuantGranularity.PerTensor, QuantGranularity.PerChannel, QuantGranularity.PerBlock, QuantGranularity.Blocks {

    /** Block length along each axis of {@code shape}. */
    int[] blockLengths(long[] shape);

    /** One scale for the whole tensor. */
    record PerTensor() implements QuantGranularity {
        public int[] blockLengths(long[] shape) {
            int[] b = new int[shape.length];
            for (int i = 0; i < shape.length; i++) b[i] = (int) Math.max(1, shape[i]);
            return b;
        }
    }

    /** One scale per index of {@code axis} (the output channel axis). */
    record PerChannel(int axis) implements QuantGranularity {
        public int[] blockLengths(long[] shape) {
            int ax = Shapes.axis(axis, shape.length, "linear_quantize: axis");
            int[] b = new PerTensor().blockLengths(shape);
            b[ax] = 1;
            return b;
        }
    }

    /**
     * Core ML Tools' {@code per_block} with an int block size: one scale per output channel and per
     * {@code blockSize} consecutive inputs; every other axis shares (ir/PARE_DIALECT.md, Compression math). A partial last
     * block is allowed (ONNX blocked quantization, ONNX QuantizeLinear/DequantizeLinear); Core ML needs even blocks.
     */
    record PerBlock(int outputAxis, int inputAxis, int blockSize) implements QuantGranularity {
        public PerBlock {
            if (blockSize <= 0) throw new IllegalArgumentException("linear_quantize: block_size must be positive, got " + blockSize);
        }

        public int[] blockLengths(long[] shape) {
            int out = Shapes.axis(outputAxis, shape.length, "linear_quantize: output axis");
            int in = Shapes.axis(inputAxis, shape.length, "linear_quantize: input axis");
            if (out == in) throw new IllegalArgumentException("linear_quantize: output and input axis are both " + out);
            int[] b = new PerTensor().blockLengths(shape);
            b[out] = 1;
            b[in] = (int) Math.min(blockSize, Math.max(1, shape[in]));
            return b;
        }
    }

    /**
     * A block size per axis, Core ML Tools' tuple form: 0 means the whole axis. ONNX blocked
     * quantization is {@code 1} on every axis but the blocked one.
     */
    record Blocks(int[] blockSizes) implements QuantGranularity {
        public Blocks {
            blockSizes = blockSizes.clone();
            for (int i = 0; i < blockSizes.length; i++) {
                if (blockSizes[i] < 0) {
                    throw new IllegalArgumentException("linear_quantize: block size on axis " + i + " must not be negative, got " + blockSizes[i]);
                }
            }
        }

        public int[] blockLengths(long[] shape) {
            if (blockSizes.length != shape.length) {
                throw new IllegalArgumentException("linear_quantize: " + blockSizes.length + " block sizes for a rank-" + shape.length + " weight");
            }
            int[] b = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                long dim = Math.max(1, shape[i]);
                b[i] = (int) (blockSizes[i] == 0 ? dim : Math.min(blockSizes[i], dim));
            }
            return b;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Blocks && Arrays.equals(blockSizes, ((Blocks) o).blockSizes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(blockSizes);
        }

        @Override
        public String toString() {
            return "Blocks" + Arrays.toString(blockSizes);
        }
    }
}
