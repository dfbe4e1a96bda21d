package ai.infer4j.cli;

import ai.infer4j.engine.batch.BatchPolicy;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Worker and batching flags that {@code serve} and {@code bench} share ({@code @Mixin}). Their values become the
 * {@code config.properties} keys they stand for, so flags and config file are read by the same code
 * ({@code ServerConfig.with}, {@link BatchPolicy#withKeys}). A flag not given is null: {@code serve} keeps the config's
 * value; {@code bench} declares its defaults with {@link #BENCH_DEFAULTS} and its own wording in
 * {@code BenchCommand.properties}.
 */
final class BatchFlags {
    @Option(names = "--workers", description = "worker threads per backbone")
    Integer workers;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads per forward pass")
    Integer threads;

    @Option(names = "--batch-size", description = "max sequences per forward pass")
    Integer batchSize;

    @Option(names = "--max-batch-delay-ms", description = "max wait for a fuller batch")
    Integer maxBatchDelayMs;

    @Option(names = "--queue-size", description = "max queued sequences per backbone before 503")
    Integer queueSize;

    /** The flags given, under the {@code config.properties} keys they override. */
    Map<String, String> keys() {
        Map<String, String> k = new LinkedHashMap<>();
        put(k, "default_workers_per_model", workers);
        put(k, "intra_op_threads", threads);
        put(k, "batch_size", batchSize);
        put(k, "max_batch_delay", maxBatchDelayMs);
        put(k, "job_queue_size", queueSize);
        return k;
    }

    /** {@code base} with the batching flags given. */
    BatchPolicy policy(BatchPolicy base) {
        return base.withKeys(keys()::get);
    }

    private static void put(Map<String, String> k, String key, Integer value) {
        if (value != null) k.put(key, value.toString());
    }

    /** {@code bench}'s defaults: one worker and the engine's batching defaults ({@code --threads}: all cores). */
    static final class BenchDefaults implements picocli.CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o)) return null;
            BatchPolicy d = BatchPolicy.defaults();
            return switch (o.longestName()) {
                case "--workers" -> "1";
                case "--batch-size" -> Integer.toString(d.maxBatchSize());
                case "--max-batch-delay-ms" -> Long.toString(d.maxDelay().toMillis());
                case "--queue-size" -> Integer.toString(d.queueCapacity());
                default -> null;
            };
        }
    }
}
