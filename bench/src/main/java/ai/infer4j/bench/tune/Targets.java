package ai.infer4j.bench.tune;

import ai.infer4j.bench.load.HttpTarget;
import ai.infer4j.bench.load.InProcessTarget;
import ai.infer4j.bench.record.Outcome;
import ai.infer4j.bench.load.Target;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.server.InferenceServer;
import ai.infer4j.server.config.ServerConfig;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/** The two real ways to serve a configuration: the engine in-process, or an infer4j server started in this JVM. */
public final class Targets {
    private Targets() {
    }

    /** The engine behind a {@code BatchScheduler}, no HTTP. */
    public static TargetFactory inProcess(Duration timeout) {
        return c -> new InProcessTarget(c.variant(), c.workers(), c.intraOpThreads(),
                BatchPolicy.defaults().withKeys(c.batchKeys()::get), timeout);
    }

    /**
     * An infer4j server on free loopback ports with these settings (TorchServe keys), loaded with the variant as model
     * {@code bench}; requests go to {@code /predictions/bench} over keep-alive HTTP.
     *
     * @param cacheDir where archives are extracted, or null for the engine default
     */
    public static TargetFactory server(Duration timeout, int maxConnections, Path cacheDir) {
        return c -> {
            Properties p = new Properties();
            p.setProperty("inference_address", "127.0.0.1:0");
            p.setProperty("management_address", "127.0.0.1:0");
            p.setProperty("metrics_address", "127.0.0.1:0");
            p.setProperty("load_models", "bench=" + c.variant());
            p.setProperty("default_workers_per_model", "" + c.workers());
            p.setProperty("intra_op_threads", "" + c.intraOpThreads());
            p.putAll(c.batchKeys());
            p.setProperty("default_response_timeout", "" + Math.max(1, timeout.toSeconds()));
            if (cacheDir != null) p.setProperty("cache_dir", cacheDir.toAbsolutePath().toString());
            InferenceServer server = InferenceServer.start(ServerConfig.defaults().with(p, null));
            if (!server.failedModels().isEmpty()) {
                server.close();
                throw new IllegalArgumentException("the server could not load model variant '" + c.variant() + "'");
            }
            HttpTarget http = new HttpTarget(URI.create("http://127.0.0.1:" + server.inferencePort() + "/predictions/bench"),
                    HttpTarget.Api.TORCHSERVE, timeout, maxConnections);
            return new ServerTarget(server, http, c);
        };
    }

    /** An HTTP target that also owns the server it talks to. */
    private record ServerTarget(InferenceServer server, HttpTarget http, TuneConfig config) implements Target {
        @Override
        public CompletableFuture<Outcome> send(String input) {
            return http.send(input);
        }

        @Override
        public String describe() {
            return "infer4j server (" + config.label() + ") " + http.describe();
        }

        @Override
        public void close() {
            http.close();
            server.close();
        }
    }
}
