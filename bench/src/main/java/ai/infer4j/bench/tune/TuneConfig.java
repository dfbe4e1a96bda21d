package ai.infer4j.bench.tune;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One point of the tuning grid: a model variant served with these batching and threading settings.
 *
 * @param variant        model reference (built-in name, archive or export directory)
 * @param workers        scheduler worker threads per backbone
 * @param intraOpThreads ONNX Runtime threads per forward pass
 * @param maxBatchSize   sequences per forward pass, at most
 * @param maxBatchDelay  longest wait for a fuller batch
 * @param queueSize      requests queued at most before 503 ({@code job_queue_size})
 */
public record TuneConfig(String variant, int workers, int intraOpThreads, int maxBatchSize, Duration maxBatchDelay, int queueSize) {
    public TuneConfig {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(maxBatchDelay, "maxBatchDelay");
        if (workers < 1 || intraOpThreads < 1 || maxBatchSize < 1 || queueSize < 1)
            throw new IllegalArgumentException("workers, threads, batch size and queue size must be >= 1: " + this);
    }

    /** Cores this config keeps busy at most: workers × intra-op threads. */
    public int threads() {
        return workers * intraOpThreads;
    }

    /** The batching settings in TorchServe's key names, as a server's config.properties or {@code BatchPolicy.withKeys} reads them. */
    public Map<String, String> batchKeys() {
        return Map.of("batch_size", Integer.toString(maxBatchSize), "max_batch_delay", Long.toString(maxBatchDelay.toMillis()),
                "job_queue_size", Integer.toString(queueSize));
    }

    public TuneConfig withQueueSize(int n) {
        return new TuneConfig(variant, workers, intraOpThreads, maxBatchSize, maxBatchDelay, n);
    }

    public String label() {
        return String.format(Locale.ROOT, "%s w%d t%d b%d d%dms", variant, workers, intraOpThreads, maxBatchSize, maxBatchDelay.toMillis());
    }
}
