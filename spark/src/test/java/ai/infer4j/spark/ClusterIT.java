package ai.infer4j.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batch job on a real Spark standalone cluster on this machine, started from Spark's own classes: one
 * {@code Master} and two {@code Worker}s (1 core each) as separate JVMs on a throwaway SPARK_HOME whose
 * {@code jars/} holds Spark's jars from Maven Central only (none of infer4j's: the executors get the engine, the
 * backbone and ONNX Runtime from the submitted application jar alone), and {@code SparkSubmit} of
 * {@code target/infer4j-spark-app.jar}. The head file is shipped by Spark (no shared disk path reaches the
 * executors). One executor is killed (SIGKILL) mid-job; the output must still hold every row exactly once and
 * equal the local-mode result row for row.
 * <p>
 * Not part of the default build (it takes minutes): {@code spark/it/cluster-check.sh}, or
 * {@code mvn -B -Pspark-cluster-it -pl spark -am -DskipTests verify}. Ports come from
 * {@code -Dinfer4j.it.port} (default 18400) upwards, about 30 of them.
 */
class ClusterIT {
    private static final Duration START = Duration.ofMinutes(2), JOB = Duration.ofMinutes(15);
    private static final int ROWS = 1_600, PARTITIONS = 8, NULL_LEFT = 5;
    /** Jars that only infer4j brings: they must reach the executors inside the application jar, never via SPARK_HOME. */
    private static final List<String> APP_ONLY = List.of("infer4j-", "onnxruntime-", "tokenizers-", "api-", "langchain4j-", "jna-", "gson-");

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopCluster() {
        // reverse order of start: the submit, the workers (with their executors), the master
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void clusterResultEqualsLocalModeAndSurvivesAKilledExecutor() throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        Path app = target.resolve("infer4j-spark-app.jar");
        assertThat(app).as("run 'mvn package' first (the profile does)").isRegularFile();
        Path work = Files.createTempDirectory(target, "cluster-it-");
        int port = Integer.getInteger("infer4j.it.port", 18400);
        long t0 = System.nanoTime();

        Path sparkHome = sparkHome(target, work.resolve("spark-home"));
        String input = work.resolve("pairs.parquet").toString(), local = work.resolve("local.parquet").toString();
        Path head = work.resolve("shipped-duplicate.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("ai/infer4j/engine/heads/duplicate.json")) {
            Files.copy(in, head);
        }
        // input and the local-mode reference, in this JVM
        SparkSession spark = SparkSession.builder().master("local[2]").appName("infer4j cluster-it reference")
                .config("spark.ui.enabled", "false").getOrCreate();
        long tLocal;
        try {
            writePairs(spark, input);
            long l0 = System.nanoTime();
            SparkScorer.run(spark, options(head.toString(), input, local, work), s -> { });
            tLocal = System.nanoTime() - l0;
        } finally {
            spark.stop();
        }

        // the cluster
        String master = "spark://127.0.0.1:" + port;
        Process m = start(sparkHome, work, "master", "-Xmx512m", "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", "" + port, "--webui-port", "" + (port + 1));
        Process[] workers = new Process[2];
        for (int w = 0; w < 2; w++)
            workers[w] = start(sparkHome, work, "worker" + w, "-Xmx512m", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--port", "" + (port + 2 + w), "--webui-port", "" + (port + 4 + w), "--cores", "1", "--memory", "1536m",
                    "--work-dir", work.resolve("worker" + w + "-work").toString(), master);
        await("two workers registered", START, () -> count(work.resolve("master.log"), "Registering worker") >= 2 || !m.isAlive());
        assertThat(m.isAlive()).as("master alive (see %s)", work.resolve("master.log")).isTrue();

        String out = work.resolve("cluster.parquet").toString();
        long c0 = System.nanoTime();
        List<String> submit = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit", "--master", master, "--deploy-mode", "client",
                "--class", "ai.infer4j.spark.SparkScorer", "--name", "infer4j cluster-it",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.port=" + (port + 6),
                "--conf", "spark.driver.blockManager.port=" + (port + 7), "--conf", "spark.blockManager.port=" + (port + 10),
                "--conf", "spark.port.maxRetries=16", "--conf", "spark.executor.memory=1g", "--conf", "spark.executor.cores=1",
                "--conf", "spark.cores.max=2", app.toString()));
        submit.addAll(args(options(head.toString(), input, out, work)));
        Process job = start(sparkHome, work, "submit", "-Xmx1g", submit.toArray(String[]::new));

        // mid-job: once a first task has committed and before the job commits, SIGKILL the first worker's executor
        Path committed = Path.of(out, "_temporary", "0");
        await("a first committed task", JOB, () -> !job.isAlive() || taskCommits(committed) > 0);
        assertThat(job.isAlive()).as("job still running at the kill (see %s)", work.resolve("submit.log")).isTrue();
        List<ProcessHandle> executors = executors(workers[0]);
        assertThat(executors).as("an executor under worker 0").isNotEmpty();
        long doneAtKill = taskCommits(committed);
        executors.forEach(ProcessHandle::destroyForcibly);
        assertThat(Files.exists(Path.of(out, "_SUCCESS"))).as("job not yet committed at the kill").isFalse();

        assertThat(job.waitFor(JOB.toSeconds(), TimeUnit.SECONDS)).as("job finished").isTrue();
        long tCluster = System.nanoTime() - c0;
        assertThat(job.exitValue()).as("submit exit code (see %s)", work.resolve("submit.log")).isZero();
        assertThat(Files.readString(work.resolve("submit.log"))).as("a running task was lost with the executor")
                .contains("ExecutorLostFailure");
        String masterLog = Files.readString(work.resolve("master.log"));
        assertThat(masterLog).as("the master saw the killed executor").containsPattern("Removing executor .* because it is (FAILED|EXITED)");

        // every executor loaded the model once, from its own SparkFiles copy (not the driver's path)
        List<Path> logs;
        try (Stream<Path> s = Files.walk(work)) {
            logs = s.filter(p -> p.getFileName().toString().equals("stderr") && p.toString().contains("-work" + File.separator + "app-")).toList();
        }
        assertThat(logs.size()).as("executors started (2 + the replacement)").isGreaterThanOrEqualTo(3);
        for (Path log : logs) {
            String text = Files.readString(log);
            if (!text.contains("executor loaded model")) continue; // a replacement that got no task
            assertThat(count(log, "executor loaded model")).as("model loads in %s", log).isEqualTo(1);
            assertThat(text).doesNotContain("from " + head).contains("shipped-duplicate.json");
        }

        SparkSession check = SparkSession.builder().master("local[1]").appName("infer4j cluster-it check")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            assertThat(Path.of(out, "_SUCCESS")).exists();
            assertThat(Path.of(out, "_temporary")).doesNotExist();
            assertThat(Path.of(out, "label=1")).isDirectory();
            Dataset<Row> got = check.read().parquet(out), want = check.read().parquet(local);
            assertThat(got.count()).as("rows, none lost or duplicated").isEqualTo(ROWS);
            assertThat(got.select("id").distinct().count()).isEqualTo(ROWS);
            Map<Long, Row> ref = new HashMap<>();
            for (Row r : want.collectAsList()) ref.put(r.<Long>getAs("id"), r);
            int errors = 0;
            for (Row r : got.collectAsList()) {
                Row w = ref.get(r.<Long>getAs("id"));
                assertThat(w).isNotNull();
                assertThat((Object) r.getAs("error")).isEqualTo(w.getAs("error"));
                assertThat((Object) r.getAs("label")).isEqualTo(w.getAs("label"));
                if (w.getAs("score") == null) {
                    assertThat((Object) r.getAs("score")).isNull();
                    errors++;
                } else {
                    assertThat(r.<Double>getAs("score")).isCloseTo(w.<Double>getAs("score"), within(1e-5));
                }
            }
            assertThat(errors).isEqualTo(NULL_LEFT);
        } finally {
            check.stop();
        }
        String timing = String.format(Locale.ROOT, "cluster-it: %d rows; local[2] %.1f s; cluster (2 workers x 1 core, one executor killed after %d "
                        + "committed tasks) %.1f s incl. submit; whole check %.1f s%n", ROWS, tLocal / 1e9, doneAtKill, tCluster / 1e9,
                (System.nanoTime() - t0) / 1e9);
        Files.writeString(target.resolve("cluster-it-timing.txt"), timing);
        System.out.print(timing);
    }

    private static BatchOptions options(String model, String input, String output, Path work) {
        // 8 partitions (a shuffle): a killed executor loses running tasks and the shuffle output it held
        return BatchOptions.pairs(model, input, output).withBatchRows(50).withPartitions(PARTITIONS)
                .withCacheDir(work.resolve("model-cache").toString()).withPartitionBy(List.of("label"));
    }

    /** The same options as {@code infer4j batch} arguments. */
    private static List<String> args(BatchOptions o) {
        return List.of("--model", o.model(), "--input", o.input(), "--output", o.output(), "--batch-rows", "" + o.batchRows(), "--partitions", "" + o.partitions(),
                "--cache-dir", o.cacheDir(), "--partition-by", String.join(",", o.partitionBy()));
    }

    /** Product pairs over many distinct records (so the job takes a while), a few with no left record. */
    private static void writePairs(SparkSession spark, String path) {
        String[] brands = {"sony", "canon", "logitech", "samsung", "netgear", "adobe", "belkin", "epson"};
        String[] things = {"wireless mouse", "laser printer", "usb hub", "photo editor", "router", "webcam", "keyboard", "monitor"};
        StructType record = new StructType().add("title", DataTypes.StringType).add("price", DataTypes.StringType);
        StructType schema = new StructType().add("id", DataTypes.LongType).add("left", record).add("right", record);
        SplittableRandom r = new SplittableRandom(16);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            String brand = brands[r.nextInt(brands.length)], thing = things[r.nextInt(things.length)];
            int model = r.nextInt(5_000);
            Row left = i < NULL_LEFT ? null : RowFactory.create(brand + " " + thing + " " + model + "x", (10 + r.nextInt(300)) + ".99");
            Row right = r.nextBoolean() ? RowFactory.create(brand + " " + model + "x " + thing, (10 + r.nextInt(300)) + ".49")
                    : RowFactory.create(brands[r.nextInt(brands.length)] + " " + things[r.nextInt(things.length)] + " " + r.nextInt(5_000) + "z",
                    (10 + r.nextInt(300)) + ".00");
            rows.add(RowFactory.create((long) i, left, right));
        }
        spark.createDataFrame(rows, schema).repartition(PARTITIONS).write().parquet(path);
    }

    /** A SPARK_HOME with {@code jars/} = Spark and its libraries (from the build's Maven Central copies), nothing of infer4j. */
    private static Path sparkHome(Path target, Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        try (Stream<Path> lib = Files.list(target.resolve("lib"))) {
            for (Path j : lib.toList()) {
                String n = j.getFileName().toString();
                if (APP_ONLY.stream().noneMatch(n::startsWith)) Files.createSymbolicLink(jars.resolve(n), j);
            }
        }
        return home;
    }

    private Process start(Path sparkHome, Path work, String name, String heap, String... mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap));
        cmd.addAll(List.of(System.getProperty("infer4j.it.jvm.opens", "").trim().split("\\s+")));
        cmd.removeIf(String::isEmpty);
        cmd.addAll(List.of("-cp", sparkHome.resolve("jars") + File.separator + "*"));
        cmd.addAll(List.of(mainAndArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** The executor JVMs a worker launched (its child processes running CoarseGrainedExecutorBackend). */
    private static List<ProcessHandle> executors(Process worker) {
        return worker.descendants().filter(h -> h.info().arguments()
                .map(a -> Arrays.asList(a).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")).orElse(false)).toList();
    }

    private static long taskCommits(Path committed) {
        if (!Files.isDirectory(committed)) return 0;
        try (Stream<Path> s = Files.list(committed)) {
            return s.filter(p -> p.getFileName().toString().startsWith("task_")).count();
        } catch (IOException e) {
            return 0; // the job commit moved it away meanwhile
        }
    }

    private static long count(Path file, String needle) {
        try {
            if (!Files.exists(file)) return 0;
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.contains(needle)).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls an outside process's state (logs, files): there is nothing to wait on in this JVM. */
    private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(200);
        }
    }
}
