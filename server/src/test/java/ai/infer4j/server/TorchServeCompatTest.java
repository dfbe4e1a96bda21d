package ai.infer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static ai.infer4j.server.TestServers.get;
import static ai.infer4j.server.TestServers.send;
import static org.assertj.core.api.Assertions.assertThat;

/** TorchServe's documented calls, as its clients make them, against one real server (see docs/compat.md). */
class TorchServeCompatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path store;
    private static InferenceServer server;
    private static int ip;
    private static int mp;

    @BeforeAll
    static void start() throws Exception {
        TestServers.intentArchive(store, "noop", "1.0");
        TestServers.intentArchive(store, "noop", "2.0");
        TestServers.intentArchive(store, "other", "1.0");
        server = TestServers.start(Map.of("model_store", store.toString()));
        ip = server.inferencePort();
        mp = server.managementPort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** The body {@code curl -F data=@file} sends: a multipart form with one file part per {@code -F}. */
    private static HttpResponse<String> multipart(String path, String... parts) throws Exception {
        String boundary = "------------------------d74496d66958873e";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            b.append("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"data").append(i == 0 ? "" : i).append("\"; filename=\"query").append(i).append(".txt\"\r\n")
                    .append("Content-Type: text/plain\r\n\r\n").append(parts[i]).append("\r\n");
        }
        b.append("--").append(boundary).append("--\r\n");
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ip + path))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(b.toString(), StandardCharsets.UTF_8)).build();
        return TestServers.CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void multipartUploadIsClassifiedByItsContentNotItsEnvelope() throws Exception {
        var one = multipart("/predictions/intent", "I lost my credit card, what do I do");
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        assertThat(json(one).get("label").asText()).isEqualTo("report_lost_card");
        var two = multipart("/predictions/intent", "I lost my credit card, what do I do", "what is my account balance");
        assertThat(json(two)).hasSize(2);
        assertThat(json(two).get(1).get("label").asText()).isEqualTo("balance");
        var bad = send("POST", ip, "/predictions/intent", "--x\r\nnot a form", "multipart/form-data; boundary=x");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("message").asText()).contains("multipart");
    }

    @Test
    void putPredictionsAndRawBodies() throws Exception {
        var put = send("PUT", ip, "/predictions/intent", "I lost my credit card, what do I do", "application/octet-stream");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(json(put).get("label").asText()).isEqualTo("report_lost_card");
    }

    @Test
    void optionsDescribesBothApisInOpenApi() throws Exception {
        JsonNode inf = json(send("OPTIONS", ip, "/", null, null));
        assertThat(inf.get("openapi").asText()).isEqualTo("3.0.1");
        assertThat(inf.get("paths").has("/predictions/{model_name}")).isTrue();
        JsonNode man = json(send("OPTIONS", mp, "/", null, null));
        assertThat(man.get("paths").has("/models/{model_name}/all")).isTrue();
        assertThat(json(get(ip, "/api-description"))).isEqualTo(inf);
    }

    @Test
    void explanationsAreAClear501() throws Exception {
        var r = send("POST", ip, "/explanations/intent", "hi", "text/plain");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(json(r).get("message").asText()).contains("not supported");
    }

    @Test
    void describeVersionsAllVersionsAndMissingVersion() throws Exception {
        register("noop-1.0.mar");
        register("noop-2.0.mar");
        try {
            JsonNode all = json(get(mp, "/models/noop/all"));
            assertThat(all).extracting(n -> n.get("modelVersion").asText()).containsExactly("1.0", "2.0");
            JsonNode dflt = json(get(mp, "/models/noop"));
            assertThat(dflt).hasSize(1);
            assertThat(dflt.get(0).get("modelVersion").asText()).isEqualTo("1.0");
            for (String field : new String[] {"modelName", "modelUrl", "runtime", "minWorkers", "maxWorkers", "batchSize", "maxBatchDelay", "workers", "jobQueueStatus"})
                assertThat(dflt.get(0).has(field)).as(field).isTrue();
            assertThat(dflt.get(0).get("jobQueueStatus").has("remainingCapacity")).isTrue();
            assertThat(get(mp, "/models/noop/0.0").statusCode()).isEqualTo(404);
            assertThat(send("PUT", mp, "/models/noop/2.0/set-default", null, null).statusCode()).isEqualTo(200);
            assertThat(json(get(mp, "/models/noop")).get(0).get("modelVersion").asText()).isEqualTo("2.0");
        } finally {
            send("DELETE", mp, "/models/noop", null, null);
        }
    }

    @Test
    void registeringAnExistingVersionIs409AndTheLiveModelStaysReady() throws Exception {
        register("other-1.0.mar");
        try {
            var again = send("POST", mp, "/models?url=other-1.0.mar", null, null);
            assertThat(again.statusCode()).isEqualTo(409);
            JsonNode list = json(get(mp, "/models"));
            assertThat(list.get("models")).filteredOn(n -> n.get("modelName").asText().equals("other"))
                    .singleElement().satisfies(n -> assertThat(n.get("status").asText()).isEqualTo("READY"));
            assertThat(json(get(mp, "/models/other")).get(0).get("status").asText()).isEqualTo("READY");
            assertThat(get(mp, "/models/other/9.9").statusCode()).isEqualTo(404);
            assertThat(send("POST", ip, "/predictions/other", "what is my account balance", "text/plain").statusCode()).isEqualTo(200);
        } finally {
            send("DELETE", mp, "/models/other", null, null);
        }
    }

    @Test
    void scalingAnswers202Or200AndChecksTheRange() throws Exception {
        String m = "/models/intent";
        var async = send("PUT", mp, m + "?min_worker=2", null, null);
        assertThat(async.statusCode()).isEqualTo(202);
        assertThat(json(async).get("status").asText()).isEqualTo("Processing worker updates...");
        var sync = send("PUT", mp, m + "?min_worker=1&max_worker=3&synchronous=true", null, null);
        assertThat(sync.statusCode()).isEqualTo(200);
        assertThat(json(sync).get("status").asText()).isEqualTo("Workers scaled to 1 for model: intent");
        JsonNode d = json(get(mp, m)).get(0);
        assertThat(d.get("minWorkers").asInt()).isEqualTo(1);
        assertThat(d.get("maxWorkers").asInt()).isEqualTo(3);
        assertThat(d.get("workers")).hasSize(1);
        assertThat(send("PUT", mp, m, null, null).statusCode()).isEqualTo(202);
        assertThat(send("PUT", mp, m + "?number_gpu=1", null, null).statusCode()).isEqualTo(202);
        assertThat(send("PUT", mp, m + "?timeout=0", null, null).statusCode()).isEqualTo(202);
        var range = send("PUT", mp, m + "?min_worker=2&max_worker=1", null, null);
        assertThat(range.statusCode()).isEqualTo(400);
        assertThat(json(range).get("message").asText()).contains("max_worker");
        assertThat(send("PUT", mp, m + "?max_worker=-1", null, null).statusCode()).isEqualTo(400);
        assertThat(send("PUT", mp, m + "?min_worker=-1", null, null).statusCode()).isEqualTo(400);
        assertThat(send("PUT", mp, m + "/1?min_worker=1&synchronous=true", null, null).statusCode()).isEqualTo(200);
        assertThat(send("PUT", mp, m + "/0.0?min_worker=1&synchronous=true", null, null).statusCode()).isEqualTo(404);
        assertThat(send("PUT", mp, "/models/nope?min_worker=1", null, null).statusCode()).isEqualTo(404);
        var zero = send("PUT", mp, m + "?min_worker=0", null, null);
        assertThat(zero.statusCode()).isEqualTo(202);
        assertThat(json(get(mp, m)).get(0).get("minWorkers").asInt()).isEqualTo(0);
        assertThat(send("POST", ip, "/predictions/intent", "what is my account balance", "text/plain").statusCode())
                .as("scaled to zero, one idle worker still answers").isEqualTo(200);
        assertThat(send("PUT", mp, m + "?min_worker=1&synchronous=true", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void registrationChecksRuntimeUrlAndNumbers() throws Exception {
        var runtime = send("POST", mp, "/models?url=noop-1.0.mar&runtime=python4", null, null);
        assertThat(runtime.statusCode()).isEqualTo(400);
        assertThat(json(runtime).get("message").asText()).contains("runtime");
        assertThat(send("POST", mp, "/models", null, null).statusCode()).isEqualTo(400);
        assertThat(send("POST", mp, "/models?url=&model_name=x", null, null).statusCode()).isEqualTo(404);
        assertThat(send("POST", mp, "/models?url=noop-1.0.mar&batch_size=dd", null, null).statusCode()).isEqualTo(400);
        assertThat(send("POST", mp, "/models?url=noop-1.0.mar&batch_size=0", null, null).statusCode()).isEqualTo(400);
        assertThat(send("POST", mp, "/models?url=noop-1.0.mar&initial_workers=-1", null, null).statusCode()).isEqualTo(400);
        assertThat(json(get(mp, "/models")).get("models")).noneMatch(n -> n.get("status").asText().equals("FAILED"));
    }

    @Test
    void listIsPaginatedWithLimitAndNextPageToken() throws Exception {
        register("other-1.0.mar");
        try {
            JsonNode first = json(get(mp, "/models?limit=1"));
            assertThat(first.get("models")).hasSize(1);
            assertThat(first.get("nextPageToken").asText()).isEqualTo("1");
            JsonNode second = json(get(mp, "/models?limit=1&next_page_token=1"));
            assertThat(second.get("models").get(0).get("modelName").asText()).isNotEqualTo(first.get("models").get(0).get("modelName").asText());
            assertThat(second.has("nextPageToken")).isFalse();
            assertThat(json(get(mp, "/models?limit=&next_page_token=")).get("models")).hasSize(2);
            assertThat(json(get(mp, "/models?limit=-1")).get("models")).hasSize(2);
            assertThat(json(get(mp, "/models?next_page_token=12")).get("models")).isEmpty();
            assertThat(get(mp, "/models?limit=x").statusCode()).isEqualTo(400);
        } finally {
            send("DELETE", mp, "/models/other", null, null);
        }
    }

    private static void register(String mar) throws Exception {
        var r = send("POST", mp, "/models?url=" + mar, null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
}
