package ai.infer4j.server.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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
    void aScrapeOfTheExportedRegistryRegistersTheJvmMetricsAtOnce() {
        Duration hour = Duration.ofHours(1); // a scrape that waited out the delay would hang the test
        ServerMetrics started = new ServerMetrics(hour), notStarted = new ServerMetrics(hour);
        started.startJvmMetrics(); // its thread now waits the delay before registering them unasked
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            assertThat(names(started.exportedRegistry())).contains("process_cpu_seconds", "jvm_threads_current", "infer4j_requests");
            assertThat(names(notStarted.exportedRegistry())).contains("process_cpu_seconds", "jvm_threads_current");
        });
    }

    @Test
    void nativeMemoryTrackingIsOffUnlessAsked() {
        assertThat(ServerMetrics.nativeMemoryTracking()).isFalse(); // the test JVM runs without -XX:NativeMemoryTracking
    }
}
