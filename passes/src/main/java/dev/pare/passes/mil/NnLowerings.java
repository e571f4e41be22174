package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Matrix products, convolutions, normalization, pooling and resizing. */
final class NnLowerings {

    private NnLowerings() {}

    static void register(Map<String, Lowering> m) {
        m.put("MatMul", op -> OnnxOp.one(op.e.op("matmul", op.e.out(0), "x", op.in(0), "y", op.in(1),
                "transpose_x", false, "transpose_y", false)));
        m.put("Gemm", NnLowerings::gemm);
        m.put("Conv", NnLowerings::conv);
        m.put("ConvTranspose", NnLowerings::convTranspose);
        m.put("BatchNormalization", op -> {
            if (op.attrInt("training_mode", 0) != 0) throw op.fail("training_mode=1 has no MIL form");
            for (int i = 1; i < op.node.results().size(); i++) {
                if (!op.node.result(i).isAbsent() && (op.node.result(i).hasUses())) throw op.fail("the running statistics outputs have no MIL form");
            }
            return OnnxOp.one(op.e.op("batch_norm", op.e.out(0), "x", op.in(0), "mean", op.in(3), "variance", op.in(4),
                    "gamma", op.in(1), "beta", op.in(2), "epsilon", (double) op.attrFloat("epsilon", 1e-5f)));
        });
        m.put("InstanceNormalization", op -> OnnxOp.one(op.e.op("instance_norm", op.e.out(0), "x", op.in(0),
                "gamma", op.in(1), "beta", op.in(2), "epsilon", (double) op.attrFloat("epsilon", 1e-5f))));
        m.put("LayerNormalization", NnLowerings::layerNorm);
        m.put("DepthToSpace", NnLowerings::depthToSpace);
        m.put("MaxPool", op -> pool(op, "max_pool"));
        m.put("AveragePool", op -> pool(op, "avg_pool"));
        m.put("GlobalAveragePool", op -> globalPool(op, "reduce_mean"));
        m.put("GlobalMaxPool", op -> globalPool(op, "reduce_max"));
        m.put("Resize", NnLowerings::resize);
        m.put("Upsample", NnLowerings::resize);
    }

    private static List<Value> gemm(OnnxOp op) {
        float alpha = op.attrFloat("alpha", 1f);
        float beta = op.attrFloat("beta", 1f);
        boolean ta = op.attrInt("transA", 0) != 0;
        boolean tb = op.attrInt("transB", 0) != 0;
        Value a = op.in(0);
        Value b = op.in(1);
        boolean hasC = op.present(2);
        List<Dim> bd = op.dims(1);
        boolean cIsBias = !hasC || (op.rank(2) == 1 && op.dims(2).get(0).equals(bd.get(0)));
        if (op.isConstLike(1) && tb && !ta && alpha == 1f && (!hasC || beta == 1f) && cIsBias && bd.size() == 2) {
            return OnnxOp.one(op.e.op("linear", op.e.out(0), "x", a, "weight", b, "bias", hasC ? op.in(2) : null));
        }
        Value y = op.e.op("matmul", alpha == 1f && !hasC ? op.e.out(0) : op.e.tmp("matmul"),
                "x", a, "y", b, "transpose_x", ta, "transpose_y", tb);
        if (alpha != 1f) y = op.e.op("mul", hasC ? op.e.tmp("scaled") : op.e.out(0), "x", y, "y", op.floatLike(y, op.e.tmp("alpha"), alpha));
        if (!hasC) return OnnxOp.one(y);
        Value c = op.in(2);
        if (beta != 1f) c = op.e.op("mul", op.e.tmp("bias"), "x", c, "y", op.floatLike(c, op.e.tmp("beta"), beta));
        return OnnxOp.one(op.e.op("add", op.e.out(0), "x", y, "y", c));
    }

