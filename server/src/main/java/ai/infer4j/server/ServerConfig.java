package ai.infer4j.server;

import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.monitor.capture.CaptureConfig;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Server settings, read once from {@code config.properties} (TorchServe key names where they exist)
 * and overridden by command-line flags.
 *
 * @param inferenceAddress   inference API (default 127.0.0.1:8080)
 * @param managementAddress  management API (default 127.0.0.1:8081; keep it on localhost)
 * @param metricsAddress     Prometheus metrics (default 127.0.0.1:8082)
 * @param modelStore         directory that relative model URLs resolve against, or null
 * @param loadModels         models loaded at start: name → reference (built-in name, archive or path)
 * @param maxRequestSizeBytes largest request body accepted (413 beyond)
 * @param workersPerModel    worker threads per backbone
 * @param intraOpThreads     ONNX Runtime threads per forward pass
 * @param batch              dynamic batching policy per backbone
 * @param responseTimeout    per-request deadline; expired work never reaches the model
 * @param allowedUrls        regexes a remote model URL must match to be registered (none by default)
 * @param drainTimeout       how long shutdown waits for in-flight requests
 * @param cacheDir           where archives are extracted (null: the engine default)
 * @param authTokenFile      file holding a bearer token required on inference and management calls, or null (no auth)
 * @param idleTimeout        a connection that sends nothing for this long is closed (stops slow, never-finished requests)
 * @param precision          {@code fp32}, or {@code int8}: make each model's gate-passed INT8 variant
 *                           ({@code NAME-int8.mar} in the model store or beside the model) its default version
 * @param capture            data capture and live drift ({@code capture_*}, {@code drift_*} keys; off by default)
 * @param grpcAddress        KServe v2 gRPC ({@code grpc_address}, default 127.0.0.1:8083; empty or {@code off}: none), or null
 */
