package ai.infer4j.engine.backbone;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.error.ModelExecutionException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.backbone.ModelSignature.OutputKind;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * An ONNX encoder and its tokenizer: turns token batches into one vector per input (pooled,
 * L2-normalised embeddings, or logits for a full classifier). Pads each batch to its own longest
 * sequence. Safe for concurrent callers (ONNX Runtime sessions are); {@link #close()} is idempotent.
 */
public final class Backbone implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Backbone.class);

    private static final ThreadLocal<LongBuffer[]> INPUT_BUFFERS = ThreadLocal.withInitial(() -> new LongBuffer[3]);
    private static final ThreadLocal<FloatBuffer[]> OUTPUT_BUFFER = ThreadLocal.withInitial(() -> new FloatBuffer[1]);

    private final BackboneFiles files;
    private final OrtEnvironment env;
    private final OrtRuntime.Loaded loaded;
    private final OrtSession session;
    private final ModelSignature signature;
    private final TextTokenizer tokenizer;
    /** The output is float32, so ONNX Runtime can write it straight into a reusable direct buffer ({@link #forward}). */
    private final boolean floatOutput;
    private final LongAdder forwardPasses = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Backbone(BackboneFiles files, OrtEnvironment env, OrtRuntime.Loaded loaded, ModelSignature signature,
                     TextTokenizer tokenizer) {
        this.files = files;
        this.env = env;
        this.loaded = loaded;
        this.session = loaded.session();
        this.signature = signature;
        this.tokenizer = tokenizer;
        this.floatOutput = isFloat(session, signature.output());
    }

    private static boolean isFloat(OrtSession session, String output) {
        try {
            return session.getOutputInfo().get(output).getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.FLOAT;
        } catch (OrtException e) {
            return false;
        }
    }

    /**
     * Opens the model with the given options; refuses a model whose inputs/outputs do not fit. The tokenizer loads
     * on a second thread while ONNX Runtime builds the session (both are mostly native, single-threaded work, and the
     * tokenizer's native library probes the machine for CUDA first: together ~0.3 s of a cold start).
     */
    public static Backbone open(BackboneFiles files, EngineOptions options) {
        long t0 = System.nanoTime();
        CompletableFuture<TextTokenizer> tokenizer = CompletableFuture.supplyAsync(
                () -> TextTokenizer.load(files.tokenizer(), options.maxLength(), options.maxTextChars(), options.truncate()),
                task -> {
                    Thread t = new Thread(task, "infer4j-tokenizer-load");
                    t.setDaemon(true);
                    t.start();
                });
        OrtEnvironment env;
        OrtRuntime.Loaded loaded;
        try {
            env = OrtRuntime.environment(options.cacheDir());
            loaded = createSession(env, files, options);
        } catch (RuntimeException e) {
            tokenizer.thenAccept(TextTokenizer::close);
            throw e;
        }
        try {
            ModelSignature sig = ModelSignature.of(loaded.session());
            if (files.pooling() == PoolingMode.CLS_MEAN && sig.kind() == OutputKind.TOKEN_EMBEDDINGS)
                sig = new ModelSignature(sig.inputIds(), sig.attentionMask(), sig.tokenTypeIds(), sig.output(), sig.kind(), 2 * sig.width());
            TextTokenizer tok = join(tokenizer);
            log.info("loaded backbone {} ({} {}={}) in {} ms", files.id(), sig.kind(), sig.output(), sig.width(),
                    (System.nanoTime() - t0) / 1_000_000);
            return new Backbone(files, env, loaded, sig, tok);
        } catch (RuntimeException e) {
            tokenizer.thenAccept(TextTokenizer::close);
            closeQuietly(loaded);
            throw e;
        }
    }

    private static OrtRuntime.Loaded createSession(OrtEnvironment env, BackboneFiles files, EngineOptions options) {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(options.intraOpThreads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            // Intra-op threads sleep between parallel sections instead of spinning: spinning threads take the cores
            // the HTTP I/O threads, the tokenizer and the response need (measured on 2 cores: server p50 7.8 -> 7.1 ms,
            // p99 24 -> 14 ms, in-process unchanged).
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (options.device().equals("cuda")) {
                addCuda(so);
                so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                return OrtRuntime.Loaded.of(env.createSession(files.model().toString(), so));
            }
            return OrtRuntime.createSession(env, files.model(), so, options.cacheDir());
        } catch (OrtException e) {
            throw new ModelLoadException("cannot load ONNX model " + files.model() + ": " + e.getMessage(), e);
        }
    }

    /** The tokenizer's result, with its own exception (not a CompletionException wrapper). */
    private static TextTokenizer join(CompletableFuture<TextTokenizer> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    private static void addCuda(OrtSession.SessionOptions so) {
        try {
            so.addCUDA(0);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            throw new ModelLoadException("device 'cuda' is not available: " + e.getMessage()
                    + " (use the onnxruntime_gpu artifact and a CUDA machine, or --device cpu)", e);
        }
    }

    public String id() {
        return files.id();
    }

    /** A short, label-safe name for threads and metrics, e.g. {@code all-MiniLM-L6-v2} or an export's directory name. */
    public String label() {
        String id = id();
        int slash = Math.max(id.lastIndexOf('/'), id.lastIndexOf(':'));
        String base = slash >= 0 ? id.substring(slash + 1) : id;
        if (base.equals("model.onnx")) {
            String parent = id.substring(0, Math.max(0, id.lastIndexOf('/')));
            base = parent.substring(parent.lastIndexOf('/') + 1);
        }
        return base.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    public BackboneFiles files() {
        return files;
    }

    public ModelSignature signature() {
        return signature;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Forward passes run so far (for tests and metrics). */
    public long forwardPasses() {
        return forwardPasses.sum();
    }

    /** Runs one forward pass over {@code batch}, padded to its longest sequence. */
    public Forward forward(List<Tokens> batch) {
        if (closed.get()) throw new IllegalStateException("backbone " + id() + " is closed");
        int n = batch.size();
        if (n == 0) return new Forward(new float[0][], 0, 0);
        int len = 0;
        long real = 0;
        for (Tokens t : batch) {
            len = Math.max(len, t.length());
            real += t.length();
        }
        long[] ids = new long[n * len];
        long[] mask = new long[n * len];
        long[] types = signature.tokenTypeIds() == null ? null : new long[n * len];
        for (int i = 0; i < n; i++) {
            Tokens t = batch.get(i);
            int off = i * len;
            System.arraycopy(t.ids(), 0, ids, off, t.length());
            for (int j = 0; j < t.length(); j++) mask[off + j] = 1;
            if (types != null) System.arraycopy(t.typeIds(), 0, types, off, t.length());
        }
        long[] shape = {n, len};
        forwardPasses.increment();
        try (OnnxTensor tIds = OnnxTensor.createTensor(env, direct(0, ids), shape);
             OnnxTensor tMask = OnnxTensor.createTensor(env, direct(1, mask), shape);
             OnnxTensor tTypes = types == null ? null : OnnxTensor.createTensor(env, direct(2, types), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>(4);
            inputs.put(signature.inputIds(), tIds);
            inputs.put(signature.attentionMask(), tMask);
            if (tTypes != null) inputs.put(signature.tokenTypeIds(), tTypes);
            boolean tokens = signature.kind() == OutputKind.TOKEN_EMBEDDINGS;
            if (!floatOutput) {
                try (OrtSession.Result out = session.run(inputs, Set.of(signature.output()))) {
                    return pool(((OnnxTensor) out.get(0)).getFloatBuffer(), batch, len, real);
                }
            }
            // ONNX Runtime writes the output into this thread's direct buffer: no copy of [n, len, hidden] floats onto
            // the heap per pass (a quarter of a serving JVM's allocation with an embedding model)
            int hidden = tokens && files.pooling() == PoolingMode.CLS_MEAN ? signature.width() / 2 : signature.width();
            long[] outShape = tokens ? new long[] {n, len, hidden} : new long[] {n, hidden};
            FloatBuffer ob = outputBuffer((tokens ? n * len : n) * hidden);
            try (OnnxTensor pinned = OnnxTensor.createTensor(env, ob, outShape);
                 OrtSession.Result ignored = session.run(inputs, Map.of(signature.output(), pinned))) {
                return pool(ob, batch, len, real);
            }
        } catch (OrtException e) {
            throw new ModelExecutionException("forward pass failed on backbone " + id() + " (batch " + n + " x " + len
                    + " tokens): " + e.getMessage(), e);
        }
    }

    private Forward pool(FloatBuffer fb, List<Tokens> batch, int len, long real) {
        int n = batch.size();
        float[][] vectors = signature.kind() != OutputKind.TOKEN_EMBEDDINGS
                ? Pooling.rows(fb, n, signature.width(), signature.kind() == OutputKind.SENTENCE_EMBEDDING)
                : switch (files.pooling()) {
                    case CLS -> Pooling.clsPool(fb, n, len, signature.width());
                    case CLS_MEAN -> Pooling.clsMeanPool(fb, batch, len, signature.width() / 2);
                    case MEAN -> Pooling.meanPool(fb, batch, len, signature.width());
                };
        return new Forward(vectors, len, real);
    }

    /** This thread's reusable direct output buffer, holding exactly {@code floats} (safe: see {@link #direct}). */
    private static FloatBuffer outputBuffer(int floats) {
        FloatBuffer[] bufs = OUTPUT_BUFFER.get();
        FloatBuffer b = bufs[0];
        if (b == null || b.capacity() < floats) {
            b = ByteBuffer.allocateDirect(Math.max(floats, 1 << 16) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            bufs[0] = b;
        }
        b.clear();
        b.limit(floats);
        return b.slice();
    }

    /**
     * A reusable direct buffer per thread and input slot holding {@code data}. ONNX Runtime uses a direct
     * buffer as it is; from a heap buffer it would allocate a fresh direct copy per call, whose native memory
     * is only returned when the garbage collector happens to run. Safe to reuse: the tensors that read it are
     * closed before {@link #forward} returns.
     */
    private static LongBuffer direct(int slot, long[] data) {
        LongBuffer[] bufs = INPUT_BUFFERS.get();
        LongBuffer b = bufs[slot];
        if (b == null || b.capacity() < data.length) {
            b = ByteBuffer.allocateDirect(Math.max(data.length, 4096) * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
            bufs[slot] = b;
        }
        b.clear();
        b.put(data);
        b.flip();
        return b;
    }

    /**
     * Runs many inputs in length-sorted chunks of at most {@code batchSize} (little padding), and
     * returns vectors in input order. {@code progress} receives the count done after each chunk.
     */
    public float[][] forwardAll(List<Tokens> all, int batchSize, IntConsumer progress) {
        int[] order = IntStream.range(0, all.size()).boxed()
                .sorted(Comparator.comparingInt(i -> all.get(i).length())).mapToInt(Integer::intValue).toArray();
        float[][] out = new float[all.size()][];
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<Tokens> chunk = new ArrayList<>(end - start);
            for (int k = start; k < end; k++) chunk.add(all.get(order[k]));
            float[][] v = forward(chunk).vectors();
            for (int k = start; k < end; k++) out[order[k]] = v[k - start];
            progress.accept(end);
        }
        return out;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        closeQuietly(loaded);
        tokenizer.close();
    }

    private static void closeQuietly(OrtRuntime.Loaded s) {
        try {
            s.close();
        } catch (OrtException e) {
            log.warn("closing ONNX session failed: {}", e.getMessage());
        }
    }
}