    /**
     * LayerNormalization over the axes from {@code axis} on: MIL layer_norm, with Scale and B as its
     * gamma and beta when they are weights of exactly the normalized shape (what layer_norm takes),
     * otherwise as a broadcasting mul and add after it. float16 X is normalized in float32 (cast
     * in, layer_norm, scale and bias in float32, one cast back), as ONNX Runtime's CPU kernel does
     * ({@link ContribLowerings#float32Stats}); an fp16 layer_norm would also round epsilon to fp16.
     */
    private static List<Value> layerNorm(OnnxOp op) {
        for (int i = 1; i < op.node.results().size(); i++) {
            if (!op.node.result(i).isAbsent() && op.node.result(i).hasUses()) throw op.fail("the Mean and InvStdDev outputs have no MIL form");
        }
        ContribLowerings.float32Stats(op, "X");
        List<Dim> x = op.dims(0);
        int rank = x.size();
        long axis = op.axis(op.attrInt("axis", -1), rank);
        long[] axes = new long[rank - (int) axis];
        for (int i = 0; i < axes.length; i++) axes[i] = axis + i;
        List<Dim> normalized = x.subList((int) axis, rank);
        double eps = op.attrFloat("epsilon", 1e-5f);
        boolean beta = op.present(2);
        if (op.type(0).dtype() == DType.FLOAT16) return OnnxOp.one(layerNormHalf(op, axes, eps, beta));
        if (isNormalizedWeight(op, 1, normalized) && (!beta || isNormalizedWeight(op, 2, normalized))) {
            return OnnxOp.one(op.e.op("layer_norm", op.e.out(0), "x", op.in(0), "axes", axes,
                    "gamma", op.in(1), "beta", beta ? op.in(2) : null, "epsilon", eps));
        }
        Value n = op.e.op("layer_norm", op.e.tmp("normalized"), "x", op.in(0), "axes", axes, "epsilon", eps);
        Value scaled = op.e.op("mul", beta ? op.e.tmp("scaled") : op.e.out(0), "x", n, "y", op.in(1));
        return beta ? OnnxOp.one(op.e.op("add", op.e.out(0), "x", scaled, "y", op.in(2))) : OnnxOp.one(scaled);
    }

    /** float16 LayerNormalization: cast to float32, layer_norm, mul by the scale (and add the bias) in float32, cast back. */
    private static Value layerNormHalf(OnnxOp op, long[] axes, double eps, boolean beta) {
        Value x = ContribLowerings.toFloat32(op, op.in(0), "x");
        Value n = op.e.op("layer_norm", op.e.tmp("normalized"), "x", x, "axes", axes, "epsilon", eps);
        Value y = op.e.op("mul", op.e.tmp("scaled"), "x", n, "y", ContribLowerings.toFloat32(op, op.in(1), "scale"));
        if (beta) y = op.e.op("add", op.e.tmp("shifted"), "x", y, "y", ContribLowerings.toFloat32(op, op.in(2), "bias"));
        return op.e.op("cast", op.e.out(0), "x", y, "dtype", "fp16");
    }

    private static boolean isNormalizedWeight(OnnxOp op, int i, List<Dim> normalized) {
        return op.isConstLike(i) && op.dims(i).equals(normalized);
    }

    /**
     * DepthToSpace: mode CRD (channel, then the block's rows and columns) is PyTorch's pixel shuffle,
     * MIL pixel_shuffle; mode DCR (the block first) is MIL depth_to_space.
     */
    private static List<Value> depthToSpace(OnnxOp op) {
        long block = op.attrInt("blocksize", 0);
        if (block < 1) throw op.fail("blocksize must be a positive integer");
        if (op.rank(0) != 4) throw op.fail("input must be 4-D [N, C, H, W]");
        String mode = op.attrString("mode", "DCR");
        return switch (mode) {
            case "CRD" -> OnnxOp.one(op.e.op("pixel_shuffle", op.e.out(0), "x", op.in(0), "upscale_factor", (int) block));
            case "DCR" -> OnnxOp.one(op.e.op("depth_to_space", op.e.out(0), "x", op.in(0), "block_size", (int) block));
            default -> throw op.fail("mode '" + mode + "' is not DCR or CRD");
        };
    }

    /** ONNX pads [b0, b1, ..., e0, e1, ...] as MIL's [b0, e0, b1, e1, ...]. */
    static long[] milPads(long[] onnx, int spatial) {
        long[] out = new long[2 * spatial];
        if (onnx == null) return out;
        for (int i = 0; i < spatial; i++) {
            out[2 * i] = onnx[i];
            out[2 * i + 1] = onnx[spatial + i];
        }
        return out;
    }

    static long[] orOnes(long[] v, int n) {
        if (v != null) return v;
        long[] out = new long[n];
        Arrays.fill(out, 1);
        return out;
    }

