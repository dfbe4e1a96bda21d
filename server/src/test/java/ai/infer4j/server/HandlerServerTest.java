package ai.infer4j.server;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static ai.infer4j.server.TestServers.post;
import static ai.infer4j.server.TestServers.send;
import static org.assertj.core.api.Assertions.assertThat;

/** Custom handlers behind the HTTP APIs: refusal at registration, a throwing handler, a slow one, and their metrics. */
class HandlerServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMPORTS = "import ai.infer4j.engine.handler.Handler; import ai.infer4j.engine.task.*; "
            + "import ai.infer4j.engine.input.TextInput; import java.util.*;\n";
    private static final String BOOM = "package t; " + IMPORTS + """
            public final class Boom implements Handler {
                public String name() { return "boom"; }
                public Request before(Request r, Context c) {
                    if (r instanceof Request.Texts t && t.inputs().get(0).text().contains("boom")) throw new IllegalStateException("secret detail");
                    return r;
                }
            }""";
    private static final String SLOW = "package t; " + IMPORTS + """
            public final class Slow implements Handler {
                public String name() { return "slow"; }
                public Request before(Request r, Context c) {
                    if (r instanceof Request.Texts t && t.inputs().get(0).text().contains("slow")) {
                        try { Thread.sleep(60_000); } catch (InterruptedException e) { throw new IllegalStateException("interrupted"); }
                    }
                    return r;
                }
            }""";

    private static InferenceServer server;
    private static Path dir;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        dir = tmp;
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        PluginJars.build(plugins.resolve("test-handlers.jar"), Map.of("t.Boom", BOOM, "t.Slow", SLOW), List.of("t.Boom", "t.Slow"));
        server = TestServers.start(Map.of("plugins_dir", plugins.toString(), "default_response_timeout", "3",
                "load_models", "boomy=" + archive("boomy", "boom") + ",slowpoke=" + archive("slowpoke", "slow")));
        assertThat(server.failedModels()).isEmpty();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Path archive(String name, String handler) {
        Path head = dir.resolve("intent-head.json");
        HeadFiles.write(Engine.builtinHead("intent"), head);
        Path mar = dir.resolve(name + ".mar");
        ModelArchive.write(new Manifest(name, "1", "classify", handler, BackboneFiles.BUILTIN, List.of("heads/intent.json"), 128, Map.of(), Map.of()),
                null, Map.of("heads/intent.json", head), mar);
        return mar;
    }

    @Test
    void registeringAnArchiveWithAnUnknownHandlerIs400ListingTheInstalledOnes() throws Exception {
        Path mar = archive("titles", "title-normaliser");
        var r = send("POST", server.managementPort(), "/models?url=" + mar + "&model_name=titles", null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("'title-normaliser', which is not installed")
                .contains("[boom, slow]").contains("never loads handler code");
    }

    @Test
    void aThrowingHandlerIsA500WithAnIncidentIdAndTheServerKeepsServing() throws Exception {
        int port = server.inferencePort();
        for (String path : List.of("/predictions/boomy", "/v2/models/boomy/infer")) {
            String body = path.startsWith("/v2") ? "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"boom\"]}]}"
                    : "{\"text\": \"boom\"}";
            var r = post(port, path, body);
            assertThat(r.statusCode()).as(path).isEqualTo(500);
            JsonNode err = JSON.readTree(r.body());
            assertThat(err.get("type").asText()).isEqualTo("HandlerFailed");
            assertThat(err.get("message").asText()).contains("handler 'boom' failed in before()").containsPattern("incident [0-9a-f]+");
            assertThat(r.body()).doesNotContain("secret detail").doesNotContain("IllegalStateException").doesNotContain("at t.Boom");
        }
        assertThat(post(port, "/predictions/boomy", "{\"text\": \"what is my balance\"}").statusCode()).isEqualTo(200);
        assertThat(TestServers.metric(server, "infer4j_handler_seconds_count{handler=\"boom\",phase=\"before\"}")).isGreaterThanOrEqualTo(3);
        assertThat(TestServers.metric(server, "infer4j_handler_seconds_count{handler=\"boom\",phase=\"after\"}")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aSlowHandlerIsAnswered503AtTheDeadlineAndTheServerKeepsServing() throws Exception {
        int port = server.inferencePort();
        long t0 = System.nanoTime();
        var r = post(port, "/predictions/slowpoke", "{\"text\": \"slow please\"}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("handler 'slow' did not finish before()");
        assertThat(post(port, "/predictions/slowpoke", "{\"text\": \"play some jazz\"}").statusCode()).isEqualTo(200);
    }
}
