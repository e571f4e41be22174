package dev.pare.compiler.coreml.eval;

import dev.pare.compiler.coreml.eval.MilInterpreter.Args;
import dev.pare.ir.DType;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/** Layer ops: matmul, linear, conv, conv_transpose, pools, normalizations, resizing. */
final class MilNnOps {

    private MilNnOps() {}

    static List<MilTensor> apply(String op, Args a) {
        switch (op) {
            case "matmul": return MilOps.one(matmul(a));
            case "linear": return MilOps.one(linear(a));
            case "conv": return MilOps.one(conv(a));
            case "conv_transpose": return MilOps.one(convTranspose(a));
            case "max_pool": return MilOps.one(pool(a, true));
            case "avg_pool": return MilOps.one(pool(a, false));
            case "batch_norm": return MilOps.one(batchNorm(a));
            case "instance_norm": return MilOps.one(instanceNorm(a));
            case "layer_norm": return MilOps.one(layerNorm(a));
            case "pixel_shuffle": return MilOps.one(blocksToSpace(a, a.intValue("upscale_factor"), true));
            case "depth_to_space": return MilOps.one(blocksToSpace(a, a.intValue("block_size"), false));
            case "prelu": return MilOps.one(prelu(a));
            case "upsample_nearest_neighbor": {
                MilTensor x = a.get("x");
                float sh = a.floatValue("scale_factor_height", 1f);
                float sw = a.floatValue("scale_factor_width", 1f);
                int[] s = x.shapeRef();
                int oh = (int) Math.floor(s[s.length - 2] * (double) sh);
                int ow = (int) Math.floor(s[s.length - 1] * (double) sw);
                return MilOps.one(nearest(x, oh, ow, sh, sw));
            }
            case "resize_nearest_neighbor": {
                MilTensor x = a.get("x");
                int[] s = x.shapeRef();
                int oh = a.intValue("target_size_height");
                int ow = a.intValue("target_size_width");
                return MilOps.one(nearest(x, oh, ow, (float) oh / s[s.length - 2], (float) ow / s[s.length - 1]));
            }
            case "upsample_bilinear": {
                MilTensor x = a.get("x");
                int[] s = x.shapeRef();
                int oh = (int) Math.floor(s[s.length - 2] * (double) a.floatValue("scale_factor_height", 1f));
                int ow = (int) Math.floor(s[s.length - 1] * (double) a.floatValue("scale_factor_width", 1f));
                String mode = a.bool("align_corners", true) ? "STRICT_ALIGN_CORNERS" : "UNALIGN_CORNERS";
                return MilOps.one(bilinear(x, oh, ow, mode, a));
            }
            case "resize_bilinear": {
                MilTensor x = a.get("x");
                return MilOps.one(bilinear(x, a.intValue("target_size_height", 1), a.intValue("target_size_width", 1),
                        a.string("sampling_mode", "DEFAULT"), a));
            }
            default: throw a.fail("op '" + op + "' is not supported by the MIL interpreter");
        }
    }

    // ---- matmul / linear -----------------------------------------------------------------------

