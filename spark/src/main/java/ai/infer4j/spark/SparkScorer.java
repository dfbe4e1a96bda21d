package ai.infer4j.spark;

import ai.infer4j.engine.error.InferenceException;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Batch scoring on Apache Spark: reads pairs (or texts), scores every partition with the engine
 * (one model per executor JVM, distinct records embedded once per partition) and writes the input
 * columns plus {@code score}, {@code label} and {@code error} as parquet.
 *
 * <pre>
 * infer4j batch --model duplicate --input pairs.parquet --output scored.parquet [--master local[*]]
 * spark-submit --class ai.infer4j.spark.SparkScorer --master spark://HOST:7077 spark/target/infer4j-spark-app.jar \
 *     --model duplicate --input hdfs:///pairs --output hdfs:///scored
 * </pre>
 * {@link #main} is a command-line entry (like the {@code cli} module's) and so writes progress and the
 * summary to stderr/stdout; {@link #run} writes nothing.
 */
public final class SparkScorer {
    /** Output columns added to the input's. */
    public static final String SCORE = "score", LABEL = "label", ERROR = "error";

    /**
     * What a run did. Counts come from accumulators (a retried task may count twice).
     *
     * @param scoringSeconds task time spent scoring (tokenize, forward pass, head), summed over tasks
     * @param recordsEmbedded distinct records embedded, summed over partitions (pairs; 0 for classify)
     */
    public record Summary(long rows, long errors, long positives, double seconds, String output, double scoringSeconds,
                          long recordsEmbedded) {
        public double rowsPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "rows %d  errors %d  positives %d  %.1f s  %.0f rows/s  -> %s",
                    rows, errors, positives, seconds, rowsPerSecond(), output);
        }
    }

    private SparkScorer() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line; returns the exit code (0 ok, 2 bad usage, input or model). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        BatchOptions o;
        try {
            o = Args.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(Args.USAGE);
            return 2;
        }
        if (o == null) {
            out.println(Args.USAGE);
            return 0;
        }
        System.setProperty("ai.djl.offline", "true");
        SparkSession.Builder b = SparkSession.builder().appName("infer4j batch " + o.model())
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "8");
        if (o.master() != null) b.master(o.master());
        else if (System.getProperty("spark.master") == null) b.master("local[*]");
        if (ModelShipping.cluster(o.master())) {
            String files = ModelShipping.files(o, System.getProperty("spark.files"));
            if (files != null) b.config("spark.files", files);
        }
        SparkSession spark = b.getOrCreate();
        try {
            Summary s = run(spark, o, line -> {
                err.print("\r" + line + "   ");
                err.flush();
            });
            err.println();
            out.println("infer4j batch: " + s);
            return 0;
        } catch (InferenceException | IllegalArgumentException e) {
            err.println();
            err.println("error: " + e.getMessage());
            return 2;
        } finally {
            spark.stop();
        }
    }

    /** Scores {@code options.input()} into {@code options.output()}; {@code progress} gets a status line about once a second. */
    public static Summary run(SparkSession spark, BatchOptions requested, Consumer<String> progress) {
        long t0 = System.nanoTime();
        BatchOptions options = ModelShipping.ship(spark.sparkContext(), requested);
        // Atomic output: each task attempt writes under _temporary and only a committed attempt is moved into place
        // when the whole job commits (FileOutputCommitter v1), so a killed or retried task never leaves partial or
        // duplicated rows, and a failed job leaves no output (with speculation too).
        spark.sparkContext().hadoopConfiguration().set("mapreduce.fileoutputcommitter.algorithm.version", "1");
        Dataset<Row> in = read(spark, options);
        if (options.partitions() > 0) in = in.repartition(options.partitions());
        // an input 'label' (e.g. the ground truth of a labelled pair file) is kept as 'label_input'
        for (String c : new String[] {SCORE, LABEL, ERROR})
            if (Arrays.asList(in.schema().fieldNames()).contains(c)) in = in.withColumnRenamed(c, c + "_input");
        StructType schema = in.schema();
        boolean pair = options.task().equals("pair");
        InputColumns columns = pair ? InputColumns.forPairs(schema) : InputColumns.forText(schema, options.textColumn());
        StructType outSchema = schema.add(SCORE, DataTypes.DoubleType, true)
                .add(LABEL, pair ? DataTypes.IntegerType : DataTypes.StringType, true)
                .add(ERROR, DataTypes.StringType, true);
        for (String c : options.partitionBy())
            if (!Arrays.asList(outSchema.fieldNames()).contains(c))
                throw new IllegalArgumentException("--partition-by " + c + ": no such output column; columns are " + Arrays.toString(outSchema.fieldNames()));
        var sc = spark.sparkContext();
        LongAccumulator rows = sc.longAccumulator("infer4j rows"), errors = sc.longAccumulator("infer4j errors"),
                positives = sc.longAccumulator("infer4j positives"), scoring = sc.longAccumulator("infer4j scoring ns"),
                embedded = sc.longAccumulator("infer4j records embedded");
        var counters = new PartitionScorer.Counters(rows, errors, positives, scoring, embedded);
        Dataset<Row> scored = pair && options.dedupe().equals("job") && biEncoder(requested)
                ? RecordEmbeddings.score(in, outSchema, options, columns, counters,
                        options.partitions() > 0 ? options.partitions() : 2 * sc.defaultParallelism())
                : in.mapPartitions(new PartitionScorer(options, columns, counters), Encoders.row(outSchema));
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "infer4j-batch-progress");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        ticker.scheduleAtFixedRate(() -> progress.accept(status(spark, rows.value(), errors.value(), start)), 1, 1, TimeUnit.SECONDS);
        try {
            scored.write().mode(options.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                    .partitionBy(options.partitionBy().toArray(String[]::new)).parquet(options.output());
        } finally {
            ticker.shutdownNow();
        }
        progress.accept(status(spark, rows.value(), errors.value(), start));
        return new Summary(rows.value(), errors.value(), positives.value(), (System.nanoTime() - t0) / 1e9, requested.output(),
                scoring.value() / 1e9, embedded.value());
    }

    /**
     * True for a pair model with a bi-encoder head (embeddings can be shared between pairs). Loads the model in the
     * driver, which also fails the job early, before the cluster does any work, when the model cannot load.
     */
    private static boolean biEncoder(BatchOptions requested) {
        return RecordEmbeddings.biEncoder(ModelCache.get(requested)) != null;
    }

    private static String status(SparkSession spark, long rows, long errors, long start) {
        int tasks = 0, done = 0;
        var tracker = spark.sparkContext().statusTracker();
        for (int id : tracker.getActiveStageIds()) {
            scala.Option<SparkStageInfo> info = tracker.getStageInfo(id);
            if (info.isDefined()) {
                tasks += info.get().numTasks();
                done += info.get().numCompletedTasks();
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return String.format(Locale.ROOT, "scoring: %d rows  %.0f rows/s  errors %d  partitions %d/%d", rows,
                secs > 0 ? rows / secs : 0, errors, done, tasks);
    }

    static Dataset<Row> read(SparkSession spark, BatchOptions o) {
        String f = o.input().toLowerCase(Locale.ROOT);
        if (f.endsWith(".jsonl") || f.endsWith(".json") || f.endsWith(".ndjson")) return spark.read().json(o.input());
        if (f.endsWith(".csv")) return spark.read().option("header", "true").option("escape", "\"").csv(o.input());
        return spark.read().parquet(o.input());
    }
}
