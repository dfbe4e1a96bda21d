package ai.infer4j.monitor.baseline;

/**
 * When a capture window counts as drifted ({@code constraints.json}; every value can be edited there or
 * overridden on the command line). A signal is violated when its test's p-value is below its alpha
 * <em>and</em> its effect is at least the minimum effect: significance alone would flag trivial changes
 * in big windows, effect alone would flag noise in small ones. The alphas are small because a window runs
 * six tests at once (their sum bounds the false-alarm rate of a window on unchanged traffic).
 *
 * @param minSamples       events a window needs before distribution tests are run (fewer: "insufficient_data")
 * @param classAlpha       chi-square test of the predicted-class distribution
 * @param classMinJs       minimum Jensen–Shannon divergence (bits) of the class distribution
 * @param psiReport        PSI above which the report highlights the class distribution (information only)
 * @param ksAlpha          Kolmogorov–Smirnov tests of confidence and input length
 * @param ksMinD           minimum KS distance D
 * @param rateAlpha        two-proportion z-tests of the unknown-token and truncation rates
 * @param rateMinDelta     minimum absolute change of those rates
 * @param embeddingAlpha   MMD permutation test of the embedding sketches
 * @param mmdPermutations  permutations of that test
 * @param mmdMaxSamples    sketches drawn from each side for it
 * @param minLabels        labelled events needed before accuracy and macro-F1 are judged
 * @param maxAccuracyDrop  largest accepted drop of accuracy below the baseline's
 * @param maxMacroF1Drop   largest accepted drop of macro-F1 below the baseline's
 * @param seed             seed of the permutation test and subsamples
 */
public record Constraints(int minSamples, double classAlpha, double classMinJs, double psiReport, double ksAlpha, double ksMinD,
                          double rateAlpha, double rateMinDelta, double embeddingAlpha, int mmdPermutations, int mmdMaxSamples,
                          int minLabels, double maxAccuracyDrop, double maxMacroF1Drop, long seed) {
    public Constraints {
        if (minSamples < 2) throw new IllegalArgumentException("minSamples must be >= 2, got " + minSamples);
        if (mmdPermutations < 1) throw new IllegalArgumentException("mmdPermutations must be >= 1, got " + mmdPermutations);
        if (mmdMaxSamples < 2) throw new IllegalArgumentException("mmdMaxSamples must be >= 2, got " + mmdMaxSamples);
        for (double a : new double[]{classAlpha, ksAlpha, rateAlpha, embeddingAlpha})
            if (!(a > 0 && a < 1)) throw new IllegalArgumentException("alphas must be in (0, 1), got " + a);
    }

    public static Constraints defaults() {
        return new Constraints(100, 0.001, 0.05, 0.25, 0.001, 0.10, 0.001, 0.02, 0.0025, 499, 250, 50, 0.05, 0.10, 42);
    }

    public Constraints withMinSamples(int m) {
        return new Constraints(m, classAlpha, classMinJs, psiReport, ksAlpha, ksMinD, rateAlpha, rateMinDelta, embeddingAlpha,
                mmdPermutations, mmdMaxSamples, minLabels, maxAccuracyDrop, maxMacroF1Drop, seed);
    }

    public Constraints withSeed(long s) {
        return new Constraints(minSamples, classAlpha, classMinJs, psiReport, ksAlpha, ksMinD, rateAlpha, rateMinDelta, embeddingAlpha,
                mmdPermutations, mmdMaxSamples, minLabels, maxAccuracyDrop, maxMacroF1Drop, s);
    }
}
