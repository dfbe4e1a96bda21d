package ai.infer4j.server;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.engine.task.Request;
import ai.infer4j.server.registry.ModelRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static ai.infer4j.server.TestServers.get;
import static ai.infer4j.server.TestServers.post;
import static ai.infer4j.server.TestServers.send;
import static org.assertj.core.api.Assertions.assertThat;

class InferenceApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static InferenceServer server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(Map.of("max_request_size", "65536", "max_batch_delay", "5"));
        port = server.inferencePort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void plainTextGetsLabelScoreAndTopScores() throws Exception {
        var r = send("POST", port, "/predictions/intent", "I lost my credit card, what do I do", "text/plain");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = json(r);
        assertThat(j.get("label").asText()).isEqualTo("report_lost_card");
        assertThat(j.get("score").asDouble()).isBetween(0.5, 1.0);
        assertThat(j.get("scores")).hasSize(5);
    }

    @Test
    void headsAllAnswersEveryHeadBesideThePrimaryAnswer() throws Exception {
        JsonNode j = json(post(port, "/predictions/intent?heads=all", "{\"text\": \"what is my account balance\"}"));
        assertThat(j.get("label").asText()).isEqualTo("balance");
        assertThat(j.get("heads").get("intent").get("label").asText()).isEqualTo("balance");
        assertThat(json(post(port, "/predictions/intent", "{\"text\": \"what is my account balance\"}")).has("heads")).isFalse();
    }

    @Test
    void jsonSingleBatchAndVersionedPathsAgree() throws Exception {
        JsonNode one = json(post(port, "/predictions/intent", "{\"text\": \"what is my account balance\"}"));
        JsonNode versioned = json(post(port, "/predictions/intent/1", "{\"text\": \"what is my account balance\"}"));
        JsonNode many = json(post(port, "/predictions/intent", "{\"inputs\": [\"what is my account balance\", {\"text\": \"play some jazz\"}]}"));
        assertThat(one.get("label").asText()).isEqualTo("balance");
        assertThat(versioned.get("label")).isEqualTo(one.get("label"));
        assertThat(many).hasSize(2);
        assertThat(many.get(0).get("label")).isEqualTo(one.get("label"));
        assertThat(many.get(0).get("score").asDouble()).isCloseTo(one.get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void longTextIsTruncatedAndSaysSo() throws Exception {
        JsonNode j = json(post(port, "/predictions/intent", "{\"text\": \"" + "book a flight ".repeat(200) + "\"}"));
        assertThat(j.get("truncated").asBoolean()).isTrue();
    }

    @Test
    void pingAndKServeHealth() throws Exception {
        assertThat(json(get(port, "/ping")).get("status").asText()).isEqualTo("Healthy");
        assertThat(get(port, "/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(get(port, "/v2/health/ready").statusCode()).isEqualTo(200);
        assertThat(json(get(port, "/v2/models/intent/ready")).get("ready").asBoolean()).isTrue();
        JsonNode meta = json(get(port, "/v2/models/intent"));
        assertThat(meta.get("inputs").get(0).get("datatype").asText()).isEqualTo("BYTES");
    }

    @Test
    void kserveInferTakesBytesTensor() throws Exception {
        var r = post(port, "/v2/models/intent/infer",
                "{\"id\": \"r1\", \"inputs\": [{\"name\": \"text\", \"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"book a flight to rome\", \"what time is it\"]}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = json(r);
        assertThat(j.get("id").asText()).isEqualTo("r1");
        assertThat(j.get("outputs").get(0).get("data")).hasSize(2);
        assertThat(j.get("outputs").get(0).get("data").get(0).asText()).isEqualTo("book_flight");
        assertThat(j.get("outputs").get(1).get("datatype").asText()).isEqualTo("FP32");
    }

    @Test
    void everyBadRequestGetsItsStatusAndJsonAndServerStaysHealthy() throws Exception {
        record Case(String method, String path, String body, String type, int status, String says) { }
        List<Case> cases = List.of(
                new Case("POST", "/predictions/intent", "{\"text\": ", "application/json", 400, "malformed JSON"),
                new Case("POST", "/predictions/intent", "{\"txt\": \"hi\"}", "application/json", 400, "\"text\""),
                new Case("POST", "/predictions/intent", "{\"text\": 42}", "application/json", 400, "must be a string"),
                new Case("POST", "/predictions/intent", "{\"inputs\": []}", "application/json", 400, "empty"),
                new Case("POST", "/predictions/intent", "{\"inputs\": [1, 2]}", "application/json", 400, "inputs"),
                new Case("POST", "/predictions/intent", "", "text/plain", 400, "empty"),
                new Case("POST", "/predictions/intent", "   ", "text/plain", 400, "empty"),
                new Case("POST", "/predictions/intent", "[".repeat(200) + "]".repeat(200), "application/json", 400, "malformed JSON"),
                new Case("POST", "/predictions/intent", "x".repeat(30_000), "text/plain", 422, "limit"),
                new Case("POST", "/predictions/intent", "y".repeat(70_000), "text/plain", 413, "max_request_size"),
                new Case("POST", "/predictions/nope", "hi", "text/plain", 404, "not registered"),
                new Case("POST", "/predictions/intent/9", "hi", "text/plain", 404, "no version '9'"),
                new Case("GET", "/predictions/intent", null, null, 405, "POST"),
                new Case("DELETE", "/ping", null, null, 405, "GET"),
                new Case("GET", "/no/such/path", null, null, 404, "no endpoint"),
                new Case("POST", "/v2/models/intent/infer", "{\"inputs\": [{\"datatype\": \"FP32\", \"data\": [1]}]}", "application/json", 400, "BYTES"),
                new Case("POST", "/predictions/intent", "{\"left\": {\"title\": \"a\"}, \"right\": {\"title\": \"b\"}}", "application/json", 400, "not a pair model"));
        for (Case c : cases) {
            var r = send(c.method(), port, c.path(), c.body(), c.type());
            assertThat(r.statusCode()).as(c.toString()).isEqualTo(c.status());
            JsonNode j = json(r);
            assertThat(j.get("code").asInt()).as(c.toString()).isEqualTo(c.status());
            assertThat(j.get("type").asText()).isNotBlank();
            assertThat(j.get("message").asText()).as(c.toString()).contains(c.says()).doesNotContain("Exception").doesNotContain("at ai.");
            assertThat(post(port, "/predictions/intent", "{\"text\": \"hello\"}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void invalidUtf8IsRefused() throws Exception {
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predictions/intent"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'h', (byte) 0xC3, (byte) 0x28, 'i'})).build();
        var r = TestServers.CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("UTF-8");
    }

    /**
     * Every worker slot of the backbone is held by a pass of the test's own until all 64 HTTP requests are queued behind
     * it, so they are certainly concurrent however slowly a loaded machine's client sends them (before, each request
     * could finish before the next arrived: "mean batch size 1.0"). A loop batch is bounded by LOOP_BATCH_NANOS of
     * estimated work but holds two sequences at least, so a sequence estimated over 10 ms (machine load ~9 on 2 cores,
     * or the held passes' own time in the estimate) no longer makes every pass a pass of one.
     */
    @Test
    void concurrentRequestsAreBatchedTogether() throws Exception {
        ModelRegistry.Served served = server.registry().resolve("intent", null);
        BatchScheduler scheduler = served.scheduler();
        double batchesBefore = TestServers.metric(server, "infer4j_batch_size_count");
        double seqBefore = TestServers.metric(server, "infer4j_batch_size_sum");
        CountDownLatch release = new CountDownLatch(1);
        List<ExecutorService> holders = new ArrayList<>();
        List<CompletableFuture<?>> holds = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        try {
            int slots = scheduler.workers();
            for (int i = 0; i < slots; i++) holds.add(holdASlot(scheduler, served.model(), release, holders));
            for (int i = 0; i < 64; i++) {
                var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predictions/intent"))
                        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("query number " + i + " about my bank card")).build();
                all.add(TestServers.CLIENT.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
            }
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (scheduler.queueDepth() < 64 && System.nanoTime() < until) Thread.sleep(2); // waits for the client, not a race
            assertThat(scheduler.queueDepth()).as("requests queued behind the held passes").isEqualTo(64);
            release.countDown();
            for (var f : all) assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            for (var h : holds) h.get(60, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            holders.forEach(ExecutorService::shutdown);
        }
        double batches = TestServers.metric(server, "infer4j_batch_size_count") - batchesBefore - holds.size();
        double seqs = TestServers.metric(server, "infer4j_batch_size_sum") - seqBefore - holds.size();
        assertThat(seqs).isEqualTo(64);
        assertThat(seqs / batches).as("mean batch size").isGreaterThan(1.0);
        assertThat(TestServers.metric(server, "infer4j_requests_total{model=\"intent\",status=\"200\",version=\"1\"}")).isGreaterThanOrEqualTo(64);
        assertThat(TestServers.metric(server, "process_cpu_seconds_total")).isGreaterThan(0);
    }

    /**
     * Submits one sequence straight to {@code scheduler} and keeps its pass from giving the worker slot back until
     * {@code release}: the answer's callback, attached before the pass can run, blocks the thread that runs the pass
     * (a loop of the test's own, or a runner), which still holds the slot. Returns once the slot is held.
     */
    private static CompletableFuture<?> holdASlot(BatchScheduler scheduler, Model model, CountDownLatch release,
                                                  List<ExecutorService> holders) throws Exception {
        ExecutorService loop = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-slot-holder");
            t.setDaemon(true);
            return t;
        });
        holders.add(loop);
        CountDownLatch attached = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        loop.execute(() -> await(attached)); // the pass waits until the callback below is attached
        CompletableFuture<?> held = scheduler.submit(model, model.plan(Request.of("hold the slot")), Duration.ofSeconds(120), loop)
                .thenRun(() -> {
                    holding.countDown();
                    await(release);
                });
        attached.countDown();
        assertThat(holding.await(60, TimeUnit.SECONDS)).as("a pass holds a worker slot").isTrue();
        return held;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("latch not released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
