package dev.pare.compiler.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs an ONNX file in ONNX Runtime (CPU, one thread, so results are reproducible) on named
 * float (fed to float16 inputs rounded to float16) or int64 inputs and returns the float or int64 outputs by name (float16 outputs are
 * widened to float exactly).
 */
public final class OrtRunner {

    /** A dense tensor: shape plus float or long values (exactly one of them non-null). */
    public record Tensor(long[] shape, float[] floats, long[] longs) {
        public static Tensor ofFloats(long[] shape, float[] values) { return new Tensor(shape, values, null); }

        public static Tensor ofLongs(long[] shape, long[] values) { return new Tensor(shape, null, values); }
    }

    private OrtRunner() {}

    /**
     * Session config entry that keeps ORT's DQ(int4)+MatMul → MatMulNBits fusion exact: the default
     * accuracy level 4 quantizes the activations to int8 (ONNX QuantizeLinear/DequantizeLinear).
     */
    public static final Map<String, String> EXACT_MATMUL_NBITS = Map.of("session.qdq_matmulnbits_accuracy_level", "0");

    public static Map<String, Tensor> run(Path model, Map<String, Tensor> inputs) throws OrtException {
        return run(model, inputs, Map.of());
    }

    /** As {@link #run(Path, Map)} with extra session config entries. */
    public static Map<String, Tensor> run(Path model, Map<String, Tensor> inputs, Map<String, String> config)
            throws OrtException {
        return run(model, inputs, config, true);
    }

    /**
     * As {@link #run(Path, Map)} with ORT's graph optimizations switched off, for comparing what two
     * models compute without ORT's version-dependent fusions in between.
     */
    public static Map<String, Tensor> runUnoptimized(Path model, Map<String, Tensor> inputs) throws OrtException {
        return runUnoptimized(model, inputs, Map.of());
    }

    /** As {@link #runUnoptimized(Path, Map)} with extra session config entries. */
    public static Map<String, Tensor> runUnoptimized(Path model, Map<String, Tensor> inputs, Map<String, String> config)
            throws OrtException {
        return run(model, inputs, config, false);
    }

