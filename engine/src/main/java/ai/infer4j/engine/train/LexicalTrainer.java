package ai.infer4j.engine.train;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.task.LexicalLayer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Trains the {@link LexicalLayer} of an intent head: softmax regression on the sparse TF-IDF vectors of the training
 * texts (features seen in at least {@link #MIN_DF} texts), plain mini-batch SGD with step {@code LEARNING_RATE / sqrt(epoch)}
 * and label smoothing. Single-threaded and seeded: the same texts, labels and seed give the same bits.
 *
 * <p>With {@code maxFeatures > 0} only that many features are kept: those whose occurrence depends most on the class
 * (chi-squared of the per-class document counts against their expectation, ties by name), which keeps the layer small
 * and the training fast. The trained weights are rounded to signed bytes, one step per label
 * ({@link LexicalLayer#quantize}); held-out scores during cross-validation use the rounded weights, as served.
 */
public final class LexicalTrainer {
    /** A feature enters the vocabulary when at least this many training texts have it. */
    public static final int MIN_DF = 2;
    public static final int EPOCHS = 30;
    public static final double LEARNING_RATE = 10;
    public static final int BATCH_SIZE = 32;
    public static final double LABEL_SMOOTHING = 0.1;

    /** A trained layer before its scale is chosen; {@code weights} are the rounded ones ({@code layer(1)}'s). */
    public record Fitted(LexicalLayer unscaled) {
        public LexicalLayer layer(double scale) {
            return unscaled.withScale(scale);
        }

        public List<String> vocab() {
            return unscaled.vocab();
        }

        public float[] idf() {
            return unscaled.idf();
        }

        public float[][] weights() {
            return unscaled.weights();
        }

        public float[] bias() {
            return unscaled.bias();
        }

        /** Unscaled logits of a text. */
        public double[] logits(String text, Map<String, Integer> index) {
            return LexicalLayer.logits(LexicalLayer.vector(text, index, idf()), weights(), bias(), 1.0);
        }
    }

    private LexicalTrainer() {
    }

    /** Trains on {@code texts} with labels {@code y} in {@code [0, classes)} on every feature; {@code tick} runs once per epoch. */
    public static Fitted train(List<String> texts, int[] y, int classes, long seed, Runnable tick) {
        return train(texts, y, classes, seed, 0, tick);
    }

    /** Trains on the {@code maxFeatures} most class-dependent features (0: every feature in {@link #MIN_DF} texts). */
    public static Fitted train(List<String> texts, int[] y, int classes, long seed, int maxFeatures, Runnable tick) {
        if (maxFeatures < 0) throw new BadInputException("lexical features must be >= 0 (0: all), got " + maxFeatures);
        int n = texts.size();
        if (n == 0 || y.length != n) throw new BadInputException("lexical layer needs texts and one label each, got " + n + " / " + y.length);
        Map<String, Integer> df = new TreeMap<>();
        List<Map<String, Integer>> counts = new ArrayList<>(n);
        for (String t : texts) {
            Map<String, Integer> c = LexicalLayer.counts(t);
            counts.add(c);
            for (String f : c.keySet()) df.merge(f, 1, Integer::sum);
        }
        List<String> candidates = new ArrayList<>();
        for (Map.Entry<String, Integer> e : df.entrySet()) if (e.getValue() >= MIN_DF) candidates.add(e.getKey());
        List<String> vocab = maxFeatures > 0 && candidates.size() > maxFeatures
                ? mostClassDependent(candidates, df, counts, y, classes, maxFeatures) : candidates;
        List<Float> idfList = new ArrayList<>();
        for (String f : vocab) idfList.add((float) (Math.log((n + 1.0) / (df.get(f) + 1.0)) + 1));
        if (vocab.isEmpty()) throw new BadInputException("no word or character n-gram occurs in " + MIN_DF + " training texts");
        float[] idf = new float[vocab.size()];
        for (int i = 0; i < idf.length; i++) idf[i] = idfList.get(i);
        Map<String, Integer> index = LexicalLayer.index(vocab);
        LexicalLayer.Sparse[] x = new LexicalLayer.Sparse[n];
        for (int i = 0; i < n; i++) x[i] = LexicalLayer.vector(texts.get(i), index, idf);

        // feature-major while training ([vocab][classes]: a feature's class weights side by side), the layer's
        // class-major layout at the end; the same operations in the same order either way
        float[][] wt = new float[vocab.size()][classes];
        float[] b = new float[classes];
        double off = LABEL_SMOOTHING / classes, on = 1 - LABEL_SMOOTHING + off;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x1E71CA1L);
        double[][] g = new double[BATCH_SIZE][classes];
        float[] step = new float[classes];
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            HeadTraining.shuffle(order, rnd);
            double eta = LEARNING_RATE / Math.sqrt(epoch);
            for (int start = 0; start < n; start += BATCH_SIZE) {
                int m = Math.min(BATCH_SIZE, n - start);
                for (int r = 0; r < m; r++) { // gradients of the whole batch at the same weights
                    int i = order[start + r];
                    double[] z = logitsFeatureMajor(x[i], wt, b);
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (double v : z) max = Math.max(max, v);
                    for (int k = 0; k < classes; k++) sum += (z[k] = Math.exp(z[k] - max));
                    for (int k = 0; k < classes; k++) g[r][k] = (z[k] / sum - (k == y[i] ? on : off)) / m;
                }
                for (int r = 0; r < m; r++) {
                    LexicalLayer.Sparse v = x[order[start + r]];
                    for (int k = 0; k < classes; k++) step[k] = (float) (eta * g[r][k]);
                    for (int j = 0; j < v.index().length; j++) {
                        float[] wj = wt[v.index()[j]];
                        float vj = v.value()[j];
                        for (int k = 0; k < classes; k++) wj[k] -= step[k] * vj;
                    }
                    for (int k = 0; k < classes; k++) b[k] -= step[k];
                }
            }
            tick.run();
        }
        float[][] w = new float[classes][vocab.size()];
        for (int j = 0; j < wt.length; j++)
            for (int k = 0; k < classes; k++) w[k][j] = wt[j][k];
        return new Fitted(LexicalLayer.quantize(vocab, idf, w, b, 1.0));
    }

    /**
     * The {@code k} features (of {@code candidates}, sorted) with the largest chi-squared statistic of their per-class
     * document counts, {@code sum_c (O_c - E_c)^2 / E_c} with {@code E_c = df * n_c / n}; ties go to the earlier name.
     * Returned sorted by name.
     */
    static List<String> mostClassDependent(List<String> candidates, Map<String, Integer> df, List<Map<String, Integer>> counts,
                                           int[] y, int classes, int k) {
        int m = candidates.size(), n = y.length;
        Map<String, Integer> ix = LexicalLayer.index(candidates);
        int[] perClass = new int[classes];
        for (int c : y) perClass[c]++;
        int[] observed = new int[m * classes];
        for (int i = 0; i < n; i++)
            for (String f : counts.get(i).keySet()) {
                Integer j = ix.get(f);
                if (j != null) observed[j * classes + y[i]]++;
            }
        double[] score = new double[m];
        for (int j = 0; j < m; j++) {
            double d = df.get(candidates.get(j)), s = 0;
            for (int c = 0; c < classes; c++) {
                if (perClass[c] == 0) continue;
                double e = d * perClass[c] / n, o = observed[j * classes + c];
                s += (o - e) * (o - e) / e;
            }
            score[j] = s;
        }
        Integer[] order = new Integer[m];
        for (int j = 0; j < m; j++) order[j] = j;
        java.util.Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
        int[] keep = new int[k];
        for (int j = 0; j < k; j++) keep[j] = order[j];
        java.util.Arrays.sort(keep);
        List<String> out = new ArrayList<>(k);
        for (int j : keep) out.add(candidates.get(j));
        return out;
    }

    /** {@link LexicalLayer#logits} with feature-major weights: per class, the same sum in the same order. */
    private static double[] logitsFeatureMajor(LexicalLayer.Sparse v, float[][] wt, float[] b) {
        int classes = b.length;
        double[] z = new double[classes];
        for (int k = 0; k < classes; k++) z[k] = b[k];
        for (int j = 0; j < v.index().length; j++) {
            float[] wj = wt[v.index()[j]];
            float vj = v.value()[j];
            for (int k = 0; k < classes; k++) z[k] += wj[k] * vj;
        }
        return z;
    }

    /** Unscaled logits of many texts. */
    public static double[][] logits(Fitted f, List<String> texts) {
        Map<String, Integer> index = new HashMap<>(LexicalLayer.index(f.vocab()));
        double[][] z = new double[texts.size()][];
        for (int i = 0; i < z.length; i++) z[i] = f.logits(texts.get(i), index);
        return z;
    }
}
