package ai.infer4j.engine.train;

import java.util.SplittableRandom;

/**
 * The steps every head trainer shares: shuffling the example order each epoch, a numerically safe softmax, and
 * folding the input standardisation back into a trained linear layer, so the served head reads raw embeddings.
 */
public final class HeadTraining {
    /** A linear layer in serving form: {@code w[out][in]}, {@code b[out]}. */
    public record Folded(float[][] w, float[] b) { }

    private HeadTraining() {
    }

    /** Fisher–Yates shuffle of {@code order} in place (the same draws, in the same order, as every trainer used). */
    public static void shuffle(int[] order, SplittableRandom rnd) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Folds standardisation into a layer trained on {@code (x - mean) / std}: w'·x + b' == w·((x-mean)/std) + b. */
    public static Folded fold(float[][] w, double[] b, double[] mean, double[] std) {
        int out = w.length, dim = w[0].length;
        float[][] w2 = new float[out][dim];
        float[] b2 = new float[out];
        for (int c = 0; c < out; c++) {
            double bias = b[c];
            for (int d = 0; d < dim; d++) {
                w2[c][d] = (float) (w[c][d] / std[d]);
                bias -= w[c][d] * mean[d] / std[d];
            }
            b2[c] = (float) bias;
        }
        return new Folded(w2, b2);
    }

    /** Softmax of {@code z} in place, shifted by its maximum so large logits do not overflow. */
    public static void softmaxInPlace(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (int k = 0; k < z.length; k++) {
            z[k] = Math.exp(z[k] - max);
            sum += z[k];
        }
        for (int k = 0; k < z.length; k++) z[k] /= sum;
    }
}
