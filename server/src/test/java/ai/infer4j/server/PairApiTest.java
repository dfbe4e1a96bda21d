package ai.infer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static ai.infer4j.server.TestServers.post;
import static org.assertj.core.api.Assertions.assertThat;

class PairApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void pairModelAnswersRecordPairsAndSharesTheBackboneWithIntent() throws Exception {
        try (InferenceServer s = TestServers.start(Map.of("load_models", "intent=intent,duplicate=duplicate"))) {
            int ip = s.inferencePort();
            String same = "{\"left\": {\"title\": \"apple iphone 13 128gb blue\", \"brand\": \"apple\", \"price\": \"799\"},"
                    + " \"right\": {\"title\": \"iphone 13 (128 gb) - blue\", \"brand\": \"apple\", \"price\": \"799.00\"}}";
            String different = "{\"left\": {\"title\": \"apple iphone 13 128gb blue\", \"brand\": \"apple\", \"price\": \"799\"},"
                    + " \"right\": {\"title\": \"logitech mx master 3 wireless mouse\", \"brand\": \"logitech\", \"price\": \"99\"}}";
            JsonNode a = JSON.readTree(post(ip, "/predictions/duplicate", same).body());
            JsonNode b = JSON.readTree(post(ip, "/predictions/duplicate", different).body());
            assertThat(a.get("score").asDouble()).isGreaterThan(b.get("score").asDouble());
            assertThat(b.get("label").asText()).isEqualTo("different");
            assertThat(b.get("duplicate").asBoolean()).isFalse();
            assertThat(a.has("threshold")).isTrue();

            JsonNode many = JSON.readTree(post(ip, "/predictions/duplicate", "{\"inputs\": [" + same + ", " + different + "]}").body());
            assertThat(many).hasSize(2);
            assertThat(many.get(0).get("score").asDouble()).isCloseTo(a.get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-4));

            JsonNode texts = JSON.readTree(post(ip, "/predictions/duplicate", "{\"text\": \"sony wh-1000xm4 headphones\", \"text_pair\": \"sony wh1000xm4 noise cancelling headphones\"}").body());
            assertThat(texts.get("score").asDouble()).isBetween(0.0, 1.0);

            var noPair = post(ip, "/predictions/duplicate", "{\"text\": \"just one text\"}");
            assertThat(noPair.statusCode()).isEqualTo(400);
            assertThat(noPair.body()).contains("text_pair");
            var recordsToIntent = post(ip, "/predictions/intent", same);
            assertThat(recordsToIntent.statusCode()).isEqualTo(400);
            assertThat(recordsToIntent.body()).contains("not a pair model");
            assertThat(post(ip, "/predictions/duplicate", "{\"left\": {\"title\": \"x\"}}").statusCode()).isEqualTo(400);
            JsonNode v2 = JSON.readTree(post(ip, "/v2/models/duplicate/infer", "{\"inputs\": ["
                    + "{\"name\": \"text\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"sony wh-1000xm4 headphones\"]},"
                    + "{\"name\": \"text_pair\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"sony wh1000xm4 noise cancelling headphones\"]}]}").body());
            assertThat(v2.at("/outputs/1/data/0").asDouble()).isCloseTo(texts.get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
            assertThat(v2.at("/outputs/0/data/0").asText()).isEqualTo(texts.get("label").asText());
            // both models run on the one embedded backbone: one scheduler, one set of workers
            assertThat(s.registry().resolve("intent", null).scheduler()).isSameAs(s.registry().resolve("duplicate", null).scheduler());
        }
    }
}
