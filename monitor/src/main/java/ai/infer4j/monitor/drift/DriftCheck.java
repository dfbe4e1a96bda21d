package ai.infer4j.monitor.drift;

import ai.infer4j.engine.eval.ClassificationReport;
import ai.infer4j.monitor.baseline.Constraints;
import ai.infer4j.monitor.baseline.BaselineStatistics;
import ai.infer4j.monitor.capture.Observation;
import ai.infer4j.monitor.drift.SignalResult.Status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Compares a window of observations with a baseline, signal by signal. Stateless. */
public final class DriftCheck {
    public static final List<String> SIGNALS = List.of("class_distribution", "confidence", "input_length", "unknown_token_rate",
            "truncation_rate", "embedding", "accuracy", "macro_f1");

    private DriftCheck() {
    }

    public static CheckResult run(BaselineStatistics base, List<Observation> window, Constraints c) {
        int n = window.size();
        List<SignalResult> out = new ArrayList<>();
        out.add(classDistribution(base, window, c));
        double[] conf = window.stream().mapToDouble(Observation::score).filter(v -> !Double.isNaN(v)).toArray();
        out.add(ks("confidence", base.confidence(), conf, base.confidence().length > 0, c));
        double[] baseTokens = java.util.Arrays.stream(base.tokens()).asDoubleStream().toArray();
        out.add(ks("input_length", baseTokens, window.stream().mapToDouble(Observation::tokens).toArray(), true, c));
        out.add(rate("unknown_token_rate", base.unknownEvents(), base.n(), window.stream().filter(o -> o.unknown() > 0).count(), n, c));
        out.add(rate("truncation_rate", base.truncatedEvents(), base.n(), window.stream().filter(Observation::truncated).count(), n, c));
        out.add(embedding(base, window, c));
        out.addAll(quality(base, window, c));
        long from = n == 0 ? 0 : window.stream().mapToLong(Observation::timeMillis).min().orElse(0);
        long to = n == 0 ? 0 : window.stream().mapToLong(Observation::timeMillis).max().orElse(0);
        int labelled = (int) window.stream().filter(o -> o.trueLabel() != null).count();
        return new CheckResult(n, labelled, from, to, out);
    }

    static SignalResult classDistribution(BaselineStatistics base, List<Observation> window, Constraints c) {
        String rule = "chi-square p < " + c.classAlpha() + " and JS >= " + c.classMinJs();
        if (base.labels().isEmpty()) return na("class_distribution", "js", rule);
        Map<String, Long> counts = new LinkedHashMap<>();
        int n = 0;
        for (Observation o : window)
            if (o.label() != null) {
                counts.merge(o.label(), 1L, Long::sum);
                n++;
            }
        if (n < c.minSamples()) return insufficient("class_distribution", "js", n, rule);
        long[] b = base.countsOf(base.classCounts());
        long[] w = base.countsOf(counts);
        StatTests.ChiSquare chi = StatTests.chiSquare(b, w);
        double js = StatTests.jensenShannon(StatTests.proportions(b, 0), StatTests.proportions(w, 0));
        double psi = StatTests.psi(StatTests.proportions(b, 0.5), StatTests.proportions(w, 0.5));
        boolean v = chi.p() < c.classAlpha() && js >= c.classMinJs();
        return new SignalResult("class_distribution", v ? Status.VIOLATION : Status.OK, "js", js, chi.p(), Double.NaN, Double.NaN, rule,
                Map.of("psi", psi, "chi_square", chi.statistic(), "df", (double) chi.df(), "n", (double) n));
    }

    static SignalResult ks(String signal, double[] base, double[] window, boolean applicable, Constraints c) {
        String rule = "KS p < " + c.ksAlpha() + " and D >= " + c.ksMinD();
        if (!applicable || base.length == 0) return na(signal, "ks_d", rule);
        if (window.length < c.minSamples()) return insufficient(signal, "ks_d", window.length, rule);
        double d = StatTests.ks(base, window);
        double p = StatTests.ksPValue(d, base.length, window.length);
        boolean v = p < c.ksAlpha() && d >= c.ksMinD();
        return new SignalResult(signal, v ? Status.VIOLATION : Status.OK, "ks_d", d, p, mean(base), mean(window), rule,
                Map.of("n", (double) window.length));
    }

    static SignalResult rate(String signal, long baseHits, long baseN, long hits, long n, Constraints c) {
        String rule = "two-proportion p < " + c.rateAlpha() + " and |delta| >= " + c.rateMinDelta();
        if (n < c.minSamples()) return insufficient(signal, "delta", (int) n, rule);
        double pb = baseN == 0 ? 0 : (double) baseHits / baseN, pw = (double) hits / n;
        StatTests.Test t = StatTests.twoProportions(baseHits, baseN, hits, n);
        boolean v = t.p() < c.rateAlpha() && Math.abs(pw - pb) >= c.rateMinDelta();
        return new SignalResult(signal, v ? Status.VIOLATION : Status.OK, "delta", pw - pb, t.p(), pb, pw, rule, Map.of("n", (double) n));
    }