    private static Map<String, Tensor> run(Path model, Map<String, Tensor> inputs, Map<String, String> config,
            boolean optimize) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            // Optimized sessions keep ORT's own default level rather than naming one here.
            if (!optimize) opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            for (Map.Entry<String, String> c : config.entrySet()) opts.addConfigEntry(c.getKey(), c.getValue());
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                        Tensor t = e.getValue();
                        ai.onnxruntime.OnnxJavaType declared = declaredType(session, e.getKey());
                        feeds.put(e.getKey(), t.floats() == null ? integerTensor(env, t, declared)
                                : declared == ai.onnxruntime.OnnxJavaType.FLOAT16 ? halfTensor(env, t)
                                : OnnxTensor.createTensor(env, FloatBuffer.wrap(t.floats()), t.shape()));
                    }
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    try (OrtSession.Result result = session.run(feeds)) {
                        for (Map.Entry<String, OnnxValue> e : result) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            TensorInfo info = t.getInfo();
                            switch (info.type) {
                                case FLOAT: {
                                    FloatBuffer fb = t.getFloatBuffer();
                                    float[] v = new float[fb.remaining()];
                                    fb.get(v);
                                    out.put(e.getKey(), Tensor.ofFloats(info.getShape(), v));
                                    break;
                                }
                                case FLOAT16: {
                                    java.nio.ShortBuffer sb = t.getShortBuffer();
                                    float[] v = new float[sb.remaining()];
                                    for (int i = 0; i < v.length; i++) v[i] = dev.pare.ir.Float16.toFloat(sb.get());
                                    out.put(e.getKey(), Tensor.ofFloats(info.getShape(), v));
                                    break;
                                }
                                case INT64: {
                                    LongBuffer lb = t.getLongBuffer();
                                    long[] v = new long[lb.remaining()];
                                    lb.get(v);
                                    out.put(e.getKey(), Tensor.ofLongs(info.getShape(), v));
                                    break;
                                }
                                case UINT8: case INT8: {
                                    java.nio.ByteBuffer bb = t.getByteBuffer();
                                    long[] v = new long[bb.remaining()];
                                    for (int i = 0; i < v.length; i++) v[i] = info.type == ai.onnxruntime.OnnxJavaType.UINT8 ? bb.get() & 0xFF : bb.get();
                                    out.put(e.getKey(), Tensor.ofLongs(info.getShape(), v));
                                    break;
                                }
                                case BOOL: case INT16: {
                                    long[] v = new long[Math.toIntExact(info.getNumElements())];
                                    if (info.type == ai.onnxruntime.OnnxJavaType.BOOL) {
                                        java.nio.ByteBuffer bb = t.getByteBuffer();
                                        for (int i = 0; i < v.length; i++) v[i] = bb.get() != 0 ? 1 : 0;
                                    } else {
                                        java.nio.ShortBuffer sb = t.getShortBuffer();
                                        for (int i = 0; i < v.length; i++) v[i] = sb.get();
                                    }
                                    out.put(e.getKey(), Tensor.ofLongs(info.getShape(), v));
                                    break;
                                }
                                case INT32: {
                                    java.nio.IntBuffer ib = t.getIntBuffer();
                                    long[] v = new long[ib.remaining()];
                                    for (int i = 0; i < v.length; i++) v[i] = ib.get();
                                    out.put(e.getKey(), Tensor.ofLongs(info.getShape(), v));
                                    break;
                                }
                                default:
                                    throw new IllegalArgumentException("output " + e.getKey() + " has type " + info.type);
                            }
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : feeds.values()) t.close();
                }
            }
        }
    }

    /** The element type the session declares for an input (int64 when it declares none). */
    private static ai.onnxruntime.OnnxJavaType declaredType(OrtSession session, String input) throws OrtException {
        ai.onnxruntime.NodeInfo info = session.getInputInfo().get(input);
        return info != null && info.getInfo() instanceof TensorInfo ti ? ti.type : ai.onnxruntime.OnnxJavaType.INT64;
    }

    /** Float values fed to a float16 input, each rounded to the nearest float16 (as Float16.fromFloat rounds). */
    private static OnnxTensor halfTensor(OrtEnvironment env, Tensor t) throws OrtException {
        java.nio.ShortBuffer b = java.nio.ShortBuffer.allocate(t.floats().length);
        for (float x : t.floats()) b.put(dev.pare.ir.Float16.fromFloat(x));
        return OnnxTensor.createTensor(env, b.flip(), t.shape(), ai.onnxruntime.OnnxJavaType.FLOAT16);
    }

    /** Integer values in the input's declared type: bool (0 = false), int8/uint8, int16, int32 or int64. */
    private static OnnxTensor integerTensor(OrtEnvironment env, Tensor t, ai.onnxruntime.OnnxJavaType type) throws OrtException {
        long[] v = t.longs();
        switch (type) {
            case BOOL: case INT8: case UINT8: {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(v.length);
                for (long x : v) b.put((byte) (type == ai.onnxruntime.OnnxJavaType.BOOL ? (x != 0 ? 1 : 0) : x));
                return OnnxTensor.createTensor(env, b.flip(), t.shape(), type);
            }
            case INT16: {
                java.nio.ShortBuffer b = java.nio.ShortBuffer.allocate(v.length);
                for (long x : v) b.put((short) x);
                return OnnxTensor.createTensor(env, b.flip(), t.shape(), type);
            }
            case INT32: {
                java.nio.IntBuffer b = java.nio.IntBuffer.allocate(v.length);
                for (long x : v) b.put(Math.toIntExact(x));
                return OnnxTensor.createTensor(env, b.flip(), t.shape());
            }
            default:
                return OnnxTensor.createTensor(env, LongBuffer.wrap(v), t.shape());
        }
    }
}
