package ai.infer4j.server;

import ai.infer4j.monitor.capture.CaptureReader;
import ai.infer4j.monitor.capture.Observation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static ai.infer4j.server.TestServers.post;
import static org.assertj.core.api.Assertions.assertThat;

class CaptureServerTest {

    @Test
    void captureAtHundredPercentWritesOneLinePerInputAndReturnsTheEventId(@TempDir Path dir) throws Exception {
        Set<String> ids = new HashSet<>();
        InferenceServer server = TestServers.start(Map.of("capture_percent", "100", "capture_dir", dir.toString(), "drift_window", "10"));
        try {
            int port = server.inferencePort();
            for (int i = 0; i < 30; i++) {
                var r = post(port, "/predictions/intent", "{\"text\": \"what is my account balance " + i + "\"}");
                assertThat(r.statusCode()).isEqualTo(200);
                ids.add(r.headers().firstValue("X-Infer4j-Event-Id").orElseThrow());
            }
            var v2 = post(port, "/v2/models/intent/infer", "{\"inputs\": [{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"play the radio\"]}]}");
            ids.add(v2.headers().firstValue("X-Infer4j-Event-Id").orElseThrow()); // the v2 path is captured too
            var many = post(port, "/predictions/intent", "{\"inputs\": [\"play some jazz\", \"book a flight to paris\"]}");
            String id = many.headers().firstValue("X-Infer4j-Event-Id").orElseThrow();
            ids.add(id + "-0");
            ids.add(id + "-1");
            awaitDriftScore(server);
        } finally {
            server.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> parts = files.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
            assertThat(parts).isNotEmpty().allSatisfy(p -> assertThat(dir.relativize(p).toString())
                    .matches("intent/1/\\d{4}/\\d{2}/\\d{2}/\\d{2}/part-.*\\.jsonl"));
        }
        List<Observation> obs = CaptureReader.read(dir, null, null).observations();
        assertThat(obs).hasSize(33);
        assertThat(obs).extracting(Observation::eventId).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(obs).allSatisfy(o -> {
            assertThat(o.label()).isNotNull();
            assertThat(o.tokens()).isGreaterThan(2);
            assertThat(o.sketch()).hasSize(16);
            assertThat(o.novelty()).isFinite(); // the built-in head's out-of-scope score, carried with each answer
        });
    }

    @Test
    void captureOffByDefaultAddsNoHeader() throws Exception {
        InferenceServer server = TestServers.start(Map.of());
        try {
            var r = post(server.inferencePort(), "/predictions/intent", "{\"text\": \"what is my account balance\"}");
            assertThat(r.headers().firstValue("X-Infer4j-Event-Id")).isEmpty();
        } finally {
            server.close();
        }
    }

    /** The writer thread computes drift scores asynchronously: poll the metrics endpoint with a deadline. */
    private static void awaitDriftScore(InferenceServer s) throws Exception {
        long until = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < until) {
            if (TestServers.metric(s, "infer4j_drift_score{model=\"intent\",signal=\"class_js\"}") > 0
                    || TestServers.get(s.metricsPort(), "/metrics").body().contains("infer4j_drift_score{model=\"intent\"")) return;
            Thread.onSpinWait();
        }
        throw new AssertionError("no infer4j_drift_score for intent within 20 s");
    }
}
