package dev.pare.compiler.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@link ModelExecutor} on ONNX Runtime (CPU). A session writes the graph with the model's opsets
 * and IR version to a temporary folder through the ONNX writer (so {@code pare.*} ops are lowered
 * and large weights stay external), with every captured value added as a graph output typed by its
 * element type, loads it, and deletes the files (ORT has read them by then).
 */
public final class OrtModelExecutor implements ModelExecutor {

    /** Little-endian byte order is what both the IR and ORT's CPU buffers use on the supported platforms. */
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final Model template;
    private final int threads;
    private final OrtOptimization optimization;

    /**
     * @param model   the model the graphs come from: its format must be ONNX, and its opsets, IR version,
     *                functions and metadata are written with every graph opened
     * @param threads ORT intra-op threads per session
     */
    public OrtModelExecutor(Model model, int threads) {
        this(model, threads, OrtOptimization.ALL);
    }

    /**
     * @param optimization the graph optimization level of every session (ONNX Runtime's default is
     *                     {@link OrtOptimization#ALL})
     */
    public OrtModelExecutor(Model model, int threads, OrtOptimization optimization) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.template = model;
        this.threads = threads;
        this.optimization = java.util.Objects.requireNonNull(optimization, "optimization");
    }

    @Override public Session open(Graph graph, List<Value> captured) throws ModelExecutionException {
        if (!"onnx".equals(template.format())) {
            throw new ModelExecutionException("running a model needs the ONNX dialect; this model was read as "
                    + template.format());
        }
        Map<Value, DType> types = ElementTypes.of(graph);
        Map<String, DType> extra = new LinkedHashMap<>();
        for (Value v : captured) {
            if (v.graph() != graph || v.isAbsent() || v.isConstant()) {
                throw new ModelExecutionException("cannot capture '" + v.name() + "': not a computed value of graph " + graph.name());
            }
            DType t = types.getOrDefault(v, DType.UNDEFINED);
            if (t == DType.UNDEFINED) {
                String op = v.producer() == null ? "an input" : v.producer().op() + " '" + v.producer().name() + "'";
                throw new ModelExecutionException("cannot capture '" + v.name() + "' (from " + op + "): its element type is unknown");
            }
            extra.put(v.name(), t);
        }
        Model model = new Model(template.format(), graph);
        model.setOpsets(template.opsets());
        template.properties().forEach(model::setProperty);
        template.metadataProps().forEach(model::setMetadataProp);
        template.opaqueFields().forEach(model::addOpaqueField);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("pare-run-");
            Path file = dir.resolve("model.onnx");
            OnnxFormat.writeWithExtraOutputs(OnnxLowering.lower(model), file, extra);
            OrtEnvironment env = OrtEnvironments.shared();  // not getEnvironment(): see OrtEnvironments
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(threads);
                opts.setInterOpNumThreads(1);
                opts.setOptimizationLevel(optimization.level());
                return new OrtSessionAdapter(env, env.createSession(file.toString(), opts), graph.name());
            }
        } catch (ModelFormatException e) {
            throw new ModelExecutionException("cannot export graph " + graph.name() + " for ONNX Runtime: " + e.getMessage(), e);
        } catch (OrtException e) {
            throw new ModelExecutionException("ONNX Runtime cannot load graph " + graph.name() + ": " + oneLine(e), e);
        } catch (IOException e) {
            throw new ModelExecutionException("cannot write a temporary model for ONNX Runtime: " + oneLine(e), e);
        } finally {
            deleteTree(dir);
        }
    }

    private static final class OrtSessionAdapter implements Session {
        private final OrtEnvironment env;
        private final OrtSession session;
        private final String graphName;

        OrtSessionAdapter(OrtEnvironment env, OrtSession session, String graphName) {
            this.env = env;
            this.session = session;
            this.graphName = graphName;
        }

        @Override public Map<String, TensorData> run(Map<String, TensorData> inputs) throws ModelExecutionException {
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, TensorData> e : inputs.entrySet()) feeds.put(e.getKey(), tensor(env, e.getKey(), e.getValue()));
                Map<String, TensorData> out = new LinkedHashMap<>();
                try (OrtSession.Result result = session.run(feeds)) {
                    for (Map.Entry<String, OnnxValue> e : result) out.put(e.getKey(), data(e.getKey(), e.getValue()));
                }
                return out;
            } catch (OrtException e) {
                throw new ModelExecutionException("ONNX Runtime failed to run graph " + graphName + ": " + oneLine(e), e);
            } finally {
                for (OnnxTensor t : feeds.values()) t.close();
            }
        }

        @Override public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("cannot close the ONNX Runtime session: " + oneLine(e), e);
            }
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, String name, TensorData data) throws ModelExecutionException, OrtException {
        if (!(data instanceof DenseData)) {
            throw new ModelExecutionException("input '" + name + "': only dense tensors can be fed, got " + data);
        }
        OnnxJavaType type = javaType(data.dtype());
        if (type == null) throw new ModelExecutionException("input '" + name + "': element type " + data.dtype() + " cannot be fed to ONNX Runtime");
        ByteBuffer src = data.bytes();
        ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ORDER);
        direct.put(src).flip();
        return OnnxTensor.createTensor(env, direct, data.type().shape(), type);
    }

    private static TensorData data(String name, OnnxValue value) throws ModelExecutionException {
        if (!(value instanceof OnnxTensor t)) {
            throw new ModelExecutionException("output '" + name + "' is a " + value.getType() + ", not a tensor");
        }
        TensorInfo info = t.getInfo();
        DType dtype = dtype(info.onnxType);
        if (dtype == DType.UNDEFINED || javaType(dtype) == null) {
            throw new ModelExecutionException("output '" + name + "' has element type " + info.onnxType + ", which is not supported");
        }
        ByteBuffer b = t.getByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(b.remaining()).order(ORDER);
        copy.put(b.order(ORDER)).flip();
        return TensorData.ofBuffer(TensorType.of(dtype, info.getShape()), copy);
    }

    /** By name: the Java enum's {@code value} numbers are not ONNX's element type codes. */
    private static DType dtype(TensorInfo.OnnxTensorType t) {
        String name = t.name().substring("ONNX_TENSOR_ELEMENT_DATA_TYPE_".length());
        switch (name) {
            case "FLOAT": return DType.FLOAT32;
            case "DOUBLE": return DType.FLOAT64;
            default:
                try {
                    return DType.valueOf(name);
                } catch (IllegalArgumentException e) {
                    return DType.UNDEFINED;
                }
        }
    }

    private static OnnxJavaType javaType(DType t) {
        switch (t) {
            case FLOAT32: return OnnxJavaType.FLOAT;
            case FLOAT16: return OnnxJavaType.FLOAT16;
            case BFLOAT16: return OnnxJavaType.BFLOAT16;
            case FLOAT64: return OnnxJavaType.DOUBLE;
            case INT8: return OnnxJavaType.INT8;
            case UINT8: return OnnxJavaType.UINT8;
            case INT16: return OnnxJavaType.INT16;
            case INT32: return OnnxJavaType.INT32;
            case INT64: return OnnxJavaType.INT64;
            case BOOL: return OnnxJavaType.BOOL;
            default: return null;
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static void deleteTree(Path dir) {
        if (dir == null) return;
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: a leftover temporary file must not fail the run
        }
    }
}
