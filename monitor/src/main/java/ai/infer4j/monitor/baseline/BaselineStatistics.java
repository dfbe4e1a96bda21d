package ai.infer4j.monitor.baseline;

import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.monitor.capture.Observation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * What "normal" looks like for a model ({@code statistics.json}): the predicted-class distribution, samples of
 * the confidence, input length (token) and novelty score distributions, unknown-token and truncation rates, and a sketch of
 * the pooled embeddings (centroid, covariance and a reference sample); with true labels, accuracy and macro-F1.
 *
 * @param labels       every label the model can predict, in its order (empty for an embedding model)
 * @param classCounts  predicted label → count
 * @param confidence   sorted sample of top-label confidences (all of them up to {@link #MAX_SAMPLE})
 * @param tokens       sorted sample of token counts
 * @param centroid     mean sketch (empty when no sketches)
 * @param covariance   sketch covariance
 * @param reference    random sample of sketches (at most {@link #MAX_REFERENCE}) for the MMD test
 * @param provenance   how the outputs were obtained: {@code cross_fitted} (the head's own training data, predicted
 *                     out-of-fold), {@code selection_data} (the split the head's hyper-parameters were selected on),
 *                     {@code independent} (data not recorded in the head's training metadata) or {@code unknown}
 * @param provenanceNote what that means for the baseline, in words
 * @param accuracy     against true labels, or null when the data had none
 * @param confusion    (true label, predicted label) → count, for the quality intervals; null when no labels
 * @param outOfScopeLabel the label the model answers for out-of-scope input (its rate is a drift signal); null: none or unknown
 * @param novelty      sorted sample of the head's out-of-scope scores ({@link Observation#novelty()}); empty when the head has
 *                     none (or the baseline was written before the score was kept)
 * @param confidenceNovelty random sample of (confidence, novelty) pairs of the events that have both, for the combined
 *                     {@code unfamiliarity} score; empty when the head has no novelty score (or for older baselines)
 */
public record BaselineStatistics(String model, String version, String source, String provenance, String provenanceNote, int n,
                                 List<String> labels, Map<String, Long> classCounts, double[] confidence, int[] tokens, long unknownEvents,
                                 long truncatedEvents, int sketchDim, long sketchSeed, double[] centroid, double[][] covariance,
                                 float[][] reference, Double accuracy, Double macroF1, List<LabelPair> confusion,
                                 String outOfScopeLabel, double[] novelty, double[][] confidenceNovelty) {
    public BaselineStatistics {
        if (novelty == null) novelty = new double[0]; // statistics.json written before the novelty score
        if (confidenceNovelty == null) confidenceNovelty = new double[0][]; // ... or before the pairs were kept
        for (double[] pair : confidenceNovelty)
            if (pair == null || pair.length != 2) throw new IllegalArgumentException("confidenceNovelty holds (confidence, novelty) pairs");
    }

    /** Statistics without (confidence, novelty) pairs, as written before they were kept. */
    public BaselineStatistics(String model, String version, String source, String provenance, String provenanceNote, int n,
                              List<String> labels, Map<String, Long> classCounts, double[] confidence, int[] tokens, long unknownEvents,
                              long truncatedEvents, int sketchDim, long sketchSeed, double[] centroid, double[][] covariance,
                              float[][] reference, Double accuracy, Double macroF1, List<LabelPair> confusion,
                              String outOfScopeLabel, double[] novelty) {
        this(model, version, source, provenance, provenanceNote, n, labels, classCounts, confidence, tokens, unknownEvents, truncatedEvents,
                sketchDim, sketchSeed, centroid, covariance, reference, accuracy, macroF1, confusion, outOfScopeLabel, novelty, null);
    }

    /** How often a true label was predicted as another (or the same) label. */
    public record LabelPair(String truth, String predicted, long count) { }

    public static final String CROSS_FITTED = "cross_fitted", SELECTION_DATA = "selection_data", INDEPENDENT = "independent",
            UNKNOWN = "unknown";

    public static final int MAX_SAMPLE = 20_000;
    public static final int MAX_REFERENCE = 1_000;

    public double unknownRate() {
        return n == 0 ? 0 : (double) unknownEvents / n;
    }

    public double truncationRate() {
        return n == 0 ? 0 : (double) truncatedEvents / n;
    }

    /**
     * Statistics of observations. {@code labels} fixes the class order (labels observed but not listed are
     * appended); subsamples are drawn with {@code seed}.
     */
    public static BaselineStatistics of(String model, String version, String source, List<String> labels, List<Observation> obs,
                                int sketchDim, long sketchSeed, long seed) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String l : labels) counts.put(l, 0L);
        List<Double> conf = new ArrayList<>(), nov = new ArrayList<>();
        List<double[]> scorePairs = new ArrayList<>();
        int[] tok = new int[obs.size()];
        long unk = 0, trunc = 0;
        List<float[]> sketches = new ArrayList<>();
        List<String> truth = new ArrayList<>(), predicted = new ArrayList<>();
        for (int i = 0; i < obs.size(); i++) {
            Observation o = obs.get(i);
            if (o.label() != null) counts.merge(o.label(), 1L, Long::sum);
            if (!Double.isNaN(o.score())) conf.add(o.score());
            if (Double.isFinite(o.novelty())) nov.add(o.novelty());
            if (!Double.isNaN(o.score()) && Double.isFinite(o.novelty()))
                scorePairs.add(new double[] {Math.round(o.score() * 1e5) / 1e5, Math.round(o.novelty() * 1e5) / 1e5});
            tok[i] = o.tokens();
            if (o.unknown() > 0) unk++;
            if (o.truncated()) trunc++;
            if (o.sketch() != null && o.sketch().length == sketchDim) sketches.add(o.sketch());
            if (o.trueLabel() != null && o.label() != null) {
                truth.add(o.trueLabel());
                predicted.add(o.label());
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        double[] confidence = sample(conf.stream().mapToDouble(Double::doubleValue).toArray(), MAX_SAMPLE, r);
        Arrays.sort(confidence);
        for (int i = 0; i < confidence.length; i++) confidence[i] = Math.round(confidence[i] * 1e5) / 1e5;
        double[] novelty = sample(nov.stream().mapToDouble(Double::doubleValue).toArray(), MAX_SAMPLE, r);
        Arrays.sort(novelty);
        for (int i = 0; i < novelty.length; i++) novelty[i] = Math.round(novelty[i] * 1e5) / 1e5;
        int[] tokens = sampleInts(tok, MAX_SAMPLE, r);
        Arrays.sort(tokens);
        double[] centroid = new double[sketches.isEmpty() ? 0 : sketchDim];
        double[][] cov = new double[centroid.length][centroid.length];
        for (float[] s : sketches) for (int d = 0; d < centroid.length; d++) centroid[d] += s[d] / (double) sketches.size();
        for (float[] s : sketches)
            for (int a = 0; a < centroid.length; a++)
                for (int b = 0; b < centroid.length; b++)
                    cov[a][b] += (s[a] - centroid[a]) * (s[b] - centroid[b]) / Math.max(1, sketches.size() - 1);
        List<float[]> shuffled = new ArrayList<>(sketches);
        for (int i = shuffled.size() - 1; i > 0; i--) Collections.swap(shuffled, i, r.nextInt(i + 1));
        float[][] reference = shuffled.subList(0, Math.min(MAX_REFERENCE, shuffled.size())).toArray(float[][]::new);
        Double acc = null, f1 = null;
        List<LabelPair> confusion = null;
        if (!truth.isEmpty()) {
            ClassificationReport rep = ClassificationReport.of(truth, predicted, null);
            acc = rep.accuracy();
            f1 = rep.macroF1();
            Map<List<String>, Long> pairs = new TreeMap<>(Comparator.comparing((List<String> l) -> l.get(0))
                    .thenComparing(l -> l.get(1)));
            for (int i = 0; i < truth.size(); i++) pairs.merge(List.of(truth.get(i), predicted.get(i)), 1L, Long::sum);
            confusion = pairs.entrySet().stream().map(e -> new LabelPair(e.getKey().get(0), e.getKey().get(1), e.getValue())).toList();
        }
        // the pairs are drawn with their own generator, so the other samples stay what they were before pairs were kept
        SplittableRandom rp = new SplittableRandom(seed + 1);
        List<double[]> shuffledPairs = new ArrayList<>(scorePairs);
        for (int i = 0; i < Math.min(MAX_SAMPLE, shuffledPairs.size()); i++) Collections.swap(shuffledPairs, i, i + rp.nextInt(shuffledPairs.size() - i));
        double[][] confidenceNovelty = shuffledPairs.subList(0, Math.min(MAX_SAMPLE, shuffledPairs.size())).toArray(double[][]::new);
        return new BaselineStatistics(model, version, source, UNKNOWN, "", obs.size(), List.copyOf(counts.keySet()), counts, confidence,
                tokens, unk, trunc, centroid.length == 0 ? 0 : sketchDim, sketchSeed, centroid, cov, reference, acc, f1, confusion, null, novelty,
                confidenceNovelty);
    }

    /** The same statistics with where they came from. */
    public BaselineStatistics withProvenance(String kind, String note) {
        return new BaselineStatistics(model, version, source, kind, note, n, labels, classCounts, confidence, tokens, unknownEvents,
                truncatedEvents, sketchDim, sketchSeed, centroid, covariance, reference, accuracy, macroF1, confusion, outOfScopeLabel, novelty,
                confidenceNovelty);
    }

    /** The same statistics with the model's out-of-scope label (null: none). */
    public BaselineStatistics withOutOfScopeLabel(String label) {
        return new BaselineStatistics(model, version, source, provenance, provenanceNote, n, labels, classCounts, confidence, tokens, unknownEvents,
                truncatedEvents, sketchDim, sketchSeed, centroid, covariance, reference, accuracy, macroF1, confusion, label, novelty,
                confidenceNovelty);
    }

    /** Events predicted as {@code label} in the baseline. */
    public long countOf(String label) {
        return classCounts.getOrDefault(label, 0L);
    }

    /** Events with a predicted label in the baseline. */
    public long predictedEvents() {
        return classCounts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Class counts in {@link #labels()} order, plus a last cell for labels the baseline never saw. */
    public long[] countsOf(Map<String, Long> window) {
        long[] out = new long[labels.size() + 1];
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) index.put(labels.get(i), i);
        window.forEach((l, c) -> out[index.getOrDefault(l, labels.size())] += c);
        return out;
    }

    private static double[] sample(double[] v, int max, SplittableRandom r) {
        if (v.length <= max) return v.clone();
        double[] c = v.clone();
        for (int i = 0; i < max; i++) {
            int j = i + r.nextInt(c.length - i);
            double t = c[i];
            c[i] = c[j];
            c[j] = t;
        }
        return Arrays.copyOf(c, max);
    }

    private static int[] sampleInts(int[] v, int max, SplittableRandom r) {
        if (v.length <= max) return v.clone();
        int[] c = v.clone();
        for (int i = 0; i < max; i++) {
            int j = i + r.nextInt(c.length - i);
            int t = c[i];
            c[i] = c[j];
            c[j] = t;
        }
        return Arrays.copyOf(c, max);
    }
}