    private static MilTensor matmul(Args a) {
        MilTensor x = a.get("x");
        MilTensor y = a.get("y");
        boolean tx = a.bool("transpose_x", false);
        boolean ty = a.bool("transpose_y", false);
        int[] xs = x.shapeRef();
        int[] ys = y.shapeRef();
        boolean xVec = xs.length == 1;
        boolean yVec = ys.length == 1;
        int[] x2 = xVec ? new int[] {1, xs[0]} : xs;
        int[] y2 = yVec ? new int[] {ys[0], 1} : ys;
        int m = tx && !xVec ? x2[x2.length - 1] : x2[x2.length - 2];
        int kx = tx && !xVec ? x2[x2.length - 2] : x2[x2.length - 1];
        int ky = ty && !yVec ? y2[y2.length - 1] : y2[y2.length - 2];
        int n = ty && !yVec ? y2[y2.length - 2] : y2[y2.length - 1];
        if (kx != ky) throw a.fail("inner dimensions differ: x " + x.describe() + ", y " + y.describe());
        int[] xb = Arrays.copyOf(x2, x2.length - 2);
        int[] yb = Arrays.copyOf(y2, y2.length - 2);
        int[] batch = MilOps.broadcastShape(xb, yb, a);
        int[] xi = MilOps.broadcastIndex(xb, batch);
        int[] yi = MilOps.broadcastIndex(yb, batch);
        int nb = MilOps.numel(batch);
        float[] xf = x.toFloats();
        float[] yf = y.toFloats();
        float[] out = new float[nb * m * n];
        float[] yt = new float[kx * n];
        for (int b = 0; b < nb; b++) {
            int xo = (xi == null ? b : xi[b]) * m * kx;
            int yo = (yi == null ? b : yi[b]) * kx * n;
            // y as [k, n] contiguous
            for (int k = 0; k < kx; k++) for (int j = 0; j < n; j++) yt[k * n + j] = ty && !yVec ? yf[yo + j * kx + k] : yf[yo + k * n + j];
            int oo = b * m * n;
            for (int i = 0; i < m; i++) {
                for (int k = 0; k < kx; k++) {
                    float xv = tx && !xVec ? xf[xo + k * m + i] : xf[xo + i * kx + k];
                    if (xv == 0) continue;
                    int row = k * n;
                    for (int j = 0; j < n; j++) out[oo + i * n + j] += xv * yt[row + j];
                }
            }
        }
        int[] shape = new int[batch.length + (xVec ? 0 : 1) + (yVec ? 0 : 1)];
        System.arraycopy(batch, 0, shape, 0, batch.length);
        int p = batch.length;
        if (!xVec) shape[p++] = m;
        if (!yVec) shape[p] = n;
        return MilTensor.floats(x.isFloat() ? x.dtype() : DType.FLOAT32, shape, out);
    }

