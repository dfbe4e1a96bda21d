package ai.infer4j.engine.optimize;

import ai.infer4j.engine.task.Classifier;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.Tokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain in-process benchmark of model variants (not a test): batch-1 latency of short queries and
 * the best throughput over a few batch sizes. Variants are measured round-robin, one query each in
 * turn, and throughput in rounds that alternate the variants (the best round counts), so background load
 * hits them alike. Not thread-safe; run one at a time.
 */
public final class VariantBench {

    /**
     * One variant's figures.
     *
     * @param latencyP50Ms   batch-1 latency (tokenize + forward + head), median, ms
     * @param latencyP99Ms   same, 99th percentile, ms
     * @param throughputBySize sentences per second by batch size (forward + head, pre-tokenized, length-sorted batches), best round
     * @param roundsBySize     the same, every round in order (round i of every variant ran back to back, so ratios of
     *                         two variants are best taken round by round)
     */
    public record Result(String name, double latencyP50Ms, double latencyP99Ms, Map<Integer, Double> throughputBySize,
                         Map<Integer, double[]> roundsBySize) {
        /**
         * The median over rounds of this variant's throughput divided by {@code ref}'s in the same round, at this
         * variant's best batch size: steadier than a ratio of two best rounds when the machine's load moves.
         */
        public double medianRoundRatio(Result ref) {
            double[] mine = roundsBySize.get(bestBatchSize()), theirs = ref.roundsBySize.get(bestBatchSize());
            double[] r = new double[Math.min(mine.length, theirs.length)];
            for (int i = 0; i < r.length; i++) r[i] = mine[i] / theirs[i];
            Arrays.sort(r);
            return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
        }

        public int bestBatchSize() {
            return throughputBySize.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }

        public double bestThroughput() {
            return throughputBySize.get(bestBatchSize());
        }
    }

    private VariantBench() {
    }

    /**
     * Measures each variant.
     *
     * @param queries      short texts for the batch-1 latency (each variant answers every one)
     * @param warmup       untimed queries per variant first
     * @param bulk         texts for the throughput runs
     * @param batchSizes   batch sizes tried for throughput
     */
    public static List<Result> run(Map<String, Model> variants, List<String> queries, int warmup, List<String> bulk,
                                   int[] batchSizes, Progress progress) {
        return run(variants, queries, warmup, bulk, batchSizes, ROUNDS, progress);
    }

    /** As {@link #run(Map, List, int, List, int[], Progress)} with {@code rounds} throughput rounds per batch size. */
    public static List<Result> run(Map<String, Model> variants, List<String> queries, int warmup, List<String> bulk,
                                   int[] batchSizes, int rounds, Progress progress) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        Map<String, long[]> nanos = new LinkedHashMap<>();
        variants.keySet().forEach(k -> nanos.put(k, new long[queries.size()]));
        for (var e : variants.entrySet())
            for (int i = 0; i < warmup; i++) once(e.getValue(), queries.get(i % queries.size()));
        for (int i = 0; i < queries.size(); i++) {
            for (var e : variants.entrySet()) {
                long t0 = System.nanoTime();
                once(e.getValue(), queries.get(i));
                nanos.get(e.getKey())[i] = System.nanoTime() - t0;
            }
            progress.update("batch-1 latency", i + 1, queries.size());
        }
        Map<String, List<Tokens>> tokens = new LinkedHashMap<>();
        variants.forEach((k, m) -> tokens.put(k, m.tokenize(bulk.stream().map(TextInput::of).toList())));
        Map<String, Map<Integer, Double>> tput = new LinkedHashMap<>();
        Map<String, Map<Integer, double[]>> perRound = new LinkedHashMap<>();
        variants.keySet().forEach(k -> {
            tput.put(k, new LinkedHashMap<>());
            perRound.put(k, new LinkedHashMap<>());
        });
        int step = 0;
        for (int b : batchSizes) {
            for (var e : variants.entrySet()) { // warm up this shape
                List<Tokens> t = tokens.get(e.getKey());
                e.getValue().backbone().forwardAll(t.subList(0, Math.min(t.size(), 4 * b)), b, n -> { });
            }
            // rounds alternate the variants, so a burst of background load hits them alike; the best round counts
            for (int round = 0; round < rounds; round++)
                for (var e : variants.entrySet()) {
                    double s = throughput(e.getValue(), tokens.get(e.getKey()), bulk, b);
                    tput.get(e.getKey()).merge(b, s, Math::max);
                    perRound.get(e.getKey()).computeIfAbsent(b, x -> new double[rounds])[round] = s;
                    progress.update("throughput", ++step, (long) batchSizes.length * rounds * variants.size());
                }
        }
        List<Result> out = new ArrayList<>();
        for (String k : variants.keySet()) {
            long[] ns = nanos.get(k).clone();
            Arrays.sort(ns);
            out.add(new Result(k, percentile(ns, 0.50) / 1e6, percentile(ns, 0.99) / 1e6, tput.get(k), perRound.get(k)));
        }
        return out;
    }

    /** Rounds of each throughput measurement, by default. */
    static final int ROUNDS = 3;

    /**
     * Sentences per second: forward passes over pre-tokenized texts in batches of {@code b}, plus the head (which reads
     * the text too when it has a lexical layer).
     */
    private static double throughput(Model m, List<Tokens> tokens, List<String> texts, int b) {
        long t0 = System.nanoTime();
        float[][] v = m.backbone().forwardAll(tokens, b, n -> { });
        if (m.task() instanceof Classifier) for (int i = 0; i < v.length; i++) m.predict(v[i], texts.get(i));
        return tokens.size() / ((System.nanoTime() - t0) / 1e9);
    }

    private static void once(Model m, String text) {
        float[] v = m.backbone().forward(m.tokenize(List.of(TextInput.of(text)))).vectors()[0];
        if (m.task() instanceof Classifier) m.predict(v, text);
    }

    static double percentile(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
