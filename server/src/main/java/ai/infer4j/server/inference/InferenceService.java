package ai.infer4j.server.inference;

import ai.infer4j.monitor.capture.CaptureWriter;
import ai.infer4j.server.ServerConfig;
import ai.infer4j.server.management.ModelRegistry;
import ai.infer4j.server.metrics.ServerMetrics;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every inference connection shares: the registry, limits, metrics, and the count of admitted
 * requests not yet answered (so shutdown can wait for them).
 */
public final class InferenceService {
    /** Inputs per request, at most. */
    public static final int MAX_INPUTS_PER_REQUEST = 256;

    final ModelRegistry registry;
    final ServerConfig config;
    final ServerMetrics metrics;
    final CaptureWriter capture;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;

    public InferenceService(ModelRegistry registry, ServerConfig config, ServerMetrics metrics) {
        this(registry, config, metrics, null);
    }

    /** @param capture where sampled requests go (null: no capture) */
    public InferenceService(ModelRegistry registry, ServerConfig config, ServerMetrics metrics, CaptureWriter capture) {
        this.registry = registry;
        this.config = config;
        this.metrics = metrics;
        this.capture = capture;
    }

    /** Admitted requests not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /** From now on requests are refused with 503 (connections still open get a clean answer). */
    public void startDraining() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    void admitted() {
        inFlight.incrementAndGet();
    }

    void answered() {
        inFlight.decrementAndGet();
    }
}
