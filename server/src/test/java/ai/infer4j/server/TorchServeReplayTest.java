package ai.infer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays TorchServe's own management API test cases (its {@code test/postman/management_data.json}, not shipped
 * here: pass its path with {@code -Dtorchserve.management.cases=PATH}) against a real server, with infer4j
 * archives in place of its torchvision ones (same file and model names, version 1.0). Prints every case whose
 * status differs; docs/compat.md lists why each one does.
 */
@EnabledIfSystemProperty(named = "torchserve.management.cases", matches = ".+")
class TorchServeReplayTest {
    /** A model URL of the cases: the download URL of older copies, or the {@code {{mar_path_NAME}}} variable of newer ones. */
    private static final Pattern MAR = Pattern.compile("https://torchserve\\.pytorch\\.org/mar_files/([A-Za-z0-9_.-]+)\\.mar|\\{\\{mar_path_([A-Za-z0-9_.-]+)}}");
    private static final List<String> AVAILABLE = List.of("squeezenet1_1", "mnist", "densenet161", "resnet-152-batch", "resnet-18");

    @Test
    void replay(@TempDir Path store) throws Exception {
        JsonNode cases = new ObjectMapper().readTree(Path.of(System.getProperty("torchserve.management.cases")).toFile());
        for (String name : AVAILABLE) Files.move(TestServers.intentArchive(store, name, "1.0"), store.resolve(name + ".mar"));
        int passed = 0;
        List<String> differ = new ArrayList<>();
        try (InferenceServer s = TestServers.start(Map.of("model_store", store.toString()))) {
            for (JsonNode c : cases) {
                Matcher m = MAR.matcher(c.get("path").asText());
                StringBuilder path = new StringBuilder();
                while (m.find()) {
                    String name = m.group(1) != null ? m.group(1) : m.group(2);
                    m.appendReplacement(path, AVAILABLE.contains(name) ? name + ".mar" : Matcher.quoteReplacement(m.group()));
                }
                m.appendTail(path);
                int expected = c.path("status_code").asInt(200);
                var r = TestServers.send(c.get("METHOD").asText().toUpperCase(), s.managementPort(), "/" + path, null, null);
                if (r.statusCode() == expected) passed++;
                else differ.add(c.get("test").asText() + ": " + c.get("METHOD").asText() + " /" + path + " expected " + expected
                        + ", got " + r.statusCode() + " " + r.body().replaceAll("\\s+", " "));
            }
        }
        System.out.println("TorchServe management cases: " + passed + " of " + cases.size() + " answer TorchServe's status");
        differ.forEach(d -> System.out.println("  differs: " + d));
        assertThat(passed).isGreaterThan(cases.size() * 8 / 10);
    }
}
