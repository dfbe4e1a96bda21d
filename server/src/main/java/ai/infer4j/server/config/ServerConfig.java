package ai.infer4j.server.config;

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
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Server settings, read once from {@code config.properties} (TorchServe key names where they exist) and overridden by
 * command-line flags, which {@code serve} turns into the same keys. Each group reads its own keys in {@code with}.
 *
 * <pre>
 * ServerConfig c = ServerConfig.load(Path.of("config.properties"));          // or ServerConfig.defaults()
 * Properties flags = new Properties();
 * flags.setProperty("batch_size", "8");
 * c = c.with(flags, null);                                                  // unknown keys are refused
 * int perBackbone = c.workers().perModel();
 * </pre>
 *
 * @param listeners where the APIs listen
 * @param models    models loaded at start and where they come from
 * @param limits    request size and the timeouts
 * @param workers   worker threads, ONNX Runtime threads and dynamic batching per backbone
 * @param security  bearer token and the URLs a remote model may come from
 * @param capture   data capture and live drift ({@code capture_*}, {@code drift_*} keys; off by default)
 * @param precision {@code fp32}, or {@code int8}: make each model's gate-passed INT8 variant
 *                  ({@code NAME-int8.mar} in the model store or beside the model) its default version
 */
public record ServerConfig(Listeners listeners, Models models, Limits limits, Workers workers, Security security,
                           CaptureConfig capture, String precision) {

    public ServerConfig {
        Objects.requireNonNull(listeners, "listeners");
        Objects.requireNonNull(models, "models");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(workers, "workers");
        Objects.requireNonNull(security, "security");
        if (capture == null) capture = CaptureConfig.disabled();
        if (!"fp32".equals(precision) && !"int8".equals(precision))
            throw new IllegalArgumentException("precision must be fp32 or int8, got '" + precision + "'");
    }

    /**
     * Where the APIs listen.
     *
     * @param inference  inference API ({@code inference_address}, default 127.0.0.1:8080)
     * @param management management API ({@code management_address}, default 127.0.0.1:8081; keep it on localhost)
     * @param metrics    Prometheus metrics ({@code metrics_address}, default 127.0.0.1:8082)
     * @param grpc       KServe v2 gRPC ({@code grpc_address}, default 127.0.0.1:8083; empty or {@code off}: none), or null
     */
    public record Listeners(InetSocketAddress inference, InetSocketAddress management, InetSocketAddress metrics,
                            InetSocketAddress grpc) {
        public static final List<String> KEYS = List.of("inference_address", "management_address", "metrics_address", "grpc_address");

        public Listeners {
            Objects.requireNonNull(inference, "inference");
            Objects.requireNonNull(management, "management");
            Objects.requireNonNull(metrics, "metrics");
        }

        Listeners with(Properties p) {
            String g = p.getProperty("grpc_address");
            return new Listeners(addressOf(p, "inference_address", inference), addressOf(p, "management_address", management),
                    addressOf(p, "metrics_address", metrics), g == null ? grpc : g.isBlank() || g.trim().equals("off") ? null : address(g));
        }

        private static InetSocketAddress addressOf(Properties p, String key, InetSocketAddress dflt) {
            return p.containsKey(key) ? address(p.getProperty(key)) : dflt;
        }
    }

    /**
     * Models loaded at start and where model files come from.
     *
     * @param store    directory that relative model URLs resolve against ({@code model_store}), or null
     * @param load     models loaded at start ({@code load_models}): name → reference (built-in name, archive or path)
     * @param cacheDir where archives are extracted ({@code cache_dir}; null: the engine default)
     * @param pluginsDir directory of custom handler jars that archives may name ({@code plugins_dir}), or null: none
     */
    public record Models(Path store, Map<String, String> load, Path cacheDir, Path pluginsDir) {
        public static final List<String> KEYS = List.of("model_store", "load_models", "cache_dir", "plugins_dir");

        public Models {
            load = Map.copyOf(new LinkedHashMap<>(load));
        }

        Models with(Properties p, Path base) {
            return new Models(p.containsKey("model_store") ? resolve(base, p.getProperty("model_store")) : store,
                    p.containsKey("load_models") ? parseModels(p.getProperty("load_models")) : load,
                    p.containsKey("cache_dir") ? resolve(base, p.getProperty("cache_dir")) : cacheDir,
                    p.containsKey("plugins_dir") ? resolve(base, p.getProperty("plugins_dir")) : pluginsDir);
        }
    }

    /**
     * Request size and timeouts.
     *
     * @param maxRequestSizeBytes largest request body accepted, 413 beyond ({@code max_request_size})
     * @param responseTimeout     per-request deadline; expired work never reaches the model ({@code default_response_timeout}, s)
     * @param idleTimeout         a connection that sends nothing for this long is closed ({@code idle_timeout}, s)
     * @param drainTimeout        how long shutdown waits for in-flight requests ({@code drain_timeout}, s)
     */
    public record Limits(int maxRequestSizeBytes, Duration responseTimeout, Duration idleTimeout, Duration drainTimeout) {
        public static final List<String> KEYS = List.of("max_request_size", "default_response_timeout", "idle_timeout", "drain_timeout");

        public Limits {
            if (maxRequestSizeBytes < 1024) throw new IllegalArgumentException("max_request_size must be >= 1024 bytes, got " + maxRequestSizeBytes);
            if (responseTimeout.isNegative() || responseTimeout.isZero())
                throw new IllegalArgumentException("default_response_timeout must be > 0, got " + responseTimeout);
            if (idleTimeout.isNegative() || idleTimeout.isZero())
                throw new IllegalArgumentException("idle_timeout must be > 0, got " + idleTimeout);
            Objects.requireNonNull(drainTimeout, "drainTimeout");
        }

        Limits with(Properties p) {
            return new Limits(intOf(p, "max_request_size", maxRequestSizeBytes), seconds(p, "default_response_timeout", responseTimeout),
                    seconds(p, "idle_timeout", idleTimeout), seconds(p, "drain_timeout", drainTimeout));
        }
    }

    /**
     * Threads and batching per backbone.
     *
     * @param perModel       worker threads per backbone ({@code default_workers_per_model})
     * @param intraOpThreads ONNX Runtime threads per forward pass ({@code intra_op_threads})
     * @param batch          dynamic batching ({@link BatchPolicy#KEYS})
     */
    public record Workers(int perModel, int intraOpThreads, BatchPolicy batch) {
        public static final List<String> KEYS = Stream.concat(Stream.of("default_workers_per_model", "intra_op_threads"),
                BatchPolicy.KEYS.stream()).toList();

        public Workers {
            if (perModel < 1) throw new IllegalArgumentException("default_workers_per_model must be >= 1, got " + perModel);
            if (intraOpThreads < 1) throw new IllegalArgumentException("intra_op_threads must be >= 1, got " + intraOpThreads);
            Objects.requireNonNull(batch, "batch");
        }

        Workers with(Properties p) {
            return new Workers(intOf(p, "default_workers_per_model", perModel), intOf(p, "intra_op_threads", intraOpThreads),
                    batch.withKeys(p::getProperty));
        }
    }

    /**
     * Who may call and what may be loaded.
     *
     * @param authTokenFile file holding a bearer token required on inference and management calls
     *                      ({@code auth_token_file}), or null (no auth)
     * @param allowedUrls   regexes a remote model URL must match to be registered ({@code allowed_urls}; none by default)
     */
    public record Security(Path authTokenFile, List<Pattern> allowedUrls) {
        public static final List<String> KEYS = List.of("auth_token_file", "allowed_urls");

        public Security {
            allowedUrls = List.copyOf(allowedUrls);
        }

        Security with(Properties p, Path base) {
            return new Security(p.containsKey("auth_token_file") ? resolve(base, p.getProperty("auth_token_file")) : authTokenFile,
                    p.containsKey("allowed_urls") ? patterns(p.getProperty("allowed_urls")) : allowedUrls);
        }
    }

    /** Keys understood in config.properties (TorchServe's names, plus a few infer4j ones), besides {@link CaptureConfig#KEYS}. */
    public static final List<String> KEYS = Stream.of(Listeners.KEYS, Models.KEYS, Limits.KEYS, Workers.KEYS, Security.KEYS,
            List.of("precision")).flatMap(List::stream).toList();

    /**
     * Defaults: everything on localhost, the built-in intent model, batches of up to 32, and one worker per core with one
     * ONNX Runtime thread each (what {@code tune} finds fastest on small machines: two single-threaded forward passes
     * beat one two-threaded pass for throughput, and the I/O event loops that run them are one per core).
     */
    public static ServerConfig defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ServerConfig(
                new Listeners(address("127.0.0.1:8080"), address("127.0.0.1:8081"), address("127.0.0.1:8082"), address("127.0.0.1:8083")),
                new Models(null, Map.of("intent", "intent"), null, null),
                new Limits(6_553_500, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(10)),
                new Workers(cores, 1, BatchPolicy.defaults()),
                new Security(null, List.of()),
                CaptureConfig.disabled(), "fp32");
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

    /** This config with the given properties applied (relative paths resolve against {@code base}, or stay relative if null). */
    public ServerConfig with(Properties p, Path base) {
        for (String k : p.stringPropertyNames())
            if (!KEYS.contains(k) && !CaptureConfig.accepts(k))
                throw new IllegalArgumentException("unknown config key '" + k + "'; known keys: " + KEYS + " and " + CaptureConfig.KEYS);
        return new ServerConfig(listeners.with(p), models.with(p, base), limits.with(p), workers.with(p), security.with(p, base),
                capture.with(p, base), p.getProperty("precision", precision).trim());
    }

    public ServerConfig withCapture(CaptureConfig c) {
        return new ServerConfig(listeners, models, limits, workers, security, c, precision);
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

    private static Duration seconds(Properties p, String key, Duration dflt) {
        String v = p.getProperty(key);
        if (v == null) return dflt;
        try {
            return Duration.ofNanos((long) (Double.parseDouble(v.trim()) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number of seconds, got '" + v.trim() + "'");
        }
    }
}
