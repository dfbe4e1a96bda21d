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
 */
public final class LexicalTrainer {
    /** A feature enters the vocabulary when at least this many training texts have it. */
    public static final int MIN_DF = 2;
    public static final int EPOCHS = 30;
    public static final double LEARNING_RATE = 10;
    public static final int BATCH_SIZE = 32;
    public static final double LABEL_SMOOTHING = 0.1;

    /** A trained layer before its scale is chosen. */
    public record Fitted(List<String> vocab, float[] idf, float[][] weights, float[] bias) {
        public LexicalLayer layer(double scale) {
            return new LexicalLayer(vocab, idf, weights, bias, scale);
        }

        /** Unscaled logits of a text. */
        public double[] logits(String text, Map<String, Integer> index) {
            return LexicalLayer.logits(LexicalLayer.vector(text, index, idf), weights, bias, 1.0);
        }
    }

    private LexicalTrainer() {
    }

    /** Trains on {@code texts} with labels {@code y} in {@code [0, classes)}; {@code tick} runs once per epoch. */
    public static Fitted train(List<String> texts, int[] y, int classes, long seed, Runnable tick) {
        int n = texts.size();
        if (n == 0 || y.length != n) throw new BadInputException("lexical layer needs texts and one label each, got " + n + " / " + y.length);
        Map<String, Integer> df = new TreeMap<>();
        List<Map<String, Integer>> counts = new ArrayList<>(n);
        for (String t : texts) {
            Map<String, Integer> c = LexicalLayer.counts(t);
            counts.add(c);
            for (String f : c.keySet()) df.merge(f, 1, Integer::sum);
        }
        List<String> vocab = new ArrayList<>();
        List<Float> idfList = new ArrayList<>();
        for (Map.Entry<String, Integer> e : df.entrySet()) {
            if (e.getValue() < MIN_DF) continue;
            vocab.add(e.getKey());
            idfList.add((float) (Math.log((n + 1.0) / (e.getValue() + 1.0)) + 1));
        }
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
        return new Fitted(vocab, idf, w, b);
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
