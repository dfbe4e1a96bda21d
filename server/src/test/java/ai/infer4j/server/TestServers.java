package ai.infer4j.server;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.server.config.ServerConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Starts real servers on free ports and talks HTTP to them. */
final class TestServers {
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServers() {
    }

    /** A server on ephemeral ports with the built-in intent model and the given config.properties keys. */
    static InferenceServer start(Map<String, String> props) throws Exception {
        return InferenceServer.start(config(props));
    }

    /** The config of {@link #start}: ephemeral ports, the built-in intent model, and the given config.properties keys. */
    static ServerConfig config(Map<String, String> props) {
        Properties p = new Properties();
        p.setProperty("inference_address", "127.0.0.1:0");
        p.setProperty("management_address", "127.0.0.1:0");
        p.setProperty("metrics_address", "127.0.0.1:0");
        p.setProperty("grpc_address", "127.0.0.1:0");
        p.setProperty("intra_op_threads", "2");
        p.setProperty("cache_dir", Path.of("target", "test-cache").toAbsolutePath().toString());
        p.putAll(props);
        return ServerConfig.defaults().with(p, null);
    }

    /**
     * Waits (at most 5 s) until the server has counted every admitted request. It counts a request (metrics, in flight)
     * just after writing the answer, so a client can read the answer a moment before the count moves; a request that
     * is never counted still fails the caller's assertion.
     */
    static void awaitCounted(InferenceServer s) {
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (s.inFlight() > 0 && System.nanoTime() < until) Thread.yield();
    }

    /** An archive serving the built-in intent head under {@code name}/{@code version}. */
    static Path intentArchive(Path dir, String name, String version) {
        Path head = dir.resolve("intent-head.json");
        HeadFiles.write(Engine.builtinHead("intent"), head);
        Path mar = dir.resolve(name + "-" + version + ".mar");
        ModelArchive.write(new Manifest(name, version, "classify", "classify", BackboneFiles.BUILTIN, List.of("heads/intent.json"),
                128, Map.of(), Map.of()), null, Map.of("heads/intent.json", head), mar);
        return mar;
    }

    static HttpResponse<String> send(String method, int port, String path, String body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return send("POST", port, path, body, "application/json");
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return send("GET", port, path, null, null);
    }

    /** The value of one sample line of the Prometheus text, e.g. {@code infer4j_batch_size_sum{backbone="x"}}; 0 if absent. */
    static double metric(InferenceServer s, String prefix) throws Exception {
        String text = get(s.metricsPort(), "/metrics").body();
        double sum = 0;
        for (String line : text.split("\n"))
            if (line.startsWith(prefix)) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        return sum;
    }
}