    static SignalResult embedding(BaselineStatistics base, List<Observation> window, Constraints c) {
        String rule = "MMD permutation p < " + c.embeddingAlpha();
        if (base.sketchDim() == 0 || base.reference().length < 2) return na("embedding", "mmd2", rule);
        List<float[]> sk = new ArrayList<>();
        for (Observation o : window) if (o.sketch() != null && o.sketch().length == base.sketchDim()) sk.add(o.sketch());
        if (sk.size() < c.minSamples()) return insufficient("embedding", "mmd2", sk.size(), rule);
        SplittableRandom r = new SplittableRandom(c.seed());
        float[][] x = subsample(List.of(base.reference()), c.mmdMaxSamples(), r);
        float[][] y = subsample(sk, c.mmdMaxSamples(), r);
        StatTests.Test t = StatTests.mmdPermutationTest(x, y, 0, c.mmdPermutations(), c.seed());
        double[] mean = new double[base.sketchDim()];
        for (float[] s : sk) for (int d = 0; d < mean.length; d++) mean[d] += s[d] / (double) sk.size();
        double[] diff = new double[mean.length];
        for (int d = 0; d < mean.length; d++) diff[d] = mean[d] - base.centroid()[d];
        double maha = Math.sqrt(StatTests.mahalanobis2(diff, base.covariance()));
        boolean v = t.p() < c.embeddingAlpha();
        return new SignalResult("embedding", v ? Status.VIOLATION : Status.OK, "mmd2", t.statistic(), t.p(), Double.NaN, Double.NaN, rule,
                Map.of("centroid_mahalanobis", maha, "n", (double) sk.size(), "mmd_samples", (double) y.length));
    }

    static List<SignalResult> quality(BaselineStatistics base, List<Observation> window, Constraints c) {
        String accRule = "accuracy below baseline by > " + c.maxAccuracyDrop();
        String f1Rule = "macro-F1 below baseline by > " + c.maxMacroF1Drop();
        List<String> truth = new ArrayList<>(), pred = new ArrayList<>();
        for (Observation o : window)
            if (o.trueLabel() != null && o.label() != null) {
                truth.add(o.trueLabel());
                pred.add(o.label());
            }
        if (base.accuracy() == null) return List.of(na("accuracy", "drop", accRule), na("macro_f1", "drop", f1Rule));
        if (truth.size() < c.minLabels())
            return List.of(insufficient("accuracy", "drop", truth.size(), accRule), insufficient("macro_f1", "drop", truth.size(), f1Rule));
        ClassificationReport r = ClassificationReport.of(truth, pred, null);
        long correct = Math.round(r.accuracy() * truth.size());
        StatTests.Test t = StatTests.twoProportions(Math.round(base.accuracy() * base.n()), base.n(), correct, truth.size());
        double accDrop = base.accuracy() - r.accuracy();
        double f1Drop = base.macroF1() - r.macroF1();
        Map<String, Double> extra = Map.of("labelled", (double) truth.size());
        return List.of(
                new SignalResult("accuracy", accDrop > c.maxAccuracyDrop() ? Status.VIOLATION : Status.OK, "drop", accDrop, t.p(),
                        base.accuracy(), r.accuracy(), accRule, extra),
                new SignalResult("macro_f1", f1Drop > c.maxMacroF1Drop() ? Status.VIOLATION : Status.OK, "drop", f1Drop, Double.NaN,
                        base.macroF1(), r.macroF1(), f1Rule, extra));
    }

    private static float[][] subsample(List<float[]> all, int max, SplittableRandom r) {
        List<float[]> c = new ArrayList<>(all);
        int k = Math.min(max, c.size());
        for (int i = 0; i < k; i++) java.util.Collections.swap(c, i, i + r.nextInt(c.size() - i));
        return c.subList(0, k).toArray(float[][]::new);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    private static SignalResult na(String signal, String stat, String rule) {
        return new SignalResult(signal, Status.NOT_APPLICABLE, stat, Double.NaN, Double.NaN, Double.NaN, Double.NaN, rule, Map.of());
    }

    private static SignalResult insufficient(String signal, String stat, int n, String rule) {
        return new SignalResult(signal, Status.INSUFFICIENT_DATA, stat, Double.NaN, Double.NaN, Double.NaN, Double.NaN, rule,
                Map.of("n", (double) n));
    }
}
