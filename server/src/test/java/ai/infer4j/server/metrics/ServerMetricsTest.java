package ai.infer4j.server.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class ServerMetricsTest {
    private static Set<String> names(PrometheusRegistry registry) {
        Set<String> names = new TreeSet<>();
        for (MetricSnapshot m : registry.scrape()) names.add(m.getMetadata().getPrometheusName());
        return names;
    }

    @Test
    void jvmMetricsAreTheOnesJvmMetricsRegisters() {
        PrometheusRegistry ours = new PrometheusRegistry(), library = new PrometheusRegistry();
        ServerMetrics.registerJvmMetrics(ours);
        JvmMetrics.builder().register(library);
        assertThat(names(ours)).contains("process_cpu_seconds", "jvm_memory_used_bytes", "jvm_threads_current")
                .isEqualTo(names(library));
    }

    @Test
    void nativeMemoryTrackingIsOffUnlessAsked() {
        assertThat(ServerMetrics.nativeMemoryTracking()).isFalse(); // the test JVM runs without -XX:NativeMemoryTracking
    }
}
