package ai.infer4j.cli;

import ai.infer4j.engine.backbone.OrtRuntime;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.server.InferenceServer;
import ai.infer4j.server.config.ServerConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Runs the server until SIGTERM/SIGINT, then drains and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over TorchServe-compatible inference, management and metrics APIs.",
                "With no arguments: the built-in 'intent' model on http://127.0.0.1:8080."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", description = "config.properties (TorchServe key names)")
    Path config;

    @Option(names = "--inference-address", description = "host:port (default 127.0.0.1:8080)")
    String inferenceAddress;

    @Option(names = "--management-address", description = "host:port (default 127.0.0.1:8081)")
    String managementAddress;

    @Option(names = "--metrics-address", description = "host:port (default 127.0.0.1:8082)")
    String metricsAddress;

    @Option(names = "--models", split = ",", description = "name=path|builtin ... (default: intent=intent)")
    List<String> models;

    @Option(names = "--model-store", description = "directory that relative model paths resolve against")
    Path modelStore;

    @Option(names = "--plugins-dir", description = "directory of custom handler jars that archives may name (default: none)")
    Path pluginsDir;

    @Mixin
    BatchFlags batching;

    @Option(names = "--capture-dir", description = "capture sampled requests as JSON lines under DIR (default ./capture)")
    Path captureDir;

    @Option(names = "--capture-percent", split = ",", description = "share of requests to capture, 0-100; MODEL=P sets one model's share")
    List<String> capturePercent;

    @Option(names = "--auth-token-file", description = "require 'Authorization: Bearer <token>' (token = first line of this file)")
    Path authTokenFile;

    @Option(names = "--grpc-address", description = "KServe v2 gRPC host:port (default 127.0.0.1:8083; 'off' for none)")
    String grpcAddress;

    @Option(names = "--precision", description = "fp32, or int8: serve each model's gate-passed NAME-int8.mar (model store or beside the model) as its default version")
    String precision;

    @Override
    public Integer call() throws Exception {
        ServerConfig c = config != null ? ServerConfig.load(config) : ServerConfig.defaults();
        c = c.with(flagKeys(), null);
        if (captureDir != null || capturePercent != null) c = c.withCapture(MonitorCommand.captureFlags(c.capture(), captureDir, capturePercent));
        // gRPC and metrics listeners after the first answer (ports held from the start): a new server's first request
        // does not share the cores with starting them
        InferenceServer server = InferenceServer.start(c, InferenceServer.Listeners.LATE);
        Thread stopper = new Thread(server::close, "infer4j-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        Signals.onTerminate(() -> {
            server.close();
            System.exit(0);
        });
        System.err.printf("infer4j serving %s on http://127.0.0.1:%d (management :%d, metrics :%d/metrics); Ctrl-C to stop%n",
                server.registry().names(), server.inferencePort(), server.managementPort(), server.metricsPort());
        server.awaitShutdown();
        return 0;
    }

    /**
     * Starts loading ONNX Runtime's native library (~22 MB, ~0.1 s of a start) on a daemon thread, so that it overlaps
     * the server's construction instead of following it. It uses the cache directory the server will use (the
     * {@code config} file's {@code cache_dir}, read on that thread, else the engine's default); the server's own call
     * then finds the environment ready. Any failure is left for the server to meet and report.
     */
    static void preloadRuntime(Path config) {
        Thread t = new Thread(() -> {
            try {
                Path configured = config == null ? null : ServerConfig.load(config).models().cacheDir();
                OrtRuntime.environment(configured != null ? configured : EngineOptions.defaults().cacheDir());
            } catch (RuntimeException | Error e) {
                // the server loads it again and reports what is wrong
            }
        }, "infer4j-runtime-preload");
        t.setDaemon(true);
        t.start();
        // slf4j's start (its provider, its date format's calendar and locale data) on a third thread: before, the
        // runtime thread did it before loading the library (OrtRuntime's logger), and the session waited for both.
        // Threads that ask for a logger meanwhile get slf4j's substitute loggers, which delegate once it is up.
        Thread logging = new Thread(LoggerFactory::getILoggerFactory, "infer4j-logging-preload");
        logging.setDaemon(true);
        logging.start();
    }

    /** The flags given, as the config.properties keys they override (so both are read by the same code). */
    private Properties flagKeys() {
        Properties p = new Properties();
        put(p, "inference_address", inferenceAddress);
        put(p, "management_address", managementAddress);
        put(p, "metrics_address", metricsAddress);
        put(p, "grpc_address", grpcAddress);
        put(p, "load_models", models == null ? null : String.join(",", models));
        put(p, "model_store", modelStore);
        put(p, "plugins_dir", pluginsDir);
        p.putAll(batching.keys());
        put(p, "auth_token_file", authTokenFile);
        put(p, "precision", precision);
        return p;
    }

    private static void put(Properties p, String key, Object value) {
        if (value != null) p.setProperty(key, value.toString());
    }
}
