package ai.infer4j.engine.optimize;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Paired bootstrap of a metric difference between two systems answering the same examples (Efron & Tibshirani; Koehn
 * 2004 for paired system comparison): the examples are resampled with replacement, both systems' metric is computed on
 * each resample, and the quantiles of the differences bound the drop one would see on another sample of the same
 * distribution. Deterministic (fixed seed), so the same data always gets the same gate decision.
 */
final class PairedBootstrap {
    /** Resamples drawn; the band's quantiles move by less than ~0.05 points between seeds at this count (4,342 pairs). */
    static final int RESAMPLES = 2000;
    private static final long SEED = 0x1f8a_5eedL;

    private PairedBootstrap() {
    }

    /**
     * Band of the accuracy drop (points, positive = {@code b} is worse): {low, high} = the {@code 1 - confidence} and
     * {@code confidence} quantiles of the resampled drops.
     */
    static double[] accuracyDrop(boolean[] correctA, boolean[] correctB, double confidence) {
        int n = check(correctA.length, correctB.length, confidence);
        // only the examples where exactly one system is right move the difference
        int[] delta = new int[n];
        for (int i = 0; i < n; i++) delta[i] = (correctA[i] ? 1 : 0) - (correctB[i] ? 1 : 0);
        SplittableRandom rnd = new SplittableRandom(SEED);
        double[] drops = new double[RESAMPLES];
        for (int r = 0; r < RESAMPLES; r++) {
            long sum = 0;
            for (int k = 0; k < n; k++) sum += delta[rnd.nextInt(n)];
            drops[r] = 100.0 * sum / n;
        }
        return band(drops, confidence);
    }

    /**
     * Band of the drop of the positive class's F1 (points, positive = {@code b} is worse) for decisions {@code a} and
     * {@code b} on examples labelled {@code y} (1 = positive).
     */
    static double[] f1Drop(int[] y, boolean[] a, boolean[] b, double confidence) {
        int n = check(y.length, a.length, confidence);
        if (b.length != n) throw new IllegalArgumentException(n + " labels but " + b.length + " decisions");
        // each example adds to (tp, fp, fn) of both systems; encode its contribution once
        int[] kind = new int[n];
        for (int i = 0; i < n; i++) kind[i] = (y[i] == 1 ? 4 : 0) | (a[i] ? 2 : 0) | (b[i] ? 1 : 0);
        SplittableRandom rnd = new SplittableRandom(SEED);
        double[] drops = new double[RESAMPLES];
        int[] count = new int[8];
        for (int r = 0; r < RESAMPLES; r++) {
            Arrays.fill(count, 0);
            for (int k = 0; k < n; k++) count[kind[rnd.nextInt(n)]]++;
            drops[r] = 100 * (f1(count, 2) - f1(count, 1));
        }
        return band(drops, confidence);
    }

    /** F1 of the system whose decision is bit {@code bit} of the kind. */
    private static double f1(int[] count, int bit) {
        int tp = 0, fp = 0, fn = 0;
        for (int k = 0; k < 8; k++) {
            boolean positive = (k & 4) != 0, says = (k & bit) != 0;
            if (positive && says) tp += count[k];
            else if (says) fp += count[k];
            else if (positive) fn += count[k];
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    private static double[] band(double[] drops, double confidence) {
        Arrays.sort(drops);
        return new double[] {quantile(drops, 1 - confidence), quantile(drops, confidence)};
    }

    /** Linear interpolation between order statistics. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static int check(int n, int m, double confidence) {
        if (n != m) throw new IllegalArgumentException(n + " vs " + m + " answers");
        if (n == 0) throw new IllegalArgumentException("no examples");
        if (!(confidence > 0.5 && confidence < 1)) throw new IllegalArgumentException("confidence must be in (0.5, 1), got " + confidence);
        return n;
    }
}
