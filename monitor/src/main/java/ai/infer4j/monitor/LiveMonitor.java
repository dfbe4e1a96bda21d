package ai.infer4j.monitor;

import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.CaptureConfig;
import ai.infer4j.monitor.capture.CaptureWriter;
import ai.infer4j.monitor.drift.LiveDrift;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a server runs for monitoring: the capture writer and, fed by it, the rolling drift scores.
 * Start with {@link Monitor#startLive}; close after the request path has drained (flushes the capture).
 */
public final class LiveMonitor implements AutoCloseable {
    private final CaptureWriter writer;
    private final LiveDrift drift;

    LiveMonitor(CaptureConfig config, Clock clock) {
        Map<String, BaselineStatistics> baselines = new LinkedHashMap<>();
        config.baselines().forEach((model, dir) -> baselines.put(model, Monitor.readStatistics(dir)));
        this.drift = config.enabled() && config.driftWindow() > 0 ? new LiveDrift(config.driftWindow(), baselines) : null;
        this.writer = CaptureWriter.start(config, clock, drift == null ? List.of() : List.of(drift));
    }

    /** The writer the request path offers events to. */
    public CaptureWriter writer() {
        return writer;
    }

    /**
     * model → gauge → value from the live drift checks (the same tests as {@code monitor check}): per drift signal
     * its effect, {@code <signal>_p_holm} and {@code <signal>_violation}, plus {@code window_events}, {@code judged}
     * (0 while the window is too small to judge) and {@code alarm}.
     */
    public Map<String, Map<String, Double>> driftScores() {
        return drift == null ? Map.of() : drift.scores();
    }

    public long dropped() {
        return writer.dropped();
    }

    public long written() {
        return writer.written();
    }

    /** Flushes and closes the capture files. Idempotent. */
    @Override
    public void close() {
        writer.close();
        if (drift != null) drift.close();
    }
}
