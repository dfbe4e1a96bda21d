package ai.infer4j.spark;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.PairBatch;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledPair;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Benchmark (not a test): pairs/s of the Spark job on {@code local[N]} against the engine in-process
 * on the same pairs, in the same JVM and run, alternating so that both see the same machine load.
 * <pre>
 * java @spark/target/spark-jvm.args -cp "spark/target/infer4j-spark.jar:spark/target/lib/*" \
 *     ai.infer4j.spark.BatchBench PAIRS.jsonl[,MORE.jsonl] [--cores 2] [--rounds 2] [--limit N] [--model duplicate] \
 *     [--partitions N (default cores; 0 = as read)] [--batch-rows 1024] [--dedupe job,partition]
 * </pre>
 * A command-line harness: it prints its results.
 */
public final class BatchBench {
    /** Fleet target the extrapolation is made for, pairs per second. */
    static final double FLEET_TARGET = 8_800;

    private BatchBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1)
            throw new IllegalArgumentException("usage: BatchBench PAIRS.jsonl[,MORE.jsonl] [--cores 2] [--rounds 2] [--limit N] [--model duplicate] [--partitions N] [--batch-rows N] [--dedupe job,partition]");
        int cores = 2, rounds = 2, limit = Integer.MAX_VALUE, partitions = -1, batchRows = 1024;
        List<String> dedupes = List.of("job", "partition");
        String master = null, appJar = "spark/target/infer4j-spark-app.jar";
        String model = "duplicate";
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--cores" -> cores = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--model" -> model = args[i + 1];
                case "--limit" -> limit = Integer.parseInt(args[i + 1]);
                case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
                case "--batch-rows" -> batchRows = Integer.parseInt(args[i + 1]);
                case "--dedupe" -> dedupes = List.of(args[i + 1].split(","));
                case "--master" -> master = args[i + 1];
                case "--app-jar" -> appJar = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintStream out = System.out;
        List<PairInput> pairs = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (String f : args[0].split(",")) {
            files.add(Path.of(f));
            for (LabeledPair p : DataFiles.readPairs(Path.of(f))) pairs.add(p.pair());
        }
        if (pairs.size() > limit) {
            // every k-th pair, so the sample keeps the files' mix and roughly their record sharing
            List<PairInput> sample = new ArrayList<>();
            for (int i = 0; i < limit; i++) sample.add(pairs.get((int) ((long) i * pairs.size() / limit)));
            pairs = sample;
        }
        Path work = Files.createTempDirectory("infer4j-batch-bench");
        Path jsonl = work.resolve("pairs.jsonl");
        List<String> lines = new ArrayList<>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (PairInput p : pairs) lines.add(json.writeValueAsString(Map.of("left", p.left(), "right", p.right())));
        Files.write(jsonl, lines);

        boolean cluster = master != null && !master.startsWith("local");
        SparkSession.Builder b = SparkSession.builder().master(cluster ? master : "local[" + cores + "]").appName("infer4j batch bench")
                .config("spark.ui.enabled", "false");
        // a cluster (e.g. spark/it/cluster-bench.sh): executors get everything from the application jar, 1 core each
        if (cluster) b.config("spark.jars", Path.of(appJar).toAbsolutePath().toString()).config("spark.executor.cores", "1")
                .config("spark.cores.max", "" + cores).config("spark.executor.memory", "1g");
        SparkSession spark = b.getOrCreate();
        String parquet = work.resolve("pairs.parquet").toString();
        spark.read().json(jsonl.toString()).repartition(cores).write().parquet(parquet);

        if (partitions < 0) partitions = cores;
        // --partitions 0: score the input as read (no shuffle)
        BatchOptions base = BatchOptions.pairs(model, parquet, work.resolve("out.parquet").toString()).withOverwrite(true)
                .withBatchRows(batchRows).withPartitions(partitions);
        Model inProcess;
        Engine engine = Engine.create(ModelCache.engineOptions(base).withIntraOpThreads(cores));
        inProcess = engine.load(model);
        long distinct = distinctRecords(inProcess, pairs);
        out.printf(Locale.ROOT, "pairs %d from %s; distinct records %d (%.2f per pair); cores %d%n", pairs.size(), files,
                distinct, (double) distinct / pairs.size(), cores);
        // warm-up: loads the executor's model and the in-process model, first forward passes
        inProcess(inProcess, pairs.subList(0, Math.min(200, pairs.size())));
        SparkScorer.run(spark, base, s -> { });

        double bestIn = 0, bestSpark = 0, bestSparkPerCpu = 0;
        for (int r = 1; r <= rounds; r++) {
            long t0 = System.nanoTime(), c0 = cpuNanos();
            List<PairScore> scores = inProcess(inProcess, pairs);
            double in = pairs.size() / ((System.nanoTime() - t0) / 1e9), inCpu = pairs.size() / ((cpuNanos() - c0) / 1e9);
            long pos = scores.stream().filter(PairScore::duplicate).count();
            out.printf(Locale.ROOT, "round %d: in-process %.0f pairs/s, %.0f pairs per CPU-s (%d duplicates)%n", r, in, inCpu, pos);
            // both Spark variants right after the in-process run: the job-wide record dedupe (default) and per partition
            for (String dedupe : dedupes) {
                long c1 = cpuNanos() + executorCpuNanos();
                var s = SparkScorer.run(spark, base.withDedupe(dedupe), line -> { });
                double sp = s.rowsPerSecond(), spCpu = s.rows() / ((cpuNanos() + executorCpuNanos() - c1) / 1e9);
                out.printf(Locale.ROOT, "  spark " + (cluster ? master : "local[" + cores + "]") + " (%d cores) dedupe=%s: %.0f pairs/s, %.0f pairs per CPU-s (%d rows, %d errors, %d duplicates, "
                                + "%.1f s) | ratio to in-process %.0f%% wall, %.0f%% CPU | scoring %.1f s of %.1f core-s (%.0f%%), records "
                                + "embedded %d (in-process %d), partitions %d, batch rows %d%n",
                        cores, dedupe, sp, spCpu, s.rows(), s.errors(), s.positives(), s.seconds(), 100 * sp / in, 100 * spCpu / inCpu,
                        s.scoringSeconds(), s.seconds() * cores, 100 * s.scoringSeconds() / (s.seconds() * cores), s.recordsEmbedded(),
                        distinct, partitions, batchRows);
                if (dedupe.equals(dedupes.get(0))) {
                    bestSpark = Math.max(bestSpark, sp);
                    bestSparkPerCpu = Math.max(bestSparkPerCpu, spCpu);
                }
            }
            bestIn = Math.max(bestIn, in);
        }
        double perCore = bestSpark / cores;
        out.printf(Locale.ROOT, "best (spark dedupe=" + dedupes.get(0) + "): in-process %.0f pairs/s, spark %.0f pairs/s, ratio %.0f%%; %.0f pairs/s per core (wall) -> %.0f cores "
                        + "for %.0f pairs/s; %.0f pairs per CPU-second -> %.0f busy cores%n",
                bestIn, bestSpark, 100 * bestSpark / bestIn, perCore, Math.ceil(FLEET_TARGET / perCore), FLEET_TARGET, bestSparkPerCpu,
                Math.ceil(FLEET_TARGET / bestSparkPerCpu));
        spark.stop();
        engine.close();
    }

    /**
     * The engine's best in-process bulk path: one record cache over all pairs, so each distinct record is embedded
     * once ({@code Model.scorePairs} embeds both sides of every pair).
     */
    private static List<PairScore> inProcess(Model m, List<PairInput> pairs) {
        return PairBatch.score(m, pairs, new HashMap<>(), Model.BULK_BATCH).stream().map(PairBatch.Result::score).toList();
    }

    /**
     * CPU time of the executor JVMs on this machine (a standalone cluster started here), nanoseconds; 0 in local mode.
     * Linux: utime + stime of every process running CoarseGrainedExecutorBackend.
     */
    private static long executorCpuNanos() {
        long ticks = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    if (!new String(Files.readAllBytes(p.resolve("cmdline"))).contains("CoarseGrainedExecutorBackend")) continue;
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                } catch (IOException | RuntimeException gone) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * 10_000_000L; // USER_HZ = 100
    }

    /** CPU time of this whole JVM (driver and local executors), nanoseconds. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long distinctRecords(Model m, List<PairInput> pairs) {
        Set<String> texts = new HashSet<>();
        var bi = (BiEncoderPair) m.task();
        for (PairInput p : pairs) {
            texts.add(bi.text(p.left(), "left"));
            texts.add(bi.text(p.right(), "right"));
        }
        return texts.size();
    }
}
