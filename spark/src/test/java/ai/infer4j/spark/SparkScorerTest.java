package ai.infer4j.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The Spark job end to end on local[2]: parquet in, parquet out, bad rows in 'error', one model load per JVM. */
class SparkScorerTest {
    private static final String[] BRANDS = {"sony", "canon", "logitech", "samsung", "netgear", "adobe", "belkin", "epson"};
    private static final String[] THINGS = {"wireless mouse", "laser printer", "usb hub", "photo editor", "router", "webcam"};
    private static final StructType RECORD = new StructType().add("title", DataTypes.StringType).add("brand", DataTypes.StringType)
            .add("price", DataTypes.StringType);
    private static final StructType PAIRS = new StructType().add("id", DataTypes.LongType).add("left", RECORD).add("right", RECORD);
    private static final int ROWS = 300, NULL_LEFT = 6, EMPTY_RIGHT = 4;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static String cacheDir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("infer4j-test").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        cacheDir = Path.of("target", "test-cache").toAbsolutePath().toString();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** Product pairs sharing records heavily (a few dozen products), with some rows that cannot be scored. */
    private static String writePairs(String name) {
        SplittableRandom r = new SplittableRandom(3);
        List<Row> products = new ArrayList<>();
        for (int i = 0; i < 40; i++)
            products.add(RowFactory.create(BRANDS[i % BRANDS.length] + " " + THINGS[i % THINGS.length] + " m" + (100 + i) + "x",
                    BRANDS[i % BRANDS.length], String.format(Locale.ROOT, "%d.99", 10 + r.nextInt(300))));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            Row left = i < NULL_LEFT ? null : products.get(r.nextInt(products.size()));
            Row right = i >= NULL_LEFT && i < NULL_LEFT + EMPTY_RIGHT ? RowFactory.create("", " ", null) : products.get(r.nextInt(products.size()));
            rows.add(RowFactory.create((long) i, left, right));
        }
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, PAIRS).repartition(3).write().parquet(path);
        return path;
    }

    @Test
    void scoresParquetPairsKeepingColumnsAndPuttingBadRowsInError() {
        String in = writePairs("pairs.parquet"), out = dir.resolve("scored.parquet").toString();
        var summary = SparkScorer.run(spark, BatchOptions.pairs("duplicate", in, out).withCacheDir(cacheDir).withPartitions(4)
                .withBatchRows(64), line -> { });
        Dataset<Row> scored = spark.read().parquet(out);
        assertThat(scored.columns()).containsExactly("id", "left", "right", "score", "label", "error");
        assertThat(scored.count()).isEqualTo(ROWS);
        assertThat(summary.rows()).isEqualTo(ROWS);
        assertThat(summary.errors()).isEqualTo(NULL_LEFT + EMPTY_RIGHT);
        Dataset<Row> bad = scored.filter("error is not null");
        assertThat(bad.count()).isEqualTo(NULL_LEFT + EMPTY_RIGHT);
        assertThat(bad.filter("score is not null or label is not null").count()).isZero();
        assertThat(bad.filter("id < " + NULL_LEFT).first().<String>getAs("error")).contains("left");
        Dataset<Row> good = scored.filter("error is null");
        assertThat(good.filter("score >= 0 and score <= 1 and label in (0, 1)").count()).isEqualTo(ROWS - NULL_LEFT - EMPTY_RIGHT);
        // identical records are duplicates
        assertThat(good.filter("left.title = right.title").filter("label = 1").count())
                .isEqualTo(good.filter("left.title = right.title").count());
        assertThat(summary.positives()).isEqualTo(good.filter("label = 1").count());
    }

    @Test
    void writesPartitionedByLabelWithBadRowsInTheNullPartition() {
        String in = writePairs("pairs-partitioned.parquet"), out = dir.resolve("by-label.parquet").toString();
        SparkScorer.run(spark, BatchOptions.pairs("duplicate", in, out).withCacheDir(cacheDir).withPartitionBy(List.of("label")), line -> { });
        assertThat(Path.of(out, "label=1")).isDirectory();
        assertThat(Path.of(out, "label=__HIVE_DEFAULT_PARTITION__")).isDirectory();
        assertThat(Path.of(out, "_SUCCESS")).exists();
        Dataset<Row> scored = spark.read().parquet(out);
        assertThat(scored.count()).isEqualTo(ROWS);
        assertThat(scored.select("id").distinct().count()).isEqualTo(ROWS);
        assertThat(scored.filter("label is null").count()).isEqualTo(NULL_LEFT + EMPTY_RIGHT);
    }

    @Test
    void refusesToPartitionByAColumnTheOutputDoesNotHave() {
        String in = writePairs("pairs-bad-partition.parquet");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SparkScorer.run(spark, BatchOptions.pairs("duplicate", in,
                        dir.resolve("never.parquet").toString()).withPartitionBy(List.of("lable")), line -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lable").hasMessageContaining("label");
    }

    @Test
    void modelIsLoadedOncePerJvmAcrossPartitionsAndJobs() throws IOException {
        // a model reference no other test uses, so this test sees its own first load
        Path head = dir.resolve("dup-copy.json");
        try (var in = getClass().getClassLoader().getResourceAsStream("ai/infer4j/engine/heads/duplicate.json")) {
            Files.copy(in, head);
        }
        String in = writePairs("pairs-cache.parquet");
        int before = ModelCache.loads();
        BatchOptions o = BatchOptions.pairs(head.toString(), in, dir.resolve("a.parquet").toString()).withCacheDir(cacheDir).withPartitions(6);
        SparkScorer.run(spark, o, line -> { });
        SparkScorer.run(spark, BatchOptions.pairs(head.toString(), in, dir.resolve("b.parquet").toString()).withCacheDir(cacheDir)
                .withPartitions(6), line -> { });
        assertThat(ModelCache.loads() - before).isEqualTo(1);
    }

    @Test
    void classifiesATextColumnFromJsonLines() throws IOException {
        Path in = dir.resolve("texts.jsonl");
        Files.write(in, List.of("{\"id\": 1, \"text\": \"what is the weather in paris tomorrow\"}",
                "{\"id\": 2, \"text\": \"I lost my credit card\"}", "{\"id\": 3, \"text\": \"\"}", "{\"id\": 4}"));
        String out = dir.resolve("intents.parquet").toString();
        var summary = SparkScorer.run(spark, BatchOptions.pairs("intent", in.toString(), out).withTask("classify").withCacheDir(cacheDir),
                line -> { });
        List<Row> rows = spark.read().parquet(out).orderBy("id").collectAsList();
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0).<String>getAs("label")).isEqualTo("weather");
        assertThat(rows.get(1).<String>getAs("label")).isEqualTo("report_lost_card");
        assertThat(rows.get(2).<String>getAs("error")).contains("empty");
        assertThat(rows.get(3).<String>getAs("error")).contains("null");
        assertThat(summary.errors()).isEqualTo(2);
    }

    @Test
    void readsFlatCsvPairColumnsKeepingAnInputLabel() throws IOException {
        Path in = dir.resolve("pairs.csv");
        Files.write(in, List.of("left_title,left_price,right_title,right_price,label",
                "canon laser printer lp200,99.0,canon lp200 laser printer,98.5,1",
                "sony wireless mouse sm10,20,netgear router nr900,80,0"));
        String out = dir.resolve("csv.parquet").toString();
        SparkScorer.run(spark, BatchOptions.pairs("duplicate", in.toString(), out).withCacheDir(cacheDir), line -> { });
        Dataset<Row> scored = spark.read().parquet(out);
        assertThat(scored.columns()).containsExactly("left_title", "left_price", "right_title", "right_price", "label_input",
                "score", "label", "error");
        List<Row> rows = scored.collectAsList();
        assertThat(rows).hasSize(2);
        assertThat(rows).allSatisfy(r -> assertThat(r.<String>getAs("error")).isNull());
        double same = rows.stream().filter(r -> r.<String>getAs("left_title").startsWith("canon")).findFirst().orElseThrow().getAs("score");
        double other = rows.stream().filter(r -> r.<String>getAs("left_title").startsWith("sony")).findFirst().orElseThrow().getAs("score");
        assertThat(same).isGreaterThan(other);
    }
}
