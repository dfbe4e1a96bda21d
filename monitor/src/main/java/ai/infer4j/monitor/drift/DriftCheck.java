package ai.infer4j.monitor.drift;

import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.SignalResult.Status;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Compares a window of observations with a baseline. Stateless; the one implementation behind
 * {@code monitor check} and the live drift gauges.
 *
 * <p>Drift family: class distribution (permutation chi-square), the share of events answered with the model's
 * out-of-scope label, the share of answers less confident than the baseline's 5th percentile, the share of events whose
 * novelty (the head's out-of-scope score) is above the baseline's {@code noveltyQuantile}, unknown-token and
 * truncation rates (Fisher exact), confidence and input length (two-sample KS), embedding sketches (MMD permutation test). Their p-values are
 * Holm-adjusted together; a signal is violated when its adjusted p-value is below the family alpha and its effect
 * reaches the minimum effect. Quality family (with joined labels): accuracy and macro-F1 bootstrap intervals.
 */
public final class DriftCheck {
    public static final List<String> DRIFT_SIGNALS = List.of("class_distribution", "out_of_scope_rate", "confidence", "low_confidence_rate",
            "novelty_rate", "unfamiliarity", "input_length", "unknown_token_rate", "truncation_rate", "embedding");
    public static final List<String> SIGNALS = List.of("class_distribution", "out_of_scope_rate", "confidence", "low_confidence_rate",
            "novelty_rate", "unfamiliarity", "input_length", "unknown_token_rate", "truncation_rate", "embedding", "accuracy", "macro_f1");
    /** Baseline quantile of the confidence below which an answer counts as low-confidence. */
    public static final double LOW_CONFIDENCE_QUANTILE = 0.05;
    public static final String HOLM = "Holm step-down over the judged drift signals";

    private DriftCheck() {
    }

    public static CheckResult run(BaselineStatistics base, List<Observation> window, Constraints given) {
        Constraints c = withPermutationFloor(given);
        int n = window.size();
        List<Raw> raw = new ArrayList<>();
        raw.add(classDistribution(base, window, c));
        raw.add(outOfScopeRate(base, window, c));
        double[] conf = window.stream().mapToDouble(Observation::score).filter(v -> !Double.isNaN(v)).toArray();
        raw.add(ks("confidence", base.confidence(), conf, base.confidence().length > 0, c));
        raw.add(lowConfidenceRate(base, conf, c));
        raw.add(noveltyRate(base, window, c));
        raw.add(unfamiliarity(base, window, c));
        double[] baseTokens = Arrays.stream(base.tokens()).asDoubleStream().toArray();
        raw.add(ks("input_length", baseTokens, window.stream().mapToDouble(Observation::tokens).toArray(), true, c));
        raw.add(rate("unknown_token_rate", base.unknownEvents(), base.n(), window.stream().filter(o -> o.unknown() > 0).count(), n, c));
        raw.add(rate("truncation_rate", base.truncatedEvents(), base.n(), window.stream().filter(Observation::truncated).count(), n, c));
        raw.add(embedding(base, window, c));

        double[] p = new double[raw.size()];
        for (int i = 0; i < p.length; i++) p[i] = raw.get(i).result.judged() ? raw.get(i).result.p() : Double.NaN;
        double[] adj = StatTests.holm(p);
        List<SignalResult> out = new ArrayList<>();
        int tested = 0;
        boolean driftAlarm = false;
        for (int i = 0; i < raw.size(); i++) {
            Raw r = raw.get(i);
            if (!r.result.judged()) {
                out.add(r.result);
                continue;
            }
            tested++;
            boolean significant = adj[i] < c.familyAlpha();
            boolean v = significant && r.effectMet;
            driftAlarm |= v;
            String why = String.format(Locale.ROOT, "Holm p %s %s %s; %s", num(adj[i]), significant ? "<" : ">=", num(c.familyAlpha()),
                    r.effectText) + (significant && !r.effectMet ? " (significant but below the minimum effect)" : "");
            out.add(r.result.with(v ? Status.VIOLATION : Status.OK, adj[i], why));
        }
        CheckResult.Family drift = new CheckResult.Family(HOLM, c.familyAlpha(), tested, raw.size() - tested, driftAlarm);

        List<SignalResult> q = quality(base, window, c);
        out.addAll(q);
        int qTested = (int) q.stream().filter(SignalResult::judged).count();
        CheckResult.Family quality = new CheckResult.Family("bootstrap intervals, Bonferroni over accuracy and macro-F1", c.qualityAlpha(),
                qTested, q.size() - qTested, q.stream().anyMatch(SignalResult::violated));
        long from = n == 0 ? 0 : window.stream().mapToLong(Observation::timeMillis).min().orElse(0);
        long to = n == 0 ? 0 : window.stream().mapToLong(Observation::timeMillis).max().orElse(0);
        int labelled = (int) window.stream().filter(o -> o.trueLabel() != null).count();
        return new CheckResult(n, labelled, from, to, out, drift, quality);
    }

    /** A signal's own test before the family adjustment; {@code effectMet} whether its effect reaches the minimum. */
    record Raw(SignalResult result, boolean effectMet, String effectText) { }

    static Raw classDistribution(BaselineStatistics base, List<Observation> window, Constraints c) {
        String rule = "permutation chi-square, Holm p < " + c.familyAlpha() + " and JS >= " + c.classMinJs();
        if (base.labels().isEmpty()) return na("class_distribution", "js", rule);
        Map<String, Long> counts = new LinkedHashMap<>();
        int n = 0;
        for (Observation o : window)
            if (o.label() != null) {
                counts.merge(o.label(), 1L, Long::sum);
                n++;
            }
        if (n < c.minSamples()) return insufficient("class_distribution", "js", n, c.minSamples(), rule);
        long[] b = base.countsOf(base.classCounts());
        long[] w = base.countsOf(counts);
        StatTests.ChiSquare chi = StatTests.permutationChiSquare(b, w, c.permutations(), c.seed());
        double js = StatTests.jensenShannon(StatTests.proportions(b, 0), StatTests.proportions(w, 0));
        double psi = StatTests.psi(StatTests.proportions(b, 0.5), StatTests.proportions(w, 0.5));
        boolean effect = js >= c.classMinJs();
        return new Raw(new SignalResult("class_distribution", Status.OK, "js", js, chi.p(), Double.NaN, Double.NaN, Double.NaN, rule, "",
                Map.of("psi", psi, "chi_square", chi.statistic(), "df", (double) chi.df(), "n", (double) n)), effect,
                String.format(Locale.ROOT, "JS %s %s %s", num(js), effect ? ">=" : "<", num(c.classMinJs())));
    }

    static Raw ks(String signal, double[] base, double[] window, boolean applicable, Constraints c) {
        String rule = "two-sample KS, Holm p < " + c.familyAlpha() + " and D >= " + c.ksMinD();
        if (!applicable || base.length == 0) return na(signal, "ks_d", rule);
        if (window.length < c.minSamples()) return insufficient(signal, "ks_d", window.length, c.minSamples(), rule);
        double d = StatTests.ks(base, window);
        double p = StatTests.ksPValue(d, base.length, window.length);
        boolean effect = d >= c.ksMinD();
        return new Raw(new SignalResult(signal, Status.OK, "ks_d", d, p, Double.NaN, mean(base), mean(window), rule, "",
                Map.of("n", (double) window.length)), effect, String.format(Locale.ROOT, "D %s %s %s", num(d), effect ? ">=" : "<", num(c.ksMinD())));
    }

    /**
     * Share of events answered with the model's out-of-scope label: traffic the head does not recognise. More sensitive
     * to a minority of foreign traffic than the class distribution as a whole (one cell instead of one among ~150).
     */
    static Raw outOfScopeRate(BaselineStatistics base, List<Observation> window, Constraints c) {
        String oos = base.outOfScopeLabel();
        String rule = "Fisher exact on events answered " + (oos == null ? "with an out-of-scope label" : "'" + oos + "'") + ", Holm p < " + c.familyAlpha() + " and |delta| >= " + c.rateMinDelta();
        if (oos == null || base.labels().isEmpty() || base.predictedEvents() == 0) return na("out_of_scope_rate", "delta", rule);
        long n = window.stream().filter(o -> o.label() != null).count();
        long hits = window.stream().filter(o -> oos.equals(o.label())).count();
        return rate("out_of_scope_rate", base.countOf(oos), base.predictedEvents(), hits, n, c, rule);
    }

    /**
     * Share of answers less confident than the baseline's {@value #LOW_CONFIDENCE_QUANTILE} quantile (about 5 % in the
     * baseline by construction). A minority of unfamiliar traffic piles up in that tail: KS's distance D can move by at
     * most the minority's share (10 % of foreign traffic: D at most 0.10), while the tail share moves by the minority's
     * share times the part of it that lands in the tail, against a small base rate.
     */
    static Raw lowConfidenceRate(BaselineStatistics base, double[] window, Constraints c) {
        double[] b = base.confidence();
        if (b.length == 0) return na("low_confidence_rate", "delta", "Fisher exact on answers below the baseline's 5th confidence percentile");
        double q = b[(int) Math.floor(LOW_CONFIDENCE_QUANTILE * (b.length - 1))];
        String rule = String.format(Locale.ROOT, "Fisher exact on answers with confidence below %s (the baseline's 5th percentile), Holm p < %s and "
                + "|delta| >= %s", num(q), c.familyAlpha(), c.rateMinDelta());
        long baseHits = Arrays.stream(b).filter(v -> v < q).count();
        // the baseline keeps confidences rounded to 1e-5; the window's are compared the same way
        long hits = Arrays.stream(window).filter(v -> Math.round(v * 1e5) / 1e5 < q).count();
        if (window.length < c.minSamples()) return insufficient("low_confidence_rate", "delta", window.length, c.minSamples(), rule);
        return rate("low_confidence_rate", baseHits, b.length, hits, window.length, c, rule);
    }

    /**
     * Share of events whose novelty, the head's out-of-scope score (energy + centroid distance, captured with each
     * answer), is above the baseline's {@code noveltyQuantile} (by construction about {@code 1 - noveltyQuantile} of the
     * baseline). Unlike {@code out_of_scope_rate} it also counts unfamiliar input the head still answers with an
     * in-scope label, and unlike {@code low_confidence_rate} it measures distance from the training data rather than
     * indecision between known classes. Events without a score (older captures, heads without the score) are left out;
     * not applicable when the baseline has no scores.
     */
    static Raw noveltyRate(BaselineStatistics base, List<Observation> window, Constraints c) {
        double[] b = base.novelty();
        String what = String.format(Locale.ROOT, "Fisher exact on events with novelty above the baseline's %s quantile", num(c.noveltyQuantile()));
        if (b.length == 0) return na("novelty_rate", "delta", what);
        double q = b[(int) Math.floor(c.noveltyQuantile() * (b.length - 1))];
        String rule = String.format(Locale.ROOT, "%s (%s), Holm p < %s and |delta| >= %s", what, num(q), c.familyAlpha(), c.rateMinDelta());
        long baseHits = Arrays.stream(b).filter(v -> v > q).count();
        long n = 0, hits = 0;
        for (Observation o : window) {
            if (!Double.isFinite(o.novelty())) continue;
            n++;
            // the baseline keeps scores rounded to 1e-5 (so does the capture); the window's are compared the same way
            if (Math.round(o.novelty() * 1e5) / 1e5 > q) hits++;
        }
        return rate("novelty_rate", baseHits, b.length, hits, n, c, rule);
    }

    /**
     * The permutation tests need enough permutations for their smallest p-value, 1 / (permutations + 1), to get below the
     * strictest Holm threshold (family alpha over the number of drift signals): at least twice that many are run.
     */
    static Constraints withPermutationFloor(Constraints c) {
        int floor = (int) Math.ceil(2.0 * DRIFT_SIGNALS.size() / c.familyAlpha()) - 1;
        if (c.permutations() >= floor) return c;
        return new Constraints(c.minSamples(), c.familyAlpha(), c.classMinJs(), c.psiReport(), c.ksMinD(), c.rateMinDelta(), floor,
                c.mmdMaxSamples(), c.minLabels(), c.qualityAlpha(), c.maxAccuracyDrop(), c.maxMacroF1Drop(), c.bootstrap(), c.seed(),
                c.noveltyQuantile(), c.unfamiliarTail(), c.unfamiliarMinDelta());
    }

    /**
     * How unfamiliar an event looks against the baseline, in [0, 1]: the mean of its confidence's lower-tail share (the
     * share of baseline confidences above it) and its novelty's upper-tail share (the share of baseline novelty scores
     * below it). {@code conf} and {@code nov} are the baseline's sorted confidences and novelty scores.
     */
    static double unfamiliarity(double[] conf, double[] nov, double confidence, double novelty) {
        double lowConfidence = (conf.length - upperBound(conf, confidence)) / (double) conf.length;
        double highNovelty = lowerBound(nov, novelty) / (double) nov.length;
        return (lowConfidence + highNovelty) / 2;
    }

    /** First index whose value is >= v (sorted a). */
    private static int lowerBound(double[] a, double v) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** First index whose value is > v (sorted a). */
    private static int upperBound(double[] a, double v) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Per-event evidence of unfamiliarity against the baseline's (confidence, novelty) pairs. An event's
     * {@link #unfamiliarity} gets a tail probability p, the share of baseline events at least as unfamiliar (counting the
     * event itself, over n + 1), and scores {@code max(0, ln(tail / p))}: 0 for the usual events, Exp(1) for the
     * {@code tail} most unfamiliar share of unchanged traffic (the terms of a truncated product of p-values), large for
     * events unlike anything in the baseline. {@link #baselineScores} are the baseline events' own scores.
     */
    record UnfamiliarScorer(double[] conf, double[] nov, double[] sortedU, double tail) {
        static UnfamiliarScorer of(double[][] pairs, double tail) {
            double[] conf = new double[pairs.length], nov = new double[pairs.length];
            for (int i = 0; i < pairs.length; i++) {
                conf[i] = pairs[i][0];
                nov[i] = pairs[i][1];
            }
            Arrays.sort(conf);
            Arrays.sort(nov);
            double[] u = new double[pairs.length];
            for (int i = 0; i < pairs.length; i++) u[i] = unfamiliarity(conf, nov, pairs[i][0], pairs[i][1]);
            Arrays.sort(u);
            return new UnfamiliarScorer(conf, nov, u, tail);
        }

        /** Score of an event that is not in the baseline (rounded like the baseline: 1e-5). */
        double score(double confidence, double novelty) {
            double u = unfamiliarity(conf, nov, Math.round(confidence * 1e5) / 1e5, Math.round(novelty * 1e5) / 1e5);
            return fromTail(1 + sortedU.length - lowerBound(sortedU, u));
        }

        double[] baselineScores() {
            double[] s = new double[sortedU.length];
            for (int i = 0; i < s.length; i++) s[i] = fromTail(sortedU.length - lowerBound(sortedU, sortedU[i]));
            return s;
        }

        /** {@code atLeast}: events (of n + 1) at least as unfamiliar, the event included. */
        private double fromTail(long atLeast) {
            double p = atLeast / (sortedU.length + 1.0);
            return Math.max(0, Math.log(tail / p));
        }
    }

    /**
     * Most permutations of the unfamiliarity test: ten times the others'. A permutation costs one sum over the window, and
     * near the strictest Holm threshold (0.01 / 10) a Monte Carlo p-value needs that resolution: with 1,999 permutations a
     * window whose exact p-value is 3e-4 passes only when none of them is as extreme (about half the time).
     */
    static int unfamiliarPermutations(Constraints c) {
        return 10 * (c.permutations() + 1) - 1;
    }

    /**
     * One-sided test of the window's mean unfamiliarity score ({@link UnfamiliarScorer}) against the baseline's: a
     * small admixture of foreign traffic (5 %) raises it through a few strongly unfamiliar events that pass unseen in the
     * two-sided 5 %-tail rates, where each stays inside a window's noise. The score combines both tails (novelty high and
     * confidence low) and weighs events by how far out they lie (a truncated product of tail probabilities), the
     * likelihood-ratio direction for a minority of traffic piled up in the tails. p-value: sequential permutation test of
     * the mean over the pooled baseline and window scores, larger only. Effect: increase of the mean score (baseline
     * about {@code unfamiliarTail}). Events without a score are left out; not applicable when the baseline has no
     * (confidence, novelty) pairs.
     */
    static Raw unfamiliarity(BaselineStatistics base, List<Observation> window, Constraints c) {
        double[][] pairs = base.confidenceNovelty();
        String what = String.format(Locale.ROOT, "one-sided permutation test of the mean unfamiliarity score (novelty high and confidence low; "
                + "the baseline's %s most unfamiliar score max(0, ln(%s / tail p)))", num(c.unfamiliarTail()), num(c.unfamiliarTail()));
        if (pairs.length < 2) return na("unfamiliarity", "increase", what);
        String rule = String.format(Locale.ROOT, "%s, Holm p < %s and increase >= %s", what, c.familyAlpha(), num(c.unfamiliarMinDelta()));
        UnfamiliarScorer scorer = UnfamiliarScorer.of(pairs, c.unfamiliarTail());
        List<Double> ws = new ArrayList<>();
        for (Observation o : window)
            if (!Double.isNaN(o.score()) && Double.isFinite(o.novelty())) ws.add(scorer.score(o.score(), o.novelty()));
        int n = ws.size();
        if (n < c.minSamples()) return insufficient("unfamiliarity", "increase", n, c.minSamples(), rule);
        double[] b = scorer.baselineScores();
        double[] pool = new double[b.length + n];
        System.arraycopy(b, 0, pool, 0, b.length);
        double sumW = 0;
        for (int i = 0; i < n; i++) {
            pool[b.length + i] = ws.get(i);
            sumW += ws.get(i);
        }
        double total = Arrays.stream(pool).sum();
        double meanB = (total - sumW) / b.length, meanW = sumW / n;
        SplittableRandom r = new SplittableRandom(c.seed());
        StatTests.McResult mc = StatTests.sequentialPValue(sumW, () -> {
            double sum = 0;
            for (int i = 0; i < n; i++) { // partial Fisher-Yates: pool[0..n) is a uniform draw without replacement
                int j = i + r.nextInt(pool.length - i);
                double t = pool[i];
                pool[i] = pool[j];
                pool[j] = t;
                sum += pool[i];
            }
            return sum;
        }, StatTests.SEQUENTIAL_HITS, unfamiliarPermutations(c));
        boolean effect = meanW - meanB >= c.unfamiliarMinDelta();
        return new Raw(new SignalResult("unfamiliarity", Status.OK, "increase", meanW - meanB, mc.p(), Double.NaN, meanB, meanW, rule, "",
                Map.of("n", (double) n, "permutations", (double) mc.draws())), effect,
                String.format(Locale.ROOT, "increase %s %s %s", num(meanW - meanB), effect ? ">=" : "<", num(c.unfamiliarMinDelta())));
    }

    static Raw rate(String signal, long baseHits, long baseN, long hits, long n, Constraints c) {
        return rate(signal, baseHits, baseN, hits, n, c, "Fisher exact, Holm p < " + c.familyAlpha() + " and |delta| >= " + c.rateMinDelta());
    }

    static Raw rate(String signal, long baseHits, long baseN, long hits, long n, Constraints c, String rule) {
        if (n < c.minSamples()) return insufficient(signal, "delta", (int) n, c.minSamples(), rule);
        double pb = baseN == 0 ? 0 : (double) baseHits / baseN, pw = (double) hits / n;
        StatTests.Test t = StatTests.fisherExact(baseHits, baseN, hits, n);
        boolean effect = Math.abs(pw - pb) >= c.rateMinDelta();
        return new Raw(new SignalResult(signal, Status.OK, "delta", pw - pb, t.p(), Double.NaN, pb, pw, rule, "", Map.of("n", (double) n)),
                effect, String.format(Locale.ROOT, "|delta| %s %s %s", num(Math.abs(pw - pb)), effect ? ">=" : "<", num(c.rateMinDelta())));
    }

    static Raw embedding(BaselineStatistics base, List<Observation> window, Constraints c) {
        String rule = "MMD permutation test, Holm p < " + c.familyAlpha();
        if (base.sketchDim() == 0 || base.reference().length < 2) return na("embedding", "mmd2", rule);
        List<float[]> sk = new ArrayList<>();
        for (Observation o : window) if (o.sketch() != null && o.sketch().length == base.sketchDim()) sk.add(o.sketch());
        if (sk.size() < c.minSamples()) return insufficient("embedding", "mmd2", sk.size(), c.minSamples(), rule);
        SplittableRandom r = new SplittableRandom(c.seed());
        float[][] x = subsample(List.of(base.reference()), c.mmdMaxSamples(), r);
        float[][] y = subsample(sk, c.mmdMaxSamples(), r);
        StatTests.Test t = StatTests.mmdPermutationTest(x, y, 0, c.permutations(), c.seed());
        double[] mean = new double[base.sketchDim()];
        for (float[] s : sk) for (int d = 0; d < mean.length; d++) mean[d] += s[d] / (double) sk.size();
        double[] diff = new double[mean.length];
        for (int d = 0; d < mean.length; d++) diff[d] = mean[d] - base.centroid()[d];
        double maha = Math.sqrt(StatTests.mahalanobis2(diff, base.covariance()));
        return new Raw(new SignalResult("embedding", Status.OK, "mmd2", t.statistic(), t.p(), Double.NaN, Double.NaN, Double.NaN, rule, "",
                Map.of("centroid_mahalanobis", maha, "n", (double) sk.size(), "mmd_samples", (double) y.length)), true, "no minimum effect");
    }

    static List<SignalResult> quality(BaselineStatistics base, List<Observation> window, Constraints c) {
        double level = 1 - c.qualityAlpha() / 2;
        String accRule = String.format(Locale.ROOT, "%.1f%% bootstrap interval of the accuracy change entirely below -%s", 100 * level,
                num(c.maxAccuracyDrop()));
        String f1Rule = String.format(Locale.ROOT, "%.1f%% bootstrap interval of the macro-F1 change (baseline at the window's size) "
                + "entirely below -%s", 100 * level, num(c.maxMacroF1Drop()));
        List<String> truth = new ArrayList<>(), pred = new ArrayList<>();
        for (Observation o : window)
            if (o.trueLabel() != null && o.label() != null) {
                truth.add(o.trueLabel());
                pred.add(o.label());
            }
        if (base.accuracy() == null || base.confusion() == null || base.confusion().isEmpty())
            return List.of(na("accuracy", "change", accRule).result, na("macro_f1", "change", f1Rule).result);
        if (truth.size() < c.minLabels())
            return List.of(insufficient("accuracy", "change", truth.size(), c.minLabels(), accRule).result,
                    insufficient("macro_f1", "change", truth.size(), c.minLabels(), f1Rule).result);
        Map<List<String>, Long> pairs = new LinkedHashMap<>();
        for (BaselineStatistics.LabelPair lp : base.confusion()) pairs.merge(List.of(lp.truth(), lp.predicted()), lp.count(), Long::sum);
        QualityTests.Sample[] s = QualityTests.samples(pairs, truth, pred);
        double alpha = c.qualityAlpha() / 2;
        return List.of(
                qualitySignal("accuracy", QualityTests.accuracy(s[0], s[1], alpha, c.bootstrap(), c.seed()), c.maxAccuracyDrop(), accRule, truth.size()),
                qualitySignal("macro_f1", QualityTests.macroF1(s[0], s[1], alpha, c.bootstrap(), c.seed() + 1), c.maxMacroF1Drop(), f1Rule, truth.size()));
    }

    /** A drop is flagged only when the whole interval lies below minus the accepted drop: the drop surely exceeds it. */
    private static SignalResult qualitySignal(String name, QualityTests.Interval i, double maxDrop, String rule, int labelled) {
        boolean v = i.high() < -maxDrop;
        String why = String.format(Locale.ROOT, "change %s, interval [%s, %s] %s -%s", num(i.difference()), num(i.low()), num(i.high()),
                v ? "entirely below" : "not entirely below", num(maxDrop));
        return new SignalResult(name, v ? Status.VIOLATION : Status.OK, "change", i.difference(), i.pDrop(), Double.NaN, i.baseline(), i.window(),
                rule, why, Map.of("ci_low", i.low(), "ci_high", i.high(), "labelled", (double) labelled));
    }

    private static float[][] subsample(List<float[]> all, int max, SplittableRandom r) {
        List<float[]> c = new ArrayList<>(all);
        int k = Math.min(max, c.size());
        for (int i = 0; i < k; i++) Collections.swap(c, i, i + r.nextInt(c.size() - i));
        return c.subList(0, k).toArray(float[][]::new);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "-";
        if (v != 0 && Math.abs(v) < 1e-3) return String.format(Locale.ROOT, "%.1e", v);
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static Raw na(String signal, String stat, String rule) {
        return new Raw(new SignalResult(signal, Status.NOT_APPLICABLE, stat, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, rule,
                "not applicable to this model or baseline", Map.of()), false, "");
    }

    private static Raw insufficient(String signal, String stat, int n, int needed, String rule) {
        return new Raw(new SignalResult(signal, Status.INSUFFICIENT_DATA, stat, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, rule,
                "window too small to judge: " + n + " events, needs " + needed, Map.of("n", (double) n)), false, "");
    }
}
