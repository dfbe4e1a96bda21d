package ai.infer4j.monitor.baseline;

/**
 * When a capture window counts as drifted ({@code constraints.json}; every value can be edited there or
 * overridden on the command line).
 *
 * <p>The drift signals form one family of tests: their p-values are adjusted with Holm's method and a signal is
 * significant when its adjusted p-value is below {@code familyAlpha}, which bounds the chance that a window of
 * unchanged traffic raises any drift alarm at {@code familyAlpha}, however many signals run and however they
 * depend on each other. A significant signal is a violation only when its effect also reaches the minimum effect
 * (significance alone would flag trivial changes in big windows); that gate can only remove alarms.
 *
 * <p>Accuracy and macro-F1 (with joined labels) are judged by bootstrap confidence intervals of the window minus
 * the baseline, at level {@code 1 - qualityAlpha / 2} each (Bonferroni over the two): a drop is flagged only when
 * the whole interval lies below minus the accepted drop, i.e. the drop surely exceeds what is accepted.
 *
 * @param minSamples       events a window needs before distribution tests run (fewer: "insufficient_data")
 * @param familyAlpha      family-wise error rate of the drift tests (Holm)
 * @param classMinJs       minimum Jensen–Shannon divergence (bits) of the class distribution
 * @param psiReport        PSI above which the report highlights the class distribution (information only)
 * @param ksMinD           minimum KS distance D of confidence and input length
 * @param rateMinDelta     minimum absolute change of the unknown-token and truncation rates
 * @param permutations     most permutations of the class and embedding tests (sequential: fewer when clearly calm)
 * @param mmdMaxSamples    sketches drawn from each side for the embedding test
 * @param minLabels        labelled events needed before accuracy and macro-F1 are judged
 * @param qualityAlpha     error rate of the two quality intervals together
 * @param maxAccuracyDrop  accepted drop of accuracy below the baseline's
 * @param maxMacroF1Drop   accepted drop of macro-F1 below the baseline's
 * @param bootstrap        bootstrap resamples of the quality intervals
 * @param seed             seed of the permutation tests, subsamples and bootstrap
 * @param noveltyQuantile  baseline quantile of the novelty (out-of-scope) score above which an event counts as novel
 * @param unfamiliarTail   share of the baseline's most unfamiliar events (novelty high and confidence low) that score
 *                         above 0 in the {@code unfamiliarity} signal (a one-sided test of the mean score)
 * @param unfamiliarMinDelta minimum increase of the mean unfamiliarity score (the baseline's is about {@code unfamiliarTail})
 */
