package ai.infer4j.server.metrics;

import ai.infer4j.engine.batch.BatchListener;
import ai.infer4j.engine.batch.BatchScheduler;
import ai.infer4j.engine.handler.HandlerListener;
import ai.infer4j.monitor.LiveMonitor;
import ai.infer4j.server.concurrent.DeferredTask;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmNativeMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The server's Prometheus metrics: requests, latencies (queue, model, end to end), batch size,
 * padding, queue depth, workers, plus JVM and process CPU/memory. Updates are lock-free.
 */
public final class ServerMetrics {
    private static final double[] LATENCY_BUCKETS = {0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03,
            0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /**
     * How long after {@link #startJvmMetrics} the JVM metrics are registered unless a scrape asks first: a new server's
     * first requests then do not share the cores with that work (~5% of a start's CPU).
     */
    static final Duration JVM_METRICS_DELAY = Duration.ofSeconds(1);

    /**
     * Every scrape waits for the JVM metrics first (see {@link #startJvmMetrics}), so the exporter can be given the
     * registry before they are registered and no scrape ever lacks them.
     */
    private final PrometheusRegistry registry = new PrometheusRegistry() {
        @Override
        public MetricSnapshots scrape() {
            awaitJvmMetrics();
            return super.scrape();
        }

        @Override
        public MetricSnapshots scrape(PrometheusScrapeRequest request) {
            awaitJvmMetrics();
            return super.scrape(request);
        }

        @Override
        public MetricSnapshots scrape(Predicate<String> includedNames) {
            awaitJvmMetrics();
            return super.scrape(includedNames);
        }

        @Override
        public MetricSnapshots scrape(Predicate<String> includedNames, PrometheusScrapeRequest request) {
            awaitJvmMetrics();
            return super.scrape(includedNames, request);
        }
    };
    private final Map<String, BatchScheduler> schedulers = new ConcurrentHashMap<>();
    private final Counter requests;
    private final Histogram endToEnd;
    private final Histogram queueWait;
    private final Histogram modelTime;
    private final Histogram batchSize;
    private final Histogram paddingRatio;
    private final Counter expired;
    private final Counter loadFailures;
    private final Histogram handlerTime;
    private final DeferredTask jvmMetrics;

    public ServerMetrics() {
        this(JVM_METRICS_DELAY);
    }

    /** With another delay before the JVM metrics are registered unasked (tests). */
    ServerMetrics(Duration jvmMetricsDelay) {
        requests = Counter.builder().name("infer4j_requests").help("Inference requests answered, by model, version and HTTP status")
                .labelNames("model", "version", "status").register(registry);
        endToEnd = Histogram.builder().name("infer4j_request_latency_seconds").help("End-to-end latency from request read to response written")
                .labelNames("model").classicUpperBounds(LATENCY_BUCKETS).register(registry);
        queueWait = Histogram.builder().name("infer4j_queue_wait_seconds").help("Time a sequence waited in the batching queue")
                .labelNames("backbone").classicUpperBounds(LATENCY_BUCKETS).register(registry);
        modelTime = Histogram.builder().name("infer4j_model_time_seconds").help("Forward-pass time per batch")
                .labelNames("backbone").classicUpperBounds(LATENCY_BUCKETS).register(registry);
        batchSize = Histogram.builder().name("infer4j_batch_size").help("Sequences per forward pass")
                .labelNames("backbone").classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
        paddingRatio = Histogram.builder().name("infer4j_padding_ratio").help("Fraction of each batch tensor that is padding")
                .labelNames("backbone").classicUpperBounds(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1).register(registry);
        expired = Counter.builder().name("infer4j_deadline_expired").help("Sequences dropped because their deadline passed in the queue")
                .labelNames("backbone").register(registry);
        loadFailures = Counter.builder().name("infer4j_model_load_failures").help("Models that failed to load or warm up")
                .labelNames("model").register(registry);
        handlerTime = Histogram.builder().name("infer4j_handler_seconds").help("Time in custom handler phases (before, after), per call")
                .labelNames("handler", "phase").classicUpperBounds(LATENCY_BUCKETS).register(registry);
        GaugeWithCallback.builder().name("infer4j_queue_depth").help("Sequences waiting in the batching queue").labelNames("backbone")
                .callback(cb -> schedulers.forEach((name, s) -> cb.call(s.queueDepth(), name))).register(registry);
        GaugeWithCallback.builder().name("infer4j_workers").help("Worker threads per backbone").labelNames("backbone")
                .callback(cb -> schedulers.forEach((name, s) -> cb.call(s.workers(), name))).register(registry);
        // JVM and process metrics (CPU, RSS, open files) read the platform MBeans: ~0.15 s of class loading, done on a
        // second thread started by startJvmMetrics() (the server: once its inference listener is up, so that this work
        // does not compete with the models' loading), which waits JVM_METRICS_DELAY first unless a scrape asks sooner
        // (so it does not compete with a new server's first requests either); every scrape waits for it.
        jvmMetrics = new DeferredTask("infer4j-jvm-metrics", jvmMetricsDelay, () -> registerJvmMetrics(registry));
    }

    /**
     * What {@code JvmMetrics.builder().register(registry)} registers, except that the native-memory gauges are only
     * asked for when native memory tracking is on. They come from the {@code DiagnosticCommand} MBean, and asking
     * starts the whole platform MBean server (every platform MBean registered, every diagnostic command's help read):
     * about half of this thread's CPU in a server start, only to learn that tracking is off (the JVM default), in which
     * case those gauges register nothing. So the same metrics either way, without that cost in the default case.
     */
    static void registerJvmMetrics(PrometheusRegistry registry) {
        JvmThreadsMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmMemoryPoolAllocationMetrics.builder().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        if (nativeMemoryTracking()) JvmNativeMemoryMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /** Whether the JVM tracks native memory ({@code -XX:NativeMemoryTracking=summary|detail}); true when unknown. */
    static boolean nativeMemoryTracking() {
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotSpot == null || !hotSpot.getVMOption("NativeMemoryTracking").getValue().equals("off");
        } catch (RuntimeException e) { // not HotSpot, or no such option: let the gauges ask for themselves
            return true;
        }
    }

    /**
     * Starts the thread that registers the JVM and process metrics (once): it registers them {@link #JVM_METRICS_DELAY}
     * later, or at once when a scrape (or {@link #registry()}) asks for them; scrapes wait for them.
     */
    public void startJvmMetrics() {
        jvmMetrics.start();
    }

    /** Registers the JVM metrics now (if not done yet) and waits until they are. */
    private void awaitJvmMetrics() {
        jvmMetrics.runNowAndWait();
    }

    /** Exposes capture counts ({@code infer4j_capture_dropped_total}, {@code infer4j_capture_written_total}) and {@code infer4j_drift_score{model,signal}}. */
    public void trackCapture(LiveMonitor monitor) {
        CounterWithCallback.builder().name("infer4j_capture_dropped").help("Captured events dropped because the capture queue was full")
                .callback(cb -> cb.call(monitor.dropped())).register(registry);
        CounterWithCallback.builder().name("infer4j_capture_written").help("Captured events written to the capture directory")
                .callback(cb -> cb.call(monitor.written())).register(registry);
        GaugeWithCallback.builder().name("infer4j_drift_score").help("Rolling drift score of the last captured events against the baseline")
                .labelNames("model", "signal")
                .callback(cb -> monitor.driftScores().forEach((m, s) -> s.forEach((signal, v) -> cb.call(v, m, signal)))).register(registry);
    }

    /** The registry, with the JVM metrics registered. */
    public PrometheusRegistry registry() {
        awaitJvmMetrics();
        return registry;
    }

    /**
     * The registry for an exporter, without waiting: its scrapes wait for the JVM metrics themselves. The server hands
     * this to its metrics listener, so that binding it does not wait for (or hurry) the JVM metrics.
     */
    public PrometheusRegistry exportedRegistry() {
        return registry;
    }

    /** Records custom handler calls as {@code infer4j_handler_seconds{handler,phase}}. */
    public HandlerListener handlerListener() {
        return (handler, phase, nanos) -> handlerTime.labelValues(handler, phase).observe(nanos / 1e9);
    }

    /** A listener that records one backbone's batches. */
    public BatchListener listenerFor(String backbone) {
        var qw = queueWait.labelValues(backbone);
        var mt = modelTime.labelValues(backbone);
        var bs = batchSize.labelValues(backbone);
        var pr = paddingRatio.labelValues(backbone);
        var ex = expired.labelValues(backbone);
        return new BatchListener() {
            @Override
            public void batch(int size, int paddedLength, double padding, long modelNanos) {
                bs.observe(size);
                pr.observe(padding);
                mt.observe(modelNanos / 1e9);
            }

            @Override
            public void queueWait(long nanos) {
                qw.observe(nanos / 1e9);
            }

            @Override
            public void expired() {
                ex.inc();
            }
        };
    }

    public void track(String backbone, BatchScheduler scheduler) {
        schedulers.put(backbone, scheduler);
    }

    public void untrack(String backbone) {
        schedulers.remove(backbone);
    }

    public void loadFailed(String model) {
        loadFailures.labelValues(model).inc();
    }

    /** Records one answered request. */
    public void request(String model, String version, int status, long nanos) {
        requests.labelValues(model, version, Integer.toString(status)).inc();
        if (status < 400) endToEnd.labelValues(model).observe(nanos / 1e9);
    }
}