    static String padType(OnnxOp op) {
        String autoPad = op.attrString("auto_pad", "NOTSET");
        return switch (autoPad) {
            case "NOTSET" -> "custom";
            case "SAME_UPPER" -> "same";
            case "SAME_LOWER" -> "same_lower";
            case "VALID" -> "valid";
            default -> throw op.fail("auto_pad " + autoPad + " is not an ONNX value");
        };
    }

    private static List<Value> conv(OnnxOp op) {
        int spatial = op.rank(1) - 2;
        if (spatial < 1 || spatial > 3) throw op.fail("MIL conv takes 1 to 3 spatial dimensions, got " + spatial);
        String padType = padType(op);
        return OnnxOp.one(op.e.op("conv", op.e.out(0), "x", op.in(0), "weight", op.in(1),
                "bias", op.present(2) ? op.in(2) : null,
                "strides", orOnes(op.attrInts("strides"), spatial),
                "pad_type", padType,
                "pad", padType.equals("custom") ? milPads(op.attrInts("pads"), spatial) : new long[2 * spatial],
                "dilations", orOnes(op.attrInts("dilations"), spatial),
                "groups", op.attrInt("group", 1)));
    }

    private static List<Value> convTranspose(OnnxOp op) {
        int spatial = op.rank(1) - 2;
        if (spatial < 1 || spatial > 3) throw op.fail("MIL conv_transpose takes 1 to 3 spatial dimensions, got " + spatial);
        if (!op.attrString("auto_pad", "NOTSET").equals("NOTSET")) throw op.fail("auto_pad other than NOTSET is not supported");
        if (op.hasAttr("output_shape")) throw op.fail("the output_shape attribute is not supported (give pads)");
        long[] outPad = op.attrInts("output_padding");
        if (outPad != null && Arrays.stream(outPad).anyMatch(p -> p != 0)) throw op.fail("non-zero output_padding is not supported");
        return OnnxOp.one(op.e.op("conv_transpose", op.e.out(0), "x", op.in(0), "weight", op.in(1),
                "bias", op.present(2) ? op.in(2) : null,
                "pad", milPads(op.attrInts("pads"), spatial),
                "pad_type", "custom",
                "strides", orOnes(op.attrInts("strides"), spatial),
                "dilations", orOnes(op.attrInts("dilations"), spatial),
                "groups", op.attrInt("group", 1)));
    }