    private static MilTensor linear(Args a) {
        MilTensor x = a.get("x");
        MilTensor w = a.get("weight");
        MilTensor bias = a.opt("bias");
        int[] xs = x.shapeRef();
        int[] ws = w.shapeRef();
        if (ws.length != 2 || xs.length < 1 || xs[xs.length - 1] != ws[1]) throw a.fail("weight " + w.describe() + " does not fit x " + x.describe());
        int k = ws[1];
        int n = ws[0];
        int rows = x.size() / Math.max(1, k);
        float[] xf = x.floatsRef();
        float[] wf = w.toFloats();
        float[] bf = bias == null ? null : bias.toFloats();
        float[] out = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int t = 0; t < k; t++) acc += xf[r * k + t] * wf[j * k + t];
                out[r * n + j] = acc + (bf == null ? 0 : bf[j]);
            }
        }
        int[] shape = xs.clone();
        shape[shape.length - 1] = n;
        return MilTensor.floats(x.dtype(), shape, out);
    }

    // ---- convolution ---------------------------------------------------------------------------

    /** Spatial geometry of a conv or pool over a [N, C, H, W] view (1-D inputs have H = 1). */
    private record Geometry(int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft, int oh, int ow) {}

    private static int[] spatialParam(Args a, String name, int spatial, int fallback) {
        int[] v = a.ints(name, null);
        if (v == null) {
            v = new int[spatial];
            Arrays.fill(v, fallback);
        }
        if (v.length != spatial) throw a.fail("parameter '" + name + "' " + Arrays.toString(v) + " must have " + spatial + " entries");
        return v;
    }

    /** Begin/end padding per spatial axis and output size, per MIL pad_type (custom, valid, same, same_lower). */
    private static int[] padding(Args a, int[] in, int[] k, int[] s, int[] d, boolean ceil) {
        int sp = in.length;
        String type = a.string("pad_type", "valid");
        int[] pads = new int[2 * sp];
        int[] out = new int[sp];
        for (int i = 0; i < sp; i++) {
            int eff = (k[i] - 1) * d[i] + 1;
            switch (type) {
                case "valid":
                    break;
                case "custom": {
                    int[] p = a.ints("pad", new int[2 * sp]);
                    if (p.length != 2 * sp) throw a.fail("parameter 'pad' " + Arrays.toString(p) + " must have " + 2 * sp + " entries");
                    pads[2 * i] = p[2 * i];
                    pads[2 * i + 1] = p[2 * i + 1];
                    break;
                }
                case "same":
                case "same_lower": {
                    int o = (in[i] + s[i] - 1) / s[i];
                    int total = Math.max((o - 1) * s[i] + eff - in[i], 0);
                    int small = total / 2;
                    pads[2 * i] = type.equals("same") ? small : total - small;
                    pads[2 * i + 1] = total - pads[2 * i];
                    break;
                }
                default: throw a.fail("unknown pad_type \"" + type + "\"");
            }
            int span = in[i] + pads[2 * i] + pads[2 * i + 1] - eff;
            if (span < 0) throw a.fail("kernel is larger than the padded input on spatial axis " + i);
            if (ceil) {
                out[i] = (span + s[i] - 1) / s[i] + 1;
                // the last window must start inside the input or the begin padding
                if ((out[i] - 1) * s[i] >= in[i] + pads[2 * i]) out[i]--;
            } else {
                out[i] = span / s[i] + 1;
            }
        }
        int[] res = Arrays.copyOf(pads, 3 * sp);
        System.arraycopy(out, 0, res, 2 * sp, sp);
        return res;
    }

    private static Geometry geometry(Args a, int[] xs, int[] kernel, boolean ceil) {
        int sp = xs.length - 2;
        if (sp < 1 || sp > 2) throw a.fail("only 1-D and 2-D spatial inputs are supported, got rank " + xs.length);
        int[] in = Arrays.copyOfRange(xs, 2, xs.length);
        int[] s = spatialParam(a, "strides", sp, 1);
        int[] d = spatialParam(a, "dilations", sp, 1);
        int[] p = padding(a, in, kernel, s, d, ceil);
        if (sp == 1) return new Geometry(1, kernel[0], 1, s[0], 1, d[0], 0, p[0], 1, p[2]);
        return new Geometry(kernel[0], kernel[1], s[0], s[1], d[0], d[1], p[0], p[2], p[4], p[5]);
    }

    private static MilTensor conv(Args a) {
        MilTensor x = a.get("x");
        MilTensor w = a.get("weight");
        MilTensor bias = a.opt("bias");
        int groups = a.intValue("groups", 1);
        int[] xs = x.shapeRef();
        int[] ws = w.shapeRef();
        if (ws.length != xs.length) throw a.fail("weight " + w.describe() + " must have the rank of x " + x.describe());
        int n = xs[0];
        int c = xs[1];
        int cout = ws[0];
        int cinG = ws[1];
        if (groups < 1 || c != cinG * groups || cout % groups != 0) {
            throw a.fail("weight " + w.describe() + " with groups " + groups + " does not fit x " + x.describe());
        }
        Geometry g = geometry(a, xs, Arrays.copyOfRange(ws, 2, ws.length), false);
        int h = xs.length == 4 ? xs[2] : 1;
        int wd = xs[xs.length - 1];
        float[] xf = x.floatsRef();
        float[] wf = w.toFloats();
        float[] bf = bias == null ? null : bias.toFloats();
        float[] out = ConvKernel.run(new ConvKernel.Shape(n, c, h, wd, cout, groups, g.kh(), g.kw(), g.sh(), g.sw(),
                g.dh(), g.dw(), g.padTop(), g.padLeft(), g.oh(), g.ow()), xf, wf, bf,
                // float32 sums as ONNX Runtime's CPU kernels do; fp16 ops keep the plain order they were checked in
                x.dtype() == DType.FLOAT32 ? ConvKernel.Summation.ONNX_RUNTIME : ConvKernel.Summation.PLAIN);
        int[] shape = xs.length == 4 ? new int[] {n, cout, g.oh(), g.ow()} : new int[] {n, cout, g.ow()};
        return MilTensor.floats(x.dtype(), shape, out);
    }

    private static MilTensor convTranspose(Args a) {
        MilTensor x = a.get("x");
        MilTensor w = a.get("weight");
        MilTensor bias = a.opt("bias");
        int groups = a.intValue("groups", 1);
        int[] xs = x.shapeRef();
        int[] ws = w.shapeRef();
        int sp = xs.length - 2;
        if (sp < 1 || sp > 2 || ws.length != xs.length) throw a.fail("only 1-D and 2-D conv_transpose is supported, got x " + x.describe() + ", weight " + w.describe());
        int n = xs[0];
        int c = xs[1];
        if (ws[0] != c || c % groups != 0) throw a.fail("weight " + w.describe() + " does not fit x " + x.describe() + " with groups " + groups);
        int coutG = ws[1];
        int cout = coutG * groups;
        int cinG = c / groups;
        int[] in = Arrays.copyOfRange(xs, 2, xs.length);
        int[] k = Arrays.copyOfRange(ws, 2, ws.length);
        int[] s = spatialParam(a, "strides", sp, 1);
        int[] d = spatialParam(a, "dilations", sp, 1);
        String type = a.string("pad_type", "valid");
        int[] pads = new int[2 * sp];
        int[] full = new int[sp];
        int[] outSize = new int[sp];
        int[] outputShape = a.ints("output_shape", null);
        for (int i = 0; i < sp; i++) {
            full[i] = (in[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1;
            if (type.equals("custom")) {
                int[] p = a.ints("pad", new int[2 * sp]);
                pads[2 * i] = p[2 * i];
                pads[2 * i + 1] = p[2 * i + 1];
            } else if (type.equals("same")) {
                int total = Math.max(full[i] - in[i] * s[i], 0);
                pads[2 * i] = total / 2;
                pads[2 * i + 1] = total - total / 2;
            } else if (!type.equals("valid")) {
                throw a.fail("unknown pad_type \"" + type + "\"");
            }
            outSize[i] = outputShape != null ? outputShape[outputShape.length - sp + i] : full[i] - pads[2 * i] - pads[2 * i + 1];
        }
        int kh = sp == 2 ? k[0] : 1;
        int kw = k[sp - 1];
        int ih = sp == 2 ? in[0] : 1;
        int iw = in[sp - 1];
        int sh = sp == 2 ? s[0] : 1;
        int sw = s[sp - 1];
        int dh = sp == 2 ? d[0] : 1;
        int dw = d[sp - 1];
        int padTop = sp == 2 ? pads[0] : 0;
        int padLeft = pads[2 * (sp - 1)];
        int oh = sp == 2 ? outSize[0] : 1;
        int ow = outSize[sp - 1];
        float[] xf = x.floatsRef();
        float[] wf = w.toFloats();
        float[] bf = bias == null ? null : bias.toFloats();
        int plane = oh * ow;
        float[] out = new float[n * cout * plane];
        IntStream.range(0, n * cout).parallel().forEach(job -> {
            int b = job / cout;
            int oc = job % cout;
            int grp = oc / coutG;
            int ocg = oc % coutG;
            int base = job * plane;
            if (bf != null) Arrays.fill(out, base, base + plane, bf[oc]);
            for (int icg = 0; icg < cinG; icg++) {
                int ic = grp * cinG + icg;
                int xBase = (b * c + ic) * ih * iw;
                int wBase = (ic * coutG + ocg) * kh * kw;
                for (int iy = 0; iy < ih; iy++) {
                    for (int ix = 0; ix < iw; ix++) {
                        float xv = xf[xBase + iy * iw + ix];
                        if (xv == 0) continue;
                        for (int ky = 0; ky < kh; ky++) {
                            int oy = iy * sh + ky * dh - padTop;
                            if (oy < 0 || oy >= oh) continue;
                            for (int kx = 0; kx < kw; kx++) {
                                int ox = ix * sw + kx * dw - padLeft;
                                if (ox < 0 || ox >= ow) continue;
                                out[base + oy * ow + ox] += xv * wf[wBase + ky * kw + kx];
                            }
                        }
                    }
                }
            }
        });
        int[] shape = sp == 2 ? new int[] {n, cout, oh, ow} : new int[] {n, cout, ow};
        return MilTensor.floats(x.dtype(), shape, out);
    }

    // ---- pooling -------------------------------------------------------------------------------

    private static MilTensor pool(Args a, boolean max) {
        MilTensor x = a.get("x");
        int[] xs = x.shapeRef();
        int[] kernel = spatialParam(a, "kernel_sizes", xs.length - 2, 1);
        boolean ceil = a.bool("ceil_mode", false);
        boolean exclude = a.bool("exclude_padding_from_average", false);
        Geometry g = geometry(a, xs, kernel, ceil);
        int h = xs.length == 4 ? xs[2] : 1;
        int wd = xs[xs.length - 1];
        // the padded extent (begin and end padding), for averages that count padding
        int sp = xs.length - 2;
        int[] in = Arrays.copyOfRange(xs, 2, xs.length);
        int[] p = padding(a, in, kernel, spatialParam(a, "strides", sp, 1), spatialParam(a, "dilations", sp, 1), ceil);
        int padBottom = sp == 2 ? p[1] : 0;
        int padRight = p[2 * sp - 1];
        int channels = xs[0] * xs[1];
        float[] xf = x.floatsRef();
        int plane = g.oh() * g.ow();
        float[] out = new float[channels * plane];
        IntStream.range(0, channels).parallel().forEach(ch -> {
            int xBase = ch * h * wd;
            for (int oy = 0; oy < g.oh(); oy++) {
                int y0 = oy * g.sh() - g.padTop();
                for (int ox = 0; ox < g.ow(); ox++) {
                    int x0 = ox * g.sw() - g.padLeft();
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int inside = 0;
                    for (int ky = 0; ky < g.kh(); ky++) {
                        int iy = y0 + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int ix = x0 + kx;
                            if (ix < 0 || ix >= wd) continue;
                            float v = xf[xBase + iy * wd + ix];
                            acc = max ? Math.max(acc, v) : acc + v;
                            inside++;
                        }
                    }
                    if (!max) {
                        int count = inside;
                        if (!exclude) {
                            // window clipped to the padded input: padding counts, the ceil-mode overhang does not
                            int ys = Math.max(y0, -g.padTop());
                            int ye = Math.min(y0 + g.kh(), h + padBottom);
                            int xs0 = Math.max(x0, -g.padLeft());
                            int xe = Math.min(x0 + g.kw(), wd + padRight);
                            count = Math.max(0, ye - ys) * Math.max(0, xe - xs0);
                        }
                        acc = count == 0 ? 0 : acc / count;
                    }
                    out[ch * plane + oy * g.ow() + ox] = (float) acc;
                }
            }
        });
        int[] shape = xs.length == 4 ? new int[] {xs[0], xs[1], g.oh(), g.ow()} : new int[] {xs[0], xs[1], g.ow()};
        return MilTensor.floats(x.dtype(), shape, out);
    }

    // ---- normalization ---------------------------------------------------------------------------

    private static MilTensor batchNorm(Args a) {
        MilTensor x = a.get("x");
        float[] mean = a.get("mean").toFloats();
        float[] var = a.get("variance").toFloats();
        float[] gamma = a.has("gamma") ? a.get("gamma").toFloats() : null;
        float[] beta = a.has("beta") ? a.get("beta").toFloats() : null;
        float eps = a.floatValue("epsilon", 1e-5f);
        int[] s = x.shapeRef();
        int c = s[1];
        if (mean.length != c || var.length != c) throw a.fail("mean/variance must have " + c + " entries");
        int inner = x.size() / Math.max(1, s[0] * c);
        float[] xf = x.floatsRef();
        float[] out = new float[xf.length];
        for (int e = 0; e < xf.length; e++) {
            int ch = (e / inner) % c;
            double v = (xf[e] - mean[ch]) / Math.sqrt(var[ch] + (double) eps);
            out[e] = (float) (v * (gamma == null ? 1 : gamma[ch]) + (beta == null ? 0 : beta[ch]));
        }
        return MilTensor.floats(x.dtype(), s, out);
    }

    private static MilTensor instanceNorm(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        float[] gamma = a.has("gamma") ? a.get("gamma").toFloats() : null;
        float[] beta = a.has("beta") ? a.get("beta").toFloats() : null;
        float eps = a.floatValue("epsilon", 1e-5f);
        int c = s[1];
        int inner = x.size() / Math.max(1, s[0] * c);
        float[] xf = x.floatsRef();
        float[] out = new float[xf.length];
        for (int nc = 0; nc < s[0] * c; nc++) {
            normalize(xf, out, nc * inner, inner, 1, eps, gamma == null ? 1 : gamma[nc % c], beta == null ? 0 : beta[nc % c]);
        }
        return MilTensor.floats(x.dtype(), s, out);
    }

    /** Normalizes {@code len} elements starting at {@code base}, {@code step} apart, then scales and shifts. */
    private static void normalize(float[] in, float[] out, int base, int len, int step, float eps, float gamma, float beta) {
        double mean = 0;
        for (int i = 0; i < len; i++) mean += in[base + i * step];
        mean /= len;
        double var = 0;
        for (int i = 0; i < len; i++) {
            double d = in[base + i * step] - mean;
            var += d * d;
        }
        var /= len;
        double inv = 1 / Math.sqrt(var + eps);
        for (int i = 0; i < len; i++) out[base + i * step] = (float) ((in[base + i * step] - mean) * inv * gamma + beta);
    }

    private static MilTensor layerNorm(Args a) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        int r = s.length;
        boolean[] red = new boolean[r];
        int[] axes = a.ints("axes", null);
        if (axes == null) Arrays.fill(red, true);
        else for (int ax : axes) red[MilOps.axis(ax, r, a)] = true;
        float[] gamma = a.has("gamma") ? a.get("gamma").toFloats() : null;
        float[] beta = a.has("beta") ? a.get("beta").toFloats() : null;
        float eps = a.floatValue("epsilon", 1e-5f);
        // group elements by their non-normalized coordinates; normalized coordinates index gamma/beta
        int[] st = MilOps.strides(s);
        int groups = 1;
        int len = 1;
        for (int d = 0; d < r; d++) {
            if (red[d]) len *= s[d];
            else groups *= s[d];
        }
        if (gamma != null && gamma.length != len) throw a.fail("gamma must have " + len + " entries (the normalized shape)");
        if (beta != null && beta.length != len) throw a.fail("beta must have " + len + " entries (the normalized shape)");
        float[] xf = x.floatsRef();
        float[] out = new float[xf.length];
        int[] offsets = offsets(s, st, red, true);
        int[] starts = offsets(s, st, red, false);
        for (int gI = 0; gI < groups; gI++) {
            int base = starts[gI];
            double mean = 0;
            for (int i = 0; i < len; i++) mean += xf[base + offsets[i]];
            mean /= len;
            double var = 0;
            for (int i = 0; i < len; i++) {
                double dv = xf[base + offsets[i]] - mean;
                var += dv * dv;
            }
            var /= len;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < len; i++) {
                double v = (xf[base + offsets[i]] - mean) * inv;
                out[base + offsets[i]] = (float) (v * (gamma == null ? 1 : gamma[i]) + (beta == null ? 0 : beta[i]));
            }
        }
        return MilTensor.floats(x.dtype(), s, out);
    }

    /**
     * [N, C·b², H, W] to [N, C, H·b, W·b]: output (c, h·b + i, w·b + j) is input channel
     * c·b² + i·b + j for pixel_shuffle (channel-major, PyTorch / ONNX CRD) and (i·b + j)·C + c for
     * depth_to_space (block-major, ONNX DCR).
     */
    private static MilTensor blocksToSpace(Args a, int b, boolean channelMajor) {
        MilTensor x = a.get("x");
        int[] s = x.shapeRef();
        if (s.length != 4) throw a.fail("x must be 4-D, got rank " + s.length);
        if (b < 1 || s[1] % (b * b) != 0) throw a.fail("channels " + s[1] + " are not a multiple of " + b + "²");
        if (!x.isFloat()) throw a.fail("x must be a float tensor");
        int n = s[0];
        int c = s[1] / (b * b);
        int h = s[2];
        int w = s[3];
        float[] in = x.floatsRef();
        float[] out = new float[in.length];
        int plane = h * w;
        int o = 0;
        for (int ni = 0; ni < n; ni++) {
            for (int ci = 0; ci < c; ci++) {
                for (int hi = 0; hi < h; hi++) {
                    for (int i = 0; i < b; i++) {
                        for (int wi = 0; wi < w; wi++) {
                            for (int j = 0; j < b; j++) {
                                int channel = channelMajor ? ci * b * b + i * b + j : (i * b + j) * c + ci;
                                out[o++] = in[((ni * s[1] + channel) * plane) + hi * w + wi];
                            }
                        }
                    }
                }
            }
        }
        return MilTensor.floats(x.dtype(), new int[] {n, c, h * b, w * b}, out);
    }

    /** Flat offsets of all coordinates over the selected axes ({@code selected == red[d]}), row-major. */
    private static int[] offsets(int[] s, int[] st, boolean[] red, boolean selected) {
        int n = 1;
        for (int d = 0; d < s.length; d++) if (red[d] == selected) n *= s[d];
        int[] out = new int[n];
        int[] idx = new int[s.length];
        for (int e = 0; e < n; e++) {
            int off = 0;
            for (int d = 0; d < s.length; d++) if (red[d] == selected) off += idx[d] * st[d];
            out[e] = off;
            for (int d = s.length - 1; d >= 0; d--) {
                if (red[d] != selected) continue;
                if (++idx[d] < s[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    private static MilTensor prelu(Args a) {
        MilTensor x = a.get("x");
        float[] alpha = a.get("alpha").toFloats();
        int[] s = x.shapeRef();
        int c = s[1];
        int inner = x.size() / Math.max(1, s[0] * c);
        float[] xf = x.floatsRef();
        float[] out = new float[xf.length];
        for (int e = 0; e < xf.length; e++) {
            float al = alpha[alpha.length == 1 ? 0 : (e / inner) % c];
            out[e] = xf[e] >= 0 ? xf[e] : al * xf[e];
        }
        return MilTensor.floats(x.dtype(), s, out);
    }

    // ---- resizing ------------------------------------------------------------------------------

    private static MilTensor nearest(MilTensor x, int oh, int ow, double sh, double sw) {
        int[] s = x.shapeRef();
        int r = s.length;
        int h = s[r - 2];
        int w = s[r - 1];
        int planes = x.size() / Math.max(1, h * w);
        int[] index = new int[planes * oh * ow];
        int e = 0;
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                int iy = Math.min(h - 1, (int) Math.floor(oy / sh));
                for (int ox = 0; ox < ow; ox++) {
                    int ix = Math.min(w - 1, (int) Math.floor(ox / sw));
                    index[e++] = p * h * w + iy * w + ix;
                }
            }
        }
        int[] shape = s.clone();
        shape[r - 2] = oh;
        shape[r - 1] = ow;
        return MilOps.take(x, shape, index);
    }

    /** Sampling grid of MIL's resize_bilinear modes (coremltools iOS15 image_resizing docs). */
    private static double[] grid(int in, int out, String mode, Args a) {
        double[] g = new double[out];
        for (int i = 0; i < out; i++) {
            double v;
            switch (mode) {
                case "STRICT_ALIGN_CORNERS":
                    v = out == 1 ? 0 : i * (in - 1.0) / (out - 1.0);
                    break;
                case "ALIGN_CORNERS":
                    v = out == 1 ? (in - 1.0) / 2 : i * (in - 1.0) / (out - 1.0);
                    break;
                case "DEFAULT":
                    v = i * (double) in / out;
                    break;
                case "UNALIGN_CORNERS": {
                    double spacing = (double) in / out;
                    v = i * spacing + 0.5 * spacing - 0.5;
                    break;
                }
                case "OFFSET_CORNERS": {
                    double delta = Math.max(1, in - 1) / (double) out;
                    v = 0.5 * delta + i * delta;
                    break;
                }
                default: throw a.fail("unknown sampling_mode \"" + mode + "\"");
            }
            g[i] = Math.min(in - 1, Math.max(0, v));
        }
        return g;
    }

    private static MilTensor bilinear(MilTensor x, int oh, int ow, String mode, Args a) {
        int[] s = x.shapeRef();
        int r = s.length;
        if (r < 3) throw a.fail("x must have rank >= 3, got " + x.describe());
        int h = s[r - 2];
        int w = s[r - 1];
        double[] gy = grid(h, oh, mode, a);
        double[] gx = grid(w, ow, mode, a);
        int planes = x.size() / Math.max(1, h * w);
        float[] xf = x.floatsRef();
        float[] out = new float[planes * oh * ow];
        int e = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = (int) Math.floor(gy[oy]);
                int y1 = Math.min(y0 + 1, h - 1);
                double fy = gy[oy] - y0;
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = (int) Math.floor(gx[ox]);
                    int x1 = Math.min(x0 + 1, w - 1);
                    double fx = gx[ox] - x0;
                    double top = xf[base + y0 * w + x0] * (1 - fx) + xf[base + y0 * w + x1] * fx;
                    double bottom = xf[base + y1 * w + x0] * (1 - fx) + xf[base + y1 * w + x1] * fx;
                    out[e++] = (float) (top * (1 - fy) + bottom * fy);
                }
            }
        }
        int[] shape = s.clone();
        shape[r - 2] = oh;
        shape[r - 1] = ow;
        return MilTensor.floats(x.dtype(), shape, out);
    }
}