public record Constraints(int minSamples, double familyAlpha, double classMinJs, double psiReport, double ksMinD, double rateMinDelta,
                          int permutations, int mmdMaxSamples, int minLabels, double qualityAlpha, double maxAccuracyDrop,
                          double maxMacroF1Drop, int bootstrap, long seed, double noveltyQuantile, double unfamiliarTail,
                          double unfamiliarMinDelta) {
    public Constraints {
        if (minSamples < 2) throw new IllegalArgumentException("minSamples must be >= 2, got " + minSamples);
        if (permutations < 1) throw new IllegalArgumentException("permutations must be >= 1, got " + permutations);
        if (mmdMaxSamples < 2) throw new IllegalArgumentException("mmdMaxSamples must be >= 2, got " + mmdMaxSamples);
        if (minLabels < 2) throw new IllegalArgumentException("minLabels must be >= 2, got " + minLabels);
        if (bootstrap < 100) throw new IllegalArgumentException("bootstrap must be >= 100 resamples, got " + bootstrap);
        for (double a : new double[]{familyAlpha, qualityAlpha})
            if (!(a > 0 && a < 1)) throw new IllegalArgumentException("alphas must be in (0, 1), got " + a);
        if (!(noveltyQuantile > 0 && noveltyQuantile < 1))
            throw new IllegalArgumentException("noveltyQuantile must be in (0, 1), got " + noveltyQuantile);
        if (!(unfamiliarTail > 0 && unfamiliarTail < 1))
            throw new IllegalArgumentException("unfamiliarTail must be in (0, 1), got " + unfamiliarTail);
        if (!(unfamiliarMinDelta >= 0 && Double.isFinite(unfamiliarMinDelta)))
            throw new IllegalArgumentException("unfamiliarMinDelta must be >= 0, got " + unfamiliarMinDelta);
    }

    /** Constraints with the default {@code unfamiliarity} parameters (as written before that signal existed). */
    public Constraints(int minSamples, double familyAlpha, double classMinJs, double psiReport, double ksMinD, double rateMinDelta,
                       int permutations, int mmdMaxSamples, int minLabels, double qualityAlpha, double maxAccuracyDrop,
                       double maxMacroF1Drop, int bootstrap, long seed, double noveltyQuantile) {
        this(minSamples, familyAlpha, classMinJs, psiReport, ksMinD, rateMinDelta, permutations, mmdMaxSamples, minLabels, qualityAlpha,
                maxAccuracyDrop, maxMacroF1Drop, bootstrap, seed, noveltyQuantile, DEFAULT_UNFAMILIAR_TAIL, DEFAULT_UNFAMILIAR_MIN_DELTA);
    }

    /**
     * Default {@link #noveltyQuantile}, chosen among 0.90, 0.95 and 0.99 on Banking77's train split mixed into CLINC150
     * traffic (docs/monitoring.md); the evaluation then used Banking77's valid split.
     */
    public static final double DEFAULT_NOVELTY_QUANTILE = 0.95;

    /**
     * Default {@link #unfamiliarTail}, chosen among 0.05, 0.1, 0.2 and 0.3 on Banking77's train split mixed into CLINC150
     * traffic (docs/monitoring.md); the evaluation then used Banking77's valid split.
     */
    public static final double DEFAULT_UNFAMILIAR_TAIL = 0.2;

    /** Default {@link #unfamiliarMinDelta}: a tenth of the baseline's mean score (0.2). */
    public static final double DEFAULT_UNFAMILIAR_MIN_DELTA = 0.02;

    /**
     * Family alpha 0.01 over up to ten drift tests; 1,999 permutations, so a permutation p-value (at least 1/2000)
     * gets below the strictest Holm threshold (0.01 / 10). (A check also raises too few permutations to that floor.)
     */
    public static Constraints defaults() {
        return new Constraints(100, 0.01, 0.05, 0.25, 0.10, 0.02, 1999, 250, 50, 0.05, 0.02, 0.05, 1000, 42, DEFAULT_NOVELTY_QUANTILE,
                DEFAULT_UNFAMILIAR_TAIL, DEFAULT_UNFAMILIAR_MIN_DELTA);
    }

    public Constraints withMinSamples(int m) {
        return new Constraints(m, familyAlpha, classMinJs, psiReport, ksMinD, rateMinDelta, permutations, mmdMaxSamples, minLabels,
                qualityAlpha, maxAccuracyDrop, maxMacroF1Drop, bootstrap, seed, noveltyQuantile, unfamiliarTail, unfamiliarMinDelta);
    }

    public Constraints withSeed(long s) {
        return new Constraints(minSamples, familyAlpha, classMinJs, psiReport, ksMinD, rateMinDelta, permutations, mmdMaxSamples, minLabels,
                qualityAlpha, maxAccuracyDrop, maxMacroF1Drop, bootstrap, s, noveltyQuantile, unfamiliarTail, unfamiliarMinDelta);
    }

    public Constraints withNoveltyQuantile(double q) {
        return new Constraints(minSamples, familyAlpha, classMinJs, psiReport, ksMinD, rateMinDelta, permutations, mmdMaxSamples, minLabels,
                qualityAlpha, maxAccuracyDrop, maxMacroF1Drop, bootstrap, seed, q, unfamiliarTail, unfamiliarMinDelta);
    }

    public Constraints withUnfamiliarTail(double q) {
        return new Constraints(minSamples, familyAlpha, classMinJs, psiReport, ksMinD, rateMinDelta, permutations, mmdMaxSamples, minLabels,
                qualityAlpha, maxAccuracyDrop, maxMacroF1Drop, bootstrap, seed, noveltyQuantile, q, unfamiliarMinDelta);
    }
}
