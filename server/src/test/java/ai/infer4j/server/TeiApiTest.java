package ai.infer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Map;

import static ai.infer4j.server.TestServers.get;
import static ai.infer4j.server.TestServers.post;
import static ai.infer4j.server.TestServers.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** Text Embeddings Inference's routes and OpenAI's /v1/embeddings, as their clients call them, on one real server. */
class TeiApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static InferenceServer server;
    private static int ip;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(Map.of("load_models", "intent=intent,embed=embed"));
        ip = server.inferencePort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode ok(String path, String body) throws Exception {
        var r = post(ip, path, body);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static double norm(JsonNode v) {
        double s = 0;
        for (JsonNode f : v) s += f.asDouble() * f.asDouble();
        return Math.sqrt(s);
    }

    @Test
    void embedAnswersOneNormalisedVectorPerInput() throws Exception {
        JsonNode one = ok("/embed", "{\"inputs\": \"What is Deep Learning?\"}");
        assertThat(one).hasSize(1);
        assertThat(one.get(0).size()).isGreaterThan(100);
        assertThat(norm(one.get(0))).isCloseTo(1.0, offset(1e-3));
        JsonNode two = ok("/embed", "{\"inputs\": [\"What is Deep Learning?\", \"a recipe for pancakes\"], \"normalize\": true}");
        assertThat(two).hasSize(2);
        assertThat(two.get(0).get(5).asDouble()).isCloseTo(one.get(0).get(5).asDouble(), offset(1e-4));
        var notNormalised = post(ip, "/embed", "{\"inputs\": \"x\", \"normalize\": false}");
        assertThat(notNormalised.statusCode()).isEqualTo(400);
        assertThat(notNormalised.body()).contains("normalize");
        assertThat(post(ip, "/embed", "{\"inputs\": [1, 2]}").statusCode()).isEqualTo(400);
        assertThat(post(ip, "/embed", "{\"inputs\": []}").statusCode()).isEqualTo(400);
        assertThat(post(ip, "/embed?model=intent", "{\"inputs\": \"x\"}").statusCode()).isEqualTo(400);
        assertThat(TestServers.metric(server, "infer4j_requests_total{model=\"embed\",status=\"200\"")).as("same metrics as /predictions").isGreaterThan(0);
    }

    @Test
    void openAiEmbeddingsHaveDataModelAndUsage() throws Exception {
        JsonNode r = ok("/v1/embeddings", "{\"input\": [\"What is Deep Learning?\", \"pancakes\"], \"model\": \"embed\"}");
        assertThat(r.get("object").asText()).isEqualTo("list");
        assertThat(r.get("model").asText()).isEqualTo("embed");
        assertThat(r.get("data")).hasSize(2);
        assertThat(r.at("/data/1/index").asInt()).isEqualTo(1);
        assertThat(r.at("/data/0/object").asText()).isEqualTo("embedding");
        assertThat(r.at("/usage/prompt_tokens").asInt()).isGreaterThan(2);
        assertThat(r.at("/usage/total_tokens").asInt()).isEqualTo(r.at("/usage/prompt_tokens").asInt());
        JsonNode tei = ok("/embed", "{\"inputs\": \"What is Deep Learning?\"}");
        assertThat(r.at("/data/0/embedding/7").asDouble()).isCloseTo(tei.at("/0/7").asDouble(), offset(1e-4));
        JsonNode b64 = ok("/v1/embeddings", "{\"input\": \"What is Deep Learning?\", \"model\": \"embed\", \"encoding_format\": \"base64\"}");
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64.at("/data/0/embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(buf.remaining() / 4).isEqualTo(tei.get(0).size());
        assertThat((double) buf.getFloat(7 * 4)).isCloseTo(tei.at("/0/7").asDouble(), offset(1e-4));
        assertThat(post(ip, "/v1/embeddings", "{\"input\": \"x\", \"model\": \"text-embedding-3-small\"}").statusCode()).isEqualTo(404);
        assertThat(post(ip, "/v1/embeddings", "{\"input\": \"x\", \"model\": \"intent\"}").statusCode()).isEqualTo(400);
        assertThat(post(ip, "/v1/embeddings", "{\"input\": [[101, 102]]}").statusCode()).isEqualTo(400);
    }

    @Test
    void predictAnswersEveryLabelBestFirst() throws Exception {
        JsonNode one = ok("/predict", "{\"inputs\": \"I lost my credit card, what do I do\"}");
        assertThat(one.get(0).get("label").asText()).isEqualTo("report_lost_card");
        assertThat(one.size()).isGreaterThan(5);
        assertThat(one.get(0).get("score").asDouble()).isGreaterThanOrEqualTo(one.get(1).get("score").asDouble());
        // as in TEI, a list of exactly two strings is one text pair; three strings are three inputs
        JsonNode many = ok("/predict", "{\"inputs\": [\"I lost my credit card, what do I do\", \"what is my account balance\", \"play some jazz\"]}");
        assertThat(many).hasSize(3);
        assertThat(many.get(1).get(0).get("label").asText()).isEqualTo("balance");
        assertThat(post(ip, "/predict", "{\"inputs\": \"x\", \"raw_scores\": true}").statusCode()).isEqualTo(400);
        assertThat(post(ip, "/predict", "{}").statusCode()).isEqualTo(400);
    }

    @Test
    void rerankAndSimilarityPutTheRelevantTextFirst() throws Exception {
        String texts = "[\"The weather in Paris is sunny today\", \"Deep learning is a branch of machine learning using neural networks\", \"Pancakes need flour and eggs\"]";
        JsonNode ranked = ok("/rerank", "{\"query\": \"What is Deep Learning?\", \"texts\": " + texts + ", \"return_text\": true}");
        assertThat(ranked).hasSize(3);
        assertThat(ranked.get(0).get("index").asInt()).isEqualTo(1);
        assertThat(ranked.get(0).get("text").asText()).startsWith("Deep learning");
        assertThat(ranked.get(0).get("score").asDouble()).isGreaterThan(ranked.get(2).get("score").asDouble());
        JsonNode sims = ok("/similarity", "{\"inputs\": {\"source_sentence\": \"What is Deep Learning?\", \"sentences\": " + texts + "}}");
        assertThat(sims).hasSize(3);
        assertThat(sims.get(1).asDouble()).isGreaterThan(sims.get(0).asDouble()).isGreaterThan(sims.get(2).asDouble());
        assertThat(sims.get(1).asDouble()).isCloseTo(ranked.get(0).get("score").asDouble(), offset(1e-4));
        assertThat(post(ip, "/rerank", "{\"texts\": [\"a\"]}").statusCode()).isEqualTo(400);
        assertThat(post(ip, "/similarity", "{\"inputs\": {\"sentences\": [\"a\"]}}").statusCode()).isEqualTo(400);
    }

    @Test
    void infoDescribesTheDefaultEmbeddingModelAndMissingModelsSayHowToLoadOne() throws Exception {
        JsonNode info = JSON.readTree(get(ip, "/info").body());
        assertThat(info.get("model_id").asText()).isEqualTo("embed");
        assertThat(info.at("/model_type/embedding/pooling").asText()).isEqualTo("mean");
        assertThat(info.get("max_input_length").asInt()).isGreaterThan(0);
        JsonNode intent = JSON.readTree(get(ip, "/info?model=intent").body());
        assertThat(intent.at("/model_type/classifier/id2label/0").isTextual()).isTrue();

        int mp = server.managementPort();
        assertThat(send("DELETE", mp, "/models/embed", null, null).statusCode()).isEqualTo(200);
        try {
            var none = post(ip, "/embed", "{\"inputs\": \"x\"}");
            assertThat(none.statusCode()).isEqualTo(404);
            assertThat(none.body()).contains("load_models=embed");
        } finally {
            assertThat(send("POST", mp, "/models?url=embed", null, null).statusCode()).isEqualTo(200);
        }
    }
}