public record ServerConfig(InetSocketAddress inferenceAddress, InetSocketAddress managementAddress,
                           InetSocketAddress metricsAddress, Path modelStore, Map<String, String> loadModels,
                           int maxRequestSizeBytes, int workersPerModel, int intraOpThreads, BatchPolicy batch,
                           Duration responseTimeout, List<Pattern> allowedUrls, Duration drainTimeout, Path cacheDir,
                           Path authTokenFile, Duration idleTimeout, CaptureConfig capture,
                           String precision, InetSocketAddress grpcAddress) {

    public ServerConfig {
        loadModels = Map.copyOf(new LinkedHashMap<>(loadModels));
        allowedUrls = List.copyOf(allowedUrls);
        if (capture == null) capture = CaptureConfig.disabled();
        if (maxRequestSizeBytes < 1024) throw new IllegalArgumentException("max_request_size must be >= 1024 bytes, got " + maxRequestSizeBytes);
        if (workersPerModel < 1) throw new IllegalArgumentException("default_workers_per_model must be >= 1, got " + workersPerModel);
        if (intraOpThreads < 1) throw new IllegalArgumentException("intra_op_threads must be >= 1, got " + intraOpThreads);
        if (idleTimeout.isNegative() || idleTimeout.isZero())
            throw new IllegalArgumentException("idle_timeout must be > 0, got " + idleTimeout);
        if (!"fp32".equals(precision) && !"int8".equals(precision))
            throw new IllegalArgumentException("precision must be fp32 or int8, got '" + precision + "'");
        if (responseTimeout.isNegative() || responseTimeout.isZero())
            throw new IllegalArgumentException("default_response_timeout must be > 0, got " + responseTimeout);
    }

    /**
     * Defaults: everything on localhost, the built-in intent model, batches of up to 32, and one worker per core with one
     * ONNX Runtime thread each (what {@code tune} finds fastest on small machines: two single-threaded forward passes
     * beat one two-threaded pass for throughput, and the I/O event loops that run them are one per core).
     */
    public static ServerConfig defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ServerConfig(address("127.0.0.1:8080"), address("127.0.0.1:8081"), address("127.0.0.1:8082"), null,
                Map.of("intent", "intent"), 6_553_500, cores, 1, BatchPolicy.defaults(), Duration.ofSeconds(5), List.of(),
                Duration.ofSeconds(10), null, null, Duration.ofSeconds(30), CaptureConfig.disabled(), "fp32", address("127.0.0.1:8083"));
    }

    /** Reads {@code config.properties}; keys not given keep their defaults. Unknown keys are refused. */
    public static ServerConfig load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return defaults().with(p, file.toAbsolutePath().getParent());
    }

    /** Keys understood in config.properties (TorchServe's names, plus a few infer4j ones). */
    public static final List<String> KEYS = List.of("inference_address", "management_address", "metrics_address", "model_store",
            "load_models", "max_request_size", "default_workers_per_model", "batch_size", "max_batch_delay", "max_batch_tokens",
            "job_queue_size", "default_response_timeout", "allowed_urls", "intra_op_threads", "drain_timeout", "cache_dir",
            "auth_token_file", "idle_timeout", "precision", "grpc_address");

    /** This config with the given properties applied (relative paths resolve against {@code base}). */
    public ServerConfig with(Properties p, Path base) {
        for (String k : p.stringPropertyNames())
            if (!KEYS.contains(k) && !CaptureConfig.accepts(k)) throw new IllegalArgumentException("unknown config key '" + k + "'; known keys: " + KEYS + " and " + CaptureConfig.KEYS);
        InetSocketAddress inf = p.containsKey("inference_address") ? address(p.getProperty("inference_address")) : inferenceAddress;
        InetSocketAddress man = p.containsKey("management_address") ? address(p.getProperty("management_address")) : managementAddress;
        InetSocketAddress met = p.containsKey("metrics_address") ? address(p.getProperty("metrics_address")) : metricsAddress;
        Path store = p.containsKey("model_store") ? resolve(base, p.getProperty("model_store")) : modelStore;
        Map<String, String> load = p.containsKey("load_models") ? parseModels(p.getProperty("load_models")) : loadModels;
        BatchPolicy b = new BatchPolicy(intOf(p, "batch_size", batch.maxBatchSize()), intOf(p, "max_batch_tokens", batch.maxBatchTokens()),
                p.containsKey("max_batch_delay") ? Duration.ofMillis(intOf(p, "max_batch_delay", 0)) : batch.maxDelay(),
                intOf(p, "job_queue_size", batch.queueCapacity()));
        Duration timeout = p.containsKey("default_response_timeout") ? seconds(p, "default_response_timeout") : responseTimeout;
        Duration drain = p.containsKey("drain_timeout") ? seconds(p, "drain_timeout") : drainTimeout;
        List<Pattern> urls = p.containsKey("allowed_urls") ? patterns(p.getProperty("allowed_urls")) : allowedUrls;
        Path cache = p.containsKey("cache_dir") ? resolve(base, p.getProperty("cache_dir")) : cacheDir;
        Path auth = p.containsKey("auth_token_file") ? resolve(base, p.getProperty("auth_token_file")) : authTokenFile;
        Duration idle = p.containsKey("idle_timeout") ? seconds(p, "idle_timeout") : idleTimeout;
        String g = p.getProperty("grpc_address");
        InetSocketAddress grpc = g == null ? grpcAddress : g.isBlank() || g.trim().equals("off") ? null : address(g);
        return new ServerConfig(inf, man, met, store, load, intOf(p, "max_request_size", maxRequestSizeBytes),
                intOf(p, "default_workers_per_model", workersPerModel), intOf(p, "intra_op_threads", intraOpThreads), b, timeout,
                urls, drain, cache, auth, idle, capture.with(p, base), p.getProperty("precision", precision).trim(), grpc);
    }

    /** Parses {@code host:port}, {@code http://host:port} or {@code :port}. */
    public static InetSocketAddress address(String s) {
        String v = s.trim();
        if (v.contains("://")) {
            URI u = URI.create(v);
            if (u.getHost() == null || u.getPort() < 0) throw new IllegalArgumentException("address needs host and port: '" + s + "'");
            return InetSocketAddress.createUnresolved(u.getHost(), u.getPort());
        }
        int colon = v.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("address must be host:port, got '" + s + "'");
        String host = colon == 0 ? "127.0.0.1" : v.substring(0, colon);
        try {
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(v.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("address must be host:port with port 0..65535, got '" + s + "'");
        }
    }

    /** Parses {@code name=ref,name2=ref2} (a bare {@code ref} is named after its file or built-in name). */
    public static Map<String, String> parseModels(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String t = part.trim();
            if (t.isEmpty()) continue;
            int eq = t.indexOf('=');
            String ref = eq < 0 ? t : t.substring(eq + 1).trim();
            String name = eq < 0 ? defaultName(ref) : t.substring(0, eq).trim();
            out.put(name, ref);
        }
        return out;
    }

    static String defaultName(String ref) {
        String f = Path.of(ref).getFileName().toString();
        return f.endsWith(".mar") ? f.substring(0, f.length() - 4) : f;
    }

    private static List<Pattern> patterns(String s) {
        List<Pattern> out = new ArrayList<>();
        for (String part : s.split(",")) if (!part.isBlank()) out.add(Pattern.compile(part.trim()));
        return out;
    }

    private static Path resolve(Path base, String v) {
        Path p = Path.of(v.trim());
        return p.isAbsolute() || base == null ? p : base.resolve(p);
    }

    private static int intOf(Properties p, String key, int dflt) {
        String v = p.getProperty(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private static Duration seconds(Properties p, String key) {
        String v = p.getProperty(key).trim();
        try {
            return Duration.ofNanos((long) (Double.parseDouble(v) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number of seconds, got '" + v + "'");
        }
    }

    public ServerConfig withAddresses(InetSocketAddress inf, InetSocketAddress man, InetSocketAddress met) {
        return new ServerConfig(inf, man, met, modelStore, loadModels, maxRequestSizeBytes, workersPerModel, intraOpThreads, batch,
                responseTimeout, allowedUrls, drainTimeout, cacheDir, authTokenFile, idleTimeout, capture, precision, grpcAddress);
    }

    public ServerConfig withModels(Path store, Map<String, String> models) {
        return new ServerConfig(inferenceAddress, managementAddress, metricsAddress, store, models, maxRequestSizeBytes,
                workersPerModel, intraOpThreads, batch, responseTimeout, allowedUrls, drainTimeout, cacheDir, authTokenFile, idleTimeout, capture, precision, grpcAddress);
    }

    public ServerConfig withWorkers(int workers, int threads, BatchPolicy policy) {
        return new ServerConfig(inferenceAddress, managementAddress, metricsAddress, modelStore, loadModels, maxRequestSizeBytes,
                workers, threads, policy, responseTimeout, allowedUrls, drainTimeout, cacheDir, authTokenFile, idleTimeout, capture, precision, grpcAddress);
    }

    public ServerConfig withAuthTokenFile(Path file) {
        return new ServerConfig(inferenceAddress, managementAddress, metricsAddress, modelStore, loadModels, maxRequestSizeBytes,
                workersPerModel, intraOpThreads, batch, responseTimeout, allowedUrls, drainTimeout, cacheDir, file, idleTimeout, capture, precision, grpcAddress);
    }

    public ServerConfig withPrecision(String p) {
        return new ServerConfig(inferenceAddress, managementAddress, metricsAddress, modelStore, loadModels, maxRequestSizeBytes,
                workersPerModel, intraOpThreads, batch, responseTimeout, allowedUrls, drainTimeout, cacheDir, authTokenFile, idleTimeout, capture, p, grpcAddress);
    }

    public ServerConfig withCapture(CaptureConfig c) {
        return new ServerConfig(inferenceAddress, managementAddress, metricsAddress, modelStore, loadModels, maxRequestSizeBytes,
                workersPerModel, intraOpThreads, batch, responseTimeout, allowedUrls, drainTimeout, cacheDir, authTokenFile, idleTimeout, c, precision, grpcAddress);
    }
}
