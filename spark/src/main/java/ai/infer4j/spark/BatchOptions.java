package ai.infer4j.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * What {@link SparkScorer} does. Serializable: the partition scorer carries it to the executors.
 *
 * @param model          model reference as {@code Engine.load} takes it ({@code duplicate}, {@code intent}, a path)
 * @param task           {@code pair} or {@code classify}
 * @param input          parquet file or directory, {@code .jsonl}/{@code .json} or {@code .csv} (with a header)
 * @param output         parquet directory to write
 * @param master         Spark master, e.g. {@code local[*]}; null: whatever spark-submit set
 * @param textColumn     classify: the text column
 * @param batchRows      rows scored together inside a partition (>= 1)
 * @param intraOpThreads ONNX Runtime threads per forward pass (Spark already runs one task per core)
 * @param maxLength      tokens per sequence, special tokens included
 * @param partitions     repartition the input to this many partitions (0: keep the input's)
 * @param overwrite      replace {@code output} if it exists
 * @param cacheDir       where executors extract the embedded backbone; null: the engine's default
 * @param partitionBy    output columns to partition the parquet directory by (e.g. {@code label}); empty: none
 * @param dedupe         bi-encoder pairs: {@code job} embeds each distinct record once per job, {@code partition}
 *                       once per partition (no shuffle, but a record shared across partitions is embedded again)
 */
public record BatchOptions(String model, String task, String input, String output, String master, String textColumn,
                           int batchRows, int intraOpThreads, int maxLength, int partitions, boolean overwrite,
                           String cacheDir, List<String> partitionBy, String dedupe) implements Serializable {
    public BatchOptions {
        Objects.requireNonNull(model, "model");
        if (!"pair".equals(task) && !"classify".equals(task))
            throw new IllegalArgumentException("--task must be pair or classify, got '" + task + "'");
        Objects.requireNonNull(input, "--input");
        Objects.requireNonNull(output, "--output");
        if (batchRows < 1) throw new IllegalArgumentException("--batch-rows must be >= 1, got " + batchRows);
        if (intraOpThreads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + intraOpThreads);
        if (partitions < 0) throw new IllegalArgumentException("--partitions must be >= 0, got " + partitions);
        partitionBy = List.copyOf(Objects.requireNonNull(partitionBy, "partitionBy"));
        if (!"job".equals(dedupe) && !"partition".equals(dedupe))
            throw new IllegalArgumentException("--dedupe must be job or partition, got '" + dedupe + "'");
    }

    /** The same options with {@code partitionBy} left out (the long constructor's old shape). */
    public BatchOptions(String model, String task, String input, String output, String master, String textColumn, int batchRows,
                        int intraOpThreads, int maxLength, int partitions, boolean overwrite, String cacheDir) {
        this(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, cacheDir, List.of(), "job");
    }

    /** Pair scoring of {@code input} into {@code output} with the defaults. */
    public static BatchOptions pairs(String model, String input, String output) {
        return new BatchOptions(model, "pair", input, output, null, "text", 1024, 1, 128, 0, false, null);
    }

    public BatchOptions withTask(String t) {
        return new BatchOptions(model, t, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, cacheDir, partitionBy, dedupe);
    }

    public BatchOptions withPartitions(int p) {
        return new BatchOptions(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, p, overwrite, cacheDir, partitionBy, dedupe);
    }

    public BatchOptions withBatchRows(int n) {
        return new BatchOptions(model, task, input, output, master, textColumn, n, intraOpThreads, maxLength, partitions, overwrite, cacheDir, partitionBy, dedupe);
    }

    public BatchOptions withCacheDir(String dir) {
        return new BatchOptions(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, dir, partitionBy, dedupe);
    }

    public BatchOptions withModel(String m) {
        return new BatchOptions(m, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, cacheDir, partitionBy, dedupe);
    }

    public BatchOptions withPartitionBy(List<String> columns) {
        return new BatchOptions(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, cacheDir, columns, dedupe);
    }

    public BatchOptions withDedupe(String d) {
        return new BatchOptions(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, overwrite, cacheDir, partitionBy, d);
    }

    public BatchOptions withOverwrite(boolean o) {
        return new BatchOptions(model, task, input, output, master, textColumn, batchRows, intraOpThreads, maxLength, partitions, o, cacheDir, partitionBy, dedupe);
    }
}
