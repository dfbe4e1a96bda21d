package ai.infer4j.server;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.optimize.Optimizer;
import ai.infer4j.engine.task.HeadFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PrecisionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An archive whose manifest says what {@code infer4j optimize} would: INT8, with the gate's verdict. */
    private static void variant(Path store, boolean gatePassed) {
        Path head = store.resolve("head.json");
        HeadFiles.write(Engine.builtinHead("intent"), head);
        Map<String, JsonNode> extra = Map.of(Optimizer.PRECISION, JSON.valueToTree("int8"),
                Optimizer.OPTIMIZATION, JSON.createObjectNode().put("level", "extended"),
                Optimizer.PARITY, JSON.createObjectNode().put("passed", gatePassed));
        ModelArchive.write(new Manifest("intent", "1-int8", "classify", "classify", BackboneFiles.BUILTIN, List.of("heads/intent.json"),
                128, Map.of(), extra), null, Map.of("heads/intent.json", head), store.resolve("intent-int8.mar"));
    }

    @Test
    void int8VariantWhoseGatePassedBecomesTheDefaultVersion(@TempDir Path store) throws Exception {
        variant(store, true);
        try (InferenceServer s = TestServers.start(Map.of("model_store", store.toString(), "precision", "int8"))) {
            JsonNode versions = JSON.readTree(TestServers.get(s.managementPort(), "/models/intent/all").body());
            assertThat(versions).hasSize(2);
            assertThat(s.registry().defaultVersion("intent")).isEqualTo("1-int8");
            assertThat(TestServers.post(s.inferencePort(), "/predictions/intent", "{\"text\": \"hi\"}").statusCode()).isEqualTo(200);
            TestServers.awaitCounted(s);
            assertThat(TestServers.metric(s, "infer4j_requests_total{model=\"intent\",status=\"200\",version=\"1-int8\"}")).isEqualTo(1);
        }
    }

    @Test
    void int8VariantThatFailedItsGateIsNotServed(@TempDir Path store) throws Exception {
        variant(store, false);
        try (InferenceServer s = TestServers.start(Map.of("model_store", store.toString(), "precision", "int8"))) {
            assertThat(s.registry().versions("intent")).containsOnlyKeys("1");
            assertThat(s.registry().defaultVersion("intent")).isEqualTo("1");
        }
    }
}
