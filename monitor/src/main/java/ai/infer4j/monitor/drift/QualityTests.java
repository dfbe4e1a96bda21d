package ai.infer4j.monitor.drift;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Bootstrap confidence intervals of accuracy and macro-F1 differences (window minus baseline) from
 * (true label, predicted label) samples.
 *
 * <p>Accuracy is an average, so each side is resampled at its own size. Macro-F1 is not: on a few events per
 * class it is biased (a class seen once and missed scores 0), so a 600-event window would look worse than a
 * 15,000-row baseline with no change at all. Both sides are therefore resampled at the window's size, so the
 * interval compares like with like (and is wider, i.e. conservative, because the baseline side then carries
 * the variance of a window-sized sample).
 */
public final class QualityTests {
    private QualityTests() {
    }

    /** A difference (window minus baseline) with its two-sided bootstrap interval and a one-sided bootstrap p-value for a drop. */
    public record Interval(double baseline, double window, double difference, double low, double high, double pDrop) { }

    /** A labelled sample: per row the index of its (truth, predicted) pair, with the pairs' label indexes. */
    public static final class Sample {
        final int[] rows;
        final int[] truth, predicted;
        final int labels;

        Sample(int[] rows, int[] truth, int[] predicted, int labels) {
            this.rows = rows;
            this.truth = truth;
            this.predicted = predicted;
            this.labels = labels;
        }

        public int size() {
            return rows.length;
        }
    }

    /** Builds a baseline sample and a window sample over one label index. */
    public static Sample[] samples(Map<List<String>, Long> basePairs, List<String> windowTruth, List<String> windowPredicted) {
        Map<String, Integer> labels = new LinkedHashMap<>();
        Map<List<String>, Integer> pairs = new LinkedHashMap<>();
        basePairs.keySet().forEach(k -> pairs.putIfAbsent(k, pairs.size()));
        for (int i = 0; i < windowTruth.size(); i++) pairs.putIfAbsent(List.of(windowTruth.get(i), windowPredicted.get(i)), pairs.size());
        int[] truth = new int[pairs.size()], pred = new int[pairs.size()];
        pairs.forEach((k, i) -> {
            truth[i] = labels.computeIfAbsent(k.get(0), x -> labels.size());
            pred[i] = labels.computeIfAbsent(k.get(1), x -> labels.size());
        });
        long nb = basePairs.values().stream().mapToLong(Long::longValue).sum();
        int[] baseRows = new int[Math.toIntExact(nb)];
        int at = 0;
        for (var e : basePairs.entrySet()) for (long j = 0; j < e.getValue(); j++) baseRows[at++] = pairs.get(e.getKey());
        int[] winRows = new int[windowTruth.size()];
        for (int i = 0; i < winRows.length; i++) winRows[i] = pairs.get(List.of(windowTruth.get(i), windowPredicted.get(i)));
        return new Sample[] {new Sample(baseRows, truth, pred, labels.size()), new Sample(winRows, truth, pred, labels.size())};
    }

    public static double accuracy(Sample s, int[] rows) {
        int ok = 0;
        for (int r : rows) if (s.truth[r] == s.predicted[r]) ok++;
        return rows.length == 0 ? Double.NaN : (double) ok / rows.length;
    }

    /** Unweighted mean F1 over every label seen as truth or prediction (as {@code ClassificationReport}). */
    public static double macroF1(Sample s, int[] rows) {
        int[] tp = new int[s.labels], fp = new int[s.labels], fn = new int[s.labels];
        for (int r : rows) {
            int t = s.truth[r], p = s.predicted[r];
            if (t == p) tp[t]++;
            else {
                fp[p]++;
                fn[t]++;
            }
        }
        double sum = 0;
        int seen = 0;
        for (int l = 0; l < s.labels; l++) {
            if (tp[l] + fp[l] + fn[l] == 0) continue;
            seen++;
            sum += 2.0 * tp[l] / (2.0 * tp[l] + fp[l] + fn[l]);
        }
        return seen == 0 ? Double.NaN : sum / seen;
    }

    /** Interval of accuracy(window) − accuracy(baseline), each side resampled at its own size; two-sided level {@code 1 - alpha}. */
    public static Interval accuracy(Sample base, Sample window, double alpha, int reps, long seed) {
        return interval(base, window, false, alpha, reps, seed);
    }

    /** Interval of macro-F1(window) − macro-F1(baseline at the window's size); two-sided level {@code 1 - alpha}. */
    public static Interval macroF1(Sample base, Sample window, double alpha, int reps, long seed) {
        return interval(base, window, true, alpha, reps, seed);
    }

    private static Interval interval(Sample base, Sample window, boolean f1, double alpha, int reps, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = window.size();
        int[] bRows = new int[f1 ? n : base.size()], wRows = new int[n];
        double[] diffs = new double[reps];
        double baseSum = 0;
        for (int k = 0; k < reps; k++) {
            for (int i = 0; i < bRows.length; i++) bRows[i] = base.rows[r.nextInt(base.size())];
            for (int i = 0; i < n; i++) wRows[i] = window.rows[r.nextInt(n)];
            double b = f1 ? macroF1(base, bRows) : accuracy(base, bRows);
            double w = f1 ? macroF1(window, wRows) : accuracy(window, wRows);
            diffs[k] = w - b;
            baseSum += b;
        }
        double baseValue = f1 ? baseSum / reps : accuracy(base, base.rows); // macro-F1: the baseline's expected value at size n
        double winValue = f1 ? macroF1(window, window.rows) : accuracy(window, window.rows);
        Arrays.sort(diffs);
        double low = quantile(diffs, alpha / 2), high = quantile(diffs, 1 - alpha / 2);
        int notDrop = 0;
        for (double d : diffs) if (d >= 0) notDrop++;
        return new Interval(baseValue, winValue, winValue - baseValue, low, high, (1.0 + notDrop) / (1.0 + reps));
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