    private static List<Value> pool(OnnxOp op, String mil) {
        long[] kernel = op.attrInts("kernel_shape");
        if (kernel == null) throw op.fail("attribute 'kernel_shape' is missing");
        int spatial = kernel.length;
        long[] dil = op.attrInts("dilations");
        if (dil != null && Arrays.stream(dil).anyMatch(d -> d != 1)) throw op.fail("dilated pooling has no MIL form");
        if (op.node.results().size() > 1 && !op.node.result(1).isAbsent() && op.node.result(1).hasUses()) {
            throw op.fail("the Indices output has no MIL form");
        }
        String padType = padType(op);
        long[] pad = padType.equals("custom") ? milPads(op.attrInts("pads"), spatial) : new long[2 * spatial];
        boolean ceil = op.attrInt("ceil_mode", 0) != 0;
        if (mil.equals("max_pool")) {
            return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", op.in(0), "kernel_sizes", kernel,
                    "strides", orOnes(op.attrInts("strides"), spatial), "pad_type", padType, "pad", pad, "ceil_mode", ceil));
        }
        return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", op.in(0), "kernel_sizes", kernel,
                "strides", orOnes(op.attrInts("strides"), spatial), "pad_type", padType, "pad", pad,
                "exclude_padding_from_average", op.attrInt("count_include_pad", 0) == 0, "ceil_mode", ceil));
    }

    private static List<Value> globalPool(OnnxOp op, String mil) {
        int rank = op.rank(0);
        long[] axes = new long[rank - 2];
        for (int i = 0; i < axes.length; i++) axes[i] = i + 2;
        return OnnxOp.one(op.e.op(mil, op.e.out(0), "x", op.in(0), "axes", axes, "keep_dims", true));
    }

    /** Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample (scales attribute or input). */
    private static List<Value> resize(OnnxOp op) {
        Value x = op.in(0);
        if (op.rank(0) != 4) throw op.fail("only rank-4 inputs are supported, got rank " + op.rank(0));
        long[] shape = op.staticShape(0);
        double[] scales = null;
        long[] sizes = null;
        if (op.node.opType().equals("Upsample")) {
            float[] attr = op.attrFloats("scales");
            if (attr != null) {
                scales = new double[attr.length];
                for (int i = 0; i < attr.length; i++) scales[i] = attr[i];
            } else {
                scales = op.constFloats(1);
            }
        } else if (op.inputs() == 2) {
            scales = op.constFloats(1);
        } else {
            if (op.present(3)) sizes = op.requireConstInts(3, "sizes");
            else if (op.present(2)) scales = op.constFloats(2);
        }
        if (scales != null && scales.length == 0) scales = null;
        if (scales == null && sizes == null) throw op.needsConstant(op.inputs() == 2 ? 1 : 2, "scales or sizes must be constants");
        String mode = op.attrString("mode", "nearest");
        if (shape == null) {
            // a dynamic input resizes by integer scale factors only (nearest needs nothing else)
            if (scales == null || !mode.equals("nearest")) {
                throw op.needsStaticShape(0, mode + " resize of an input without a static shape needs integer scales and mode nearest");
            }
            shape = new long[] {1, 1, 1, 1};
            for (int i = 0; i < 4; i++) {
                if (scales[i] != Math.rint(scales[i]) || scales[i] < 1) throw op.fail("nearest resize needs integer scales on H and W, got " + scales[i]);
            }
            if (scales[0] != 1 || scales[1] != 1) throw op.fail("only the last two dimensions may be resized");
        }
        long[] out = new long[4];
        for (int i = 0; i < 4; i++) out[i] = sizes != null ? sizes[i] : (long) Math.floor(shape[i] * scales[i]);
        if (out[0] != shape[0] || out[1] != shape[1]) throw op.fail("only the last two dimensions may be resized");
        String transform = op.attrString("coordinate_transformation_mode", op.node.opType().equals("Upsample") ? "asymmetric" : "half_pixel");
        if (op.hasAttr("axes")) throw op.fail("the axes attribute is not supported");
        if (op.attrInt("antialias", 0) != 0) throw op.fail("antialias=1 has no MIL form");
        if (!op.attrString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw op.fail("keep_aspect_ratio_policy=" + op.attrString("keep_aspect_ratio_policy", "") + " is not supported");
        }
        if (mode.equals("nearest")) {
            long sh = out[2] / shape[2];
            long sw = out[3] / shape[3];
            if (sh * shape[2] != out[2] || sw * shape[3] != out[3] || sh < 1 || sw < 1) {
                throw op.fail("nearest resize needs integer scales on H and W, got " + out[2] + "/" + shape[2] + " and " + out[3] + "/" + shape[3]);
            }
            String nearest = op.attrString("nearest_mode", "round_prefer_floor");
            boolean exact = switch (transform) {
                // source index i/s: floor gives i div s
                case "asymmetric" -> op.node.opType().equals("Upsample") || nearest.equals("floor");
                // (i+0.5)/s-0.5 lies strictly within 0.5 of i div s: any rounding gives it
                case "half_pixel", "pytorch_half_pixel" -> nearest.startsWith("round_prefer");
                // (i+0.5)/s lies in [i div s, i div s + 1)
                case "tf_half_pixel_for_nn" -> nearest.equals("floor");
                default -> false;
            };
            if (!exact) throw op.fail("nearest resize with coordinate_transformation_mode=" + transform + " and nearest_mode=" + nearest + " has no MIL form");
            return OnnxOp.one(op.e.op("upsample_nearest_neighbor", op.e.out(0), "x", x,
                    "scale_factor_height", sh, "scale_factor_width", sw));
        }
        if (mode.equals("linear") || mode.equals("bilinear")) {
            String sampling = switch (transform) {
                case "half_pixel", "pytorch_half_pixel" -> "UNALIGN_CORNERS";
                case "align_corners" -> "STRICT_ALIGN_CORNERS";
                case "asymmetric" -> "DEFAULT";
                default -> throw op.fail("linear resize with coordinate_transformation_mode=" + transform + " has no MIL form");
            };
            if (transform.equals("pytorch_half_pixel") && (out[2] == 1 || out[3] == 1)) {
                throw op.fail("pytorch_half_pixel to a size of 1 has no MIL form");
            }
            return OnnxOp.one(op.e.op("resize_bilinear", op.e.out(0), "x", x,
                    "target_size_height", out[2], "target_size_width", out[3], "sampling_mode", sampling));
        }
        throw op.fail("mode " + mode + " has no MIL form");
    }
}
