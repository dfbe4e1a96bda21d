/**
 * Batch scoring on Apache Spark. {@link ai.infer4j.spark.SparkScorer} reads pairs or texts (parquet, JSON lines,
 * CSV), scores each partition with one engine model per executor JVM (embedding each distinct record once per
 * partition) and writes the input columns plus {@code score}, {@code label} and {@code error}; a bad row fills
 * {@code error}, never fails the job. The serving path never loads this module.
 *
 * <pre>
 * try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
 *     SparkScorer.Summary s = SparkScorer.run(spark, BatchOptions.pairs("duplicate", "pairs.parquet", "scored.parquet"),
 *             msg -&gt; { });
 *     double rowsPerSecond = s.rowsPerSecond();
 * }
 * </pre>
 * On a cluster: {@code spark-submit --class ai.infer4j.spark.SparkScorer spark/target/infer4j-spark-app.jar --model ...}.
 */
package ai.infer4j.spark;
