package ai.infer4j.server.config;

import ai.infer4j.engine.batch.BatchPolicy;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigTest {
    private static ServerConfig with(Map<String, String> keys) {
        Properties p = new Properties();
        p.putAll(keys);
        return ServerConfig.defaults().with(p, Path.of("/etc/infer4j"));
    }

    @Test
    void eachTorchServeKeyLandsInItsGroup() {
        ServerConfig c = with(Map.ofEntries(Map.entry("inference_address", "0.0.0.0:9000"), Map.entry("grpc_address", "off"),
                Map.entry("model_store", "models"), Map.entry("load_models", "a=a.mar"), Map.entry("cache_dir", "/tmp/c"),
                Map.entry("max_request_size", "2048"), Map.entry("default_response_timeout", "1.5"), Map.entry("drain_timeout", "3"),
                Map.entry("default_workers_per_model", "3"), Map.entry("intra_op_threads", "2"), Map.entry("batch_size", "4"),
                Map.entry("max_batch_delay", "7"), Map.entry("job_queue_size", "9"), Map.entry("auth_token_file", "token"),
                Map.entry("allowed_urls", "https://models\\..*"), Map.entry("precision", "int8")));
        assertThat(c.listeners().inference()).isEqualTo(InetSocketAddress.createUnresolved("0.0.0.0", 9000));
        assertThat(c.listeners().management()).isEqualTo(ServerConfig.defaults().listeners().management());
        assertThat(c.listeners().grpc()).isNull();
        assertThat(c.models().store()).isEqualTo(Path.of("/etc/infer4j/models"));
        assertThat(c.models().load()).containsExactly(Map.entry("a", "a.mar"));
        assertThat(c.models().cacheDir()).isEqualTo(Path.of("/tmp/c"));
        assertThat(c.limits().maxRequestSizeBytes()).isEqualTo(2048);
        assertThat(c.limits().responseTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.limits().drainTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.workers().perModel()).isEqualTo(3);
        assertThat(c.workers().intraOpThreads()).isEqualTo(2);
        assertThat(c.workers().batch()).isEqualTo(new BatchPolicy(4, 8192, Duration.ofMillis(7), 9));
        assertThat(c.security().authTokenFile()).isEqualTo(Path.of("/etc/infer4j/token"));
        assertThat(c.security().allowedUrls()).singleElement().satisfies(r -> assertThat(r.matcher("https://models.x").matches()).isTrue());
        assertThat(c.precision()).isEqualTo("int8");
    }

    @Test
    void unknownKeyIsRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> with(Map.of("batchsize", "4")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown config key 'batchsize'")
                .hasMessageContaining("batch_size").hasMessageContaining("capture_percent");
    }

    @Test
    void badValueIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> with(Map.of("batch_size", "0"))).hasMessage("batch_size must be >= 1, got 0");
        assertThatThrownBy(() -> with(Map.of("default_workers_per_model", "x"))).hasMessage("default_workers_per_model must be an integer, got 'x'");
        assertThatThrownBy(() -> with(Map.of("idle_timeout", "0"))).hasMessageContaining("idle_timeout must be > 0");
        assertThatThrownBy(() -> with(Map.of("precision", "fp16"))).hasMessage("precision must be fp32 or int8, got 'fp16'");
    }
}
