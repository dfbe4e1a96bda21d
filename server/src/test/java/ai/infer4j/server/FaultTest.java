package ai.infer4j.server;

import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.optimize.GraphBuilder;
import ai.infer4j.engine.optimize.OnnxModels;
import ai.infer4j.engine.optimize.proto.Onnx.TensorProto.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static ai.infer4j.engine.optimize.GraphBuilder.intAttr;
import static ai.infer4j.server.TestServers.get;
import static ai.infer4j.server.TestServers.post;
import static ai.infer4j.server.TestServers.send;
import static org.assertj.core.api.Assertions.assertThat;

class FaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Rows of the brittle model's table: token ids at or above this fail the forward pass. */
    private static final int ROWS = 8000;

    /**
     * A classifier export that loads and warms up fine but fails at inference on any token id >= 8000
     * (a Gather out of range), e.g. for "zebra".
     */
    static Path brittleClassifier(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tokenizer = BackboneFiles.builtin(Path.of("target", "test-cache").toAbsolutePath()).tokenizer();
        Files.copy(tokenizer, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        var model = new GraphBuilder("brittle")
                .input("input_ids", DataType.INT64, "batch", "sequence")
                .input("attention_mask", DataType.INT64, "batch", "sequence")
                .initializer(OnnxModels.floatTensor("table", new long[] {ROWS, 2}, new float[ROWS * 2]))
                .initializer(OnnxModels.int64Tensor("axis1", new long[] {1}, new long[] {1}))
                .node("Gather", List.of("table", "input_ids"), List.of("emb"))
                .node("ReduceSum", List.of("emb", "axis1"), List.of("logits"), intAttr("keepdims", 0))
                .output("logits", DataType.FLOAT, "batch", 2L)
                .build();
        OnnxModels.write(model, dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}}");
        return dir;
    }

    @Test
    void brokenArchiveFailsOnlyThatModelAndSaysWhy(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("broken.mar");
        Files.write(broken, "this is not a zip file".getBytes());
        try (InferenceServer s = TestServers.start(Map.of("load_models", "intent=intent,broken=" + broken))) {
            assertThat(s.failedModels()).containsExactly("broken");
            assertThat(post(s.inferencePort(), "/predictions/intent", "{\"text\": \"hello\"}").statusCode()).isEqualTo(200);
            assertThat(post(s.inferencePort(), "/predictions/broken", "{\"text\": \"hello\"}").statusCode()).isEqualTo(404);
            JsonNode models = JSON.readTree(get(s.managementPort(), "/models").body()).get("models");
            JsonNode failed = null;
            for (JsonNode m : models) if (m.get("modelName").asText().equals("broken")) failed = m;
            assertThat(failed).isNotNull();
            assertThat(failed.get("status").asText()).isEqualTo("FAILED");
            assertThat(failed.get("error").asText()).contains("broken.mar");
            assertThat(JSON.readTree(get(s.managementPort(), "/models/broken").body()).get(0).get("status").asText()).isEqualTo("FAILED");
            assertThat(TestServers.metric(s, "infer4j_model_load_failures_total{model=\"broken\"}")).isEqualTo(1);
        }
    }

    @Test
    void modelThatThrowsAtInferenceFailsOnlyItsRequests(@TempDir Path dir) throws Exception {
        Path brittle = brittleClassifier(dir.resolve("brittle"));
        try (InferenceServer s = TestServers.start(Map.of())) {
            int ip = s.inferencePort();
            var reg = send("POST", s.managementPort(), "/models?url=" + brittle + "&model_name=brittle", null, null);
            assertThat(reg.statusCode()).as(reg.body()).isEqualTo(200);
            assertThat(post(ip, "/predictions/brittle", "{\"text\": \"the model\"}").statusCode()).isEqualTo(200);
            for (int i = 0; i < 5; i++) {
                var bad = post(ip, "/predictions/brittle", "{\"text\": \"zebra\"}");
                assertThat(bad.statusCode()).isEqualTo(500);
                assertThat(JSON.readTree(bad.body()).get("type").asText()).isEqualTo("ModelExecution");
                assertThat(bad.body()).doesNotContain("\tat ");
                assertThat(post(ip, "/predictions/intent", "{\"text\": \"zebra\"}").statusCode()).isEqualTo(200);
            }
            assertThat(post(ip, "/predictions/brittle", "{\"text\": \"the model\"}").statusCode()).isEqualTo(200);
            assertThat(TestServers.metric(s, "infer4j_requests_total{model=\"brittle\",status=\"500\"")).isEqualTo(5);
        }
    }
}
