package ai.infer4j.deploy;

import ai.infer4j.server.config.ServerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deploy/ manifests, checked without a cluster: the fleet settings against the server's own config parser and
 * each other and, when {@code -Dinfer4j.k8s.schemas=DIR} names a directory holding the official JSON schemas
 * (Kubernetes 1.32 standalone-strict files and the KServe ClusterServingRuntime CRD's openAPIV3Schema, under the file
 * names below; the project does not redistribute them), each manifest against the schema of its kind.
 */
class ManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, String> SCHEMAS = Map.of(
            "apps/v1/Deployment", "deployment-apps-v1.json",
            "v1/Service", "service-v1.json",
            "v1/ConfigMap", "configmap-v1.json",
            "autoscaling/v2/HorizontalPodAutoscaler", "horizontalpodautoscaler-autoscaling-v2.json",
            "policy/v1/PodDisruptionBudget", "poddisruptionbudget-policy-v1.json",
            "serving.kserve.io/v1alpha1/ClusterServingRuntime", "clusterservingruntime-serving-v1alpha1.json");
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7);

    /** Where the schema files are, or null (then the schema checks are skipped). */
    private static final String SCHEMA_DIR = System.getProperty("infer4j.k8s.schemas");

    @Test
    void everyManifestMatchesItsKubernetesOrKServeSchema() throws IOException {
        Assumptions.assumeTrue(SCHEMA_DIR != null, "set -Dinfer4j.k8s.schemas=DIR to validate against the official schemas");
        List<Path> files;
        try (Stream<Path> s = Stream.concat(Files.list(Path.of("k8s")), Files.list(Path.of("kserve")))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(6);
        int checked = 0;
        for (Path f : files) {
            for (JsonNode doc : documents(f)) {
                assertThat(errors(doc)).as("%s (%s)", f, key(doc)).isEmpty();
                checked++;
            }
        }
        assertThat(checked).isEqualTo(files.size());
    }

    @Test
    void schemaCheckRejectsAMisspelledFieldAndAWrongType() throws IOException {
        Assumptions.assumeTrue(SCHEMA_DIR != null, "set -Dinfer4j.k8s.schemas=DIR to validate against the official schemas");
        ObjectNode d = (ObjectNode) one(Path.of("k8s/deployment.yaml"));
        ((ObjectNode) d.at("/spec/template/spec")).put("terminationGracePeriod", 45);
        assertThat(errors(d)).isNotEmpty();
        ObjectNode r = (ObjectNode) one(Path.of("kserve/cluster-serving-runtime.yaml"));
        ((ObjectNode) r.at("/spec")).put("multiModel", "no");
        assertThat(errors(r)).isNotEmpty();
        ObjectNode h = (ObjectNode) one(Path.of("k8s/hpa.yaml"));
        ((ObjectNode) h.at("/spec")).remove("maxReplicas");
        assertThat(errors(h)).isNotEmpty();
    }

    @Test
    void podIsReadyOnlyOnPingAndOutlivesItsDrain() throws IOException {
        JsonNode pod = one(Path.of("k8s/deployment.yaml")).at("/spec/template/spec");
        JsonNode c = pod.at("/containers/0");
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ping");
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/ping");
        // liveness must stay up while draining (/ping turns 503 then)
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/v2/health/live");
        assertThat(c.at("/resources/requests/cpu").asText()).isNotEmpty();
        assertThat(c.at("/resources/requests/memory").asText()).isNotEmpty();

        ServerConfig config = configMapConfig();
        long grace = pod.at("/terminationGracePeriodSeconds").asLong();
        long preStop = c.at("/lifecycle/preStop/sleep/seconds").asLong();
        assertThat(grace).as("grace period > preStop sleep + drain_timeout").isGreaterThan(preStop + config.limits().drainTimeout().toSeconds());
        assertThat(config.listeners().inference().getPort()).isEqualTo(c.at("/ports/0/containerPort").asInt());
        assertThat(config.models().store()).isEqualTo(Path.of(mountPath(c, "models")));
    }

    @Test
    void podRunsNonRootOnAReadOnlyRootWithOnlyTmpWritable() throws IOException {
        JsonNode pod = one(Path.of("k8s/deployment.yaml")).at("/spec/template/spec");
        JsonNode c = pod.at("/containers/0");
        assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(dockerUser());
        assertThat(mountPath(c, "tmp")).isEqualTo("/tmp");
        assertThat(configMapConfig().models().cacheDir().toString()).startsWith("/tmp/");
        // the ConfigMap is mounted where the image's ENTRYPOINT reads its config
        assertThat(dockerfile()).contains("\"--config\", \"" + mountPath(c, "config") + "/config.properties\"");
    }

    @Test
    void imageConfigAndConfigMapAreTheSameServerConfig() throws IOException {
        ServerConfig image = ServerConfig.load(Path.of("image/config.properties").toAbsolutePath());
        ServerConfig map = configMapConfig();
        assertThat(map.models().load()).isEqualTo(image.models().load());
        assertThat(map.limits().drainTimeout()).isEqualTo(image.limits().drainTimeout());
        assertThat(map.listeners().inference()).isEqualTo(image.listeners().inference());
        assertThat(map.listeners().metrics()).isEqualTo(image.listeners().metrics());
        assertThat(map.models().cacheDir()).isEqualTo(image.models().cacheDir());
    }

    @Test
    void autoscalerTargetsTheDeploymentOnCpuAndQueueDepth() throws IOException {
        JsonNode hpa = one(Path.of("k8s/hpa.yaml"));
        assertThat(hpa.at("/spec/scaleTargetRef/name").asText()).isEqualTo(one(Path.of("k8s/deployment.yaml")).at("/metadata/name").asText());
        List<String> metrics = new ArrayList<>();
        hpa.at("/spec/metrics").forEach(m -> metrics.add(m.has("resource") ? m.at("/resource/name").asText() : m.at("/pods/metric/name").asText()));
        assertThat(metrics).containsExactlyInAnyOrder("cpu", "infer4j_queue_depth");
    }

    @Test
    void kserveRuntimeDeclaresTheV2ProtocolOnTheServerPort() throws IOException {
        JsonNode r = one(Path.of("kserve/cluster-serving-runtime.yaml"));
        assertThat(r.at("/spec/protocolVersions")).extracting(JsonNode::asText).containsExactly("v2");
        assertThat(r.at("/spec/containers/0/ports/0/containerPort").asInt()).isEqualTo(configMapConfig().listeners().inference().getPort());
        assertThat(r.at("/spec/containers/0/readinessProbe/httpGet/path").asText()).isEqualTo("/v2/health/ready");
        assertThat(mountPath(r.at("/spec/containers/0"), "tmp")).isEqualTo("/tmp");
    }

    private static List<Error> errors(JsonNode doc) throws IOException {
        String file = SCHEMAS.get(key(doc));
        assertThat(file).as("a schema for %s", key(doc)).isNotNull();
        try (InputStream in = Files.newInputStream(Path.of(SCHEMA_DIR, file))) {
            Schema schema = REGISTRY.getSchema(in);
            return schema.validate(doc);
        }
    }

    private static String key(JsonNode doc) {
        return doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    }

    private static List<JsonNode> documents(Path f) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(f.toFile())) {
            var it = YAML.readValues(p, JsonNode.class);
            while (it.hasNext()) docs.add(it.next());
        }
        return docs;
    }

    private static JsonNode one(Path f) throws IOException {
        List<JsonNode> d = documents(f);
        assertThat(d).hasSize(1);
        return d.get(0);
    }

    /** The ConfigMap's config.properties, through the server's own parser (unknown keys are refused there). */
    private static ServerConfig configMapConfig() throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(one(Path.of("k8s/configmap.yaml")).at("/data/config.properties").asText()));
        return ServerConfig.defaults().with(p, Path.of("/opt/infer4j/conf"));
    }

    private static String mountPath(JsonNode container, String volume) {
        for (JsonNode m : container.path("volumeMounts")) if (m.path("name").asText().equals(volume)) return m.path("mountPath").asText();
        throw new AssertionError("no volumeMount " + volume + " in " + container.path("name"));
    }

    private static String dockerfile() throws IOException {
        return Files.readString(Path.of("Dockerfile"));
    }

    private static int dockerUser() throws IOException {
        Matcher m = Pattern.compile("(?m)^USER (\\d+)(:\\d+)?$").matcher(dockerfile());
        assertThat(m.find()).as("a numeric USER in the Dockerfile").isTrue();
        return Integer.parseInt(m.group(1));
    }
}
