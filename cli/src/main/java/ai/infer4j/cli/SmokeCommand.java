package ai.infer4j.cli;

import ai.infer4j.server.InferenceServer;
import ai.infer4j.server.config.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * Starts the default server on free loopback ports, calls each API once and stops. A post-install check, and the
 * run the launcher records its class-data-sharing archive from (so that {@code serve} starts with those classes
 * already parsed and verified).
 */
@Command(name = "smoke", mixinStandardHelpOptions = true,
        description = {"Start the default server on free 127.0.0.1 ports, call ping, a TorchServe and a KServe v2",
                "prediction, management and metrics once, then stop. Exit code 0 when every call answered 200."})
final class SmokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Properties p = new Properties();
        p.setProperty("inference_address", "http://127.0.0.1:0");
        p.setProperty("management_address", "http://127.0.0.1:0");
        p.setProperty("metrics_address", "http://127.0.0.1:0");
        p.setProperty("grpc_address", "127.0.0.1:0");
        PrintWriter out = spec.commandLine().getOut();
        List<String> failed = new ArrayList<>();
        try (InferenceServer server = InferenceServer.start(ServerConfig.defaults().with(p, null))) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String inf = "http://127.0.0.1:" + server.inferencePort();
            check(http, failed, get(inf + "/ping"));
            check(http, failed, post(inf + "/predictions/intent", "text/plain", "I lost my card"));
            check(http, failed, post(inf + "/v2/models/intent/infer", "application/json",
                    "{\"inputs\":[{\"name\":\"text\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"what's the weather\"]}]}"));
            check(http, failed, get("http://127.0.0.1:" + server.managementPort() + "/models"));
            check(http, failed, get("http://127.0.0.1:" + server.metricsPort() + "/metrics"));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        out.println(failed.isEmpty() ? "smoke: every API answered 200 (" + ms + " ms)" : "smoke: FAILED " + failed);
        return failed.isEmpty() ? 0 : 1;
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    private static HttpRequest post(String url, String type, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static void check(HttpClient http, List<String> failed, HttpRequest r) {
        try {
            HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) failed.add(r.method() + " " + r.uri().getPath() + " -> " + res.statusCode() + " " + res.body());
        } catch (Exception e) {
            failed.add(r.method() + " " + r.uri().getPath() + " -> " + e);
        }
    }
}
