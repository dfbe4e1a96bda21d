package ai.infer4j.engine.batch;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchPolicyTest {
    @Test
    void torchServeKeysOverrideOnlyWhatIsGiven() {
        BatchPolicy p = BatchPolicy.defaults().withKeys(Map.of("batch_size", "8", "max_batch_delay", " 5 ")::get);
        assertThat(p).isEqualTo(new BatchPolicy(8, 8192, Duration.ofMillis(5), 1024));
        assertThat(BatchPolicy.defaults().withKeys(k -> null)).isEqualTo(BatchPolicy.defaults());
        assertThat(p.withKeys(Map.of("max_batch_tokens", "100", "job_queue_size", "3")::get))
                .isEqualTo(new BatchPolicy(8, 100, Duration.ofMillis(5), 3));
    }

    @Test
    void badValueIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> BatchPolicy.defaults().withKeys(Map.of("batch_size", "dd")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batch_size must be an integer, got 'dd'");
        assertThatThrownBy(() -> BatchPolicy.defaults().withKeys(Map.of("job_queue_size", "0")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("job_queue_size must be >= 1, got 0");
        assertThatThrownBy(() -> BatchPolicy.defaults().withKeys(Map.of("max_batch_delay", "-1")::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("max_batch_delay must be >= 0, got -1");
    }
}
