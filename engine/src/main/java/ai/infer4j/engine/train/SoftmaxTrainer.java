package ai.infer4j.engine.train;

import ai.infer4j.engine.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Multinomial logistic regression trained with mini-batch Adam (step size decaying as 1/sqrt(epoch))
 * on standardised features.
 * Deterministic: one thread, a fixed visiting order from {@code seed}, zero initial weights; the
 * same inputs give bit-identical weights. The standardisation is folded into the returned
 * weights, so they apply to raw embeddings.
 */
public final class SoftmaxTrainer {
    /** Examples per Adam step. */
    public static final int BATCH_SIZE = 64;

    /** Weights {@code [classes][dim]} and bias {@code [classes]} after {@code epochs} epochs. */
    public record Weights(int epochs, float[][] w, float[] b) { }

    /** Writes a grid's axes into {@code grid} (training metadata) and returns it for more fields. */
    public static com.fasterxml.jackson.databind.node.ObjectNode gridJson(com.fasterxml.jackson.databind.node.ObjectNode grid,
                                                                          double[] learningRates, double[] l2s, int[] epochs) {
        var lrs = grid.putArray("learningRate");
        for (double v : learningRates) lrs.add(v);
        var l2 = grid.putArray("l2");
        for (double v : l2s) l2.add(v);
        var eps = grid.putArray("epochs");
        for (int v : epochs) eps.add(v);
        return grid;
    }

    /** One trained grid point. */
    public record GridPoint(double learningRate, double l2, Weights weights) { }

    /**
     * Trains every learning rate x L2 pair (in parallel, one thread each, so the result does not depend on
     * {@code threads}) and returns a point per pair and checkpoint, in grid order: learning rate, then L2, then epochs.
     */
    public static List<GridPoint> gridSearch(float[][] x, int[] y, int classes, double[] learningRates, double[] l2s, int[] checkpoints,
                                             long seed, int threads, Progress progress) {
        List<double[]> runs = new ArrayList<>();
        for (double lr : learningRates) for (double l2 : l2s) runs.add(new double[] {lr, l2});
        long totalEpochs = (long) runs.size() * checkpoints[checkpoints.length - 1];
        AtomicLong epochsDone = new AtomicLong();
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(
                Math.max(1, Math.min(threads, runs.size())), r -> new Thread(r, "infer4j-train-" + threadNo.getAndIncrement()));
        try {
            List<Future<List<Weights>>> futures = new ArrayList<>();
            for (double[] run : runs)
                futures.add(pool.submit(() -> train(x, y, classes, run[0], run[1], checkpoints, seed,
                        () -> progress.update("grid search", epochsDone.incrementAndGet(), totalEpochs))));
            List<GridPoint> out = new ArrayList<>();
            for (int r = 0; r < runs.size(); r++)
                for (Weights w : futures.get(r).get()) out.add(new GridPoint(runs.get(r)[0], runs.get(r)[1], w));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("training failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private SoftmaxTrainer() {
    }

    /**
     * Trains one model and returns a snapshot at each epoch count in {@code checkpoints} (ascending);
     * a snapshot at epoch e is exactly what a run of e epochs would give.
     *
     * @param x            examples {@code [n][dim]}
     * @param y            class index per example, {@code 0..classes-1}
     * @param learningRate Adam step size
     * @param l2           L2 penalty on the weights (not the bias)
     */
    public static List<Weights> train(float[][] x, int[] y, int classes, double learningRate, double l2,
                                      int[] checkpoints, long seed, Runnable epochDone) {
        int n = x.length, dim = x[0].length;
        double[] mean = new double[dim], std = new double[dim];
        for (float[] row : x) for (int d = 0; d < dim; d++) mean[d] += row[d];
        for (int d = 0; d < dim; d++) mean[d] /= n;
        for (float[] row : x) for (int d = 0; d < dim; d++) std[d] += (row[d] - mean[d]) * (row[d] - mean[d]);
        for (int d = 0; d < dim; d++) std[d] = Math.max(Math.sqrt(std[d] / n), 1e-6);
        float[][] xs = new float[n][dim];
        for (int i = 0; i < n; i++) for (int d = 0; d < dim; d++) xs[i][d] = (float) ((x[i][d] - mean[d]) / std[d]);

        float[][] w = new float[classes][dim], mw = new float[classes][dim], vw = new float[classes][dim], gw = new float[classes][dim];
        double[] b = new double[classes], mb = new double[classes], vb = new double[classes], gb = new double[classes];
        double[] z = new double[classes];
        final double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Weights> out = new ArrayList<>();
        long step = 0;
        int next = 0;
        for (int epoch = 1; epoch <= checkpoints[checkpoints.length - 1]; epoch++) {
            HeadTraining.shuffle(order, rnd);
            for (int start = 0; start < n; start += BATCH_SIZE) {
                int end = Math.min(n, start + BATCH_SIZE);
                for (float[] g : gw) Arrays.fill(g, 0f);
                Arrays.fill(gb, 0);
                for (int k = start; k < end; k++) {
                    float[] xi = xs[order[k]];
                    logits(w, b, xi, z);
                    HeadTraining.softmaxInPlace(z);
                    z[y[order[k]]] -= 1;
                    for (int c = 0; c < classes; c++) {
                        float g = (float) z[c];
                        gb[c] += g;
                        if (Math.abs(g) < 1e-6f) continue;
                        float[] gc = gw[c];
                        for (int d = 0; d < dim; d++) gc[d] += g * xi[d];
                    }
                }
                step++;
                float scale = 1f / (end - start);
                double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
                // step size decays as 1/sqrt(epoch): a snapshot at epoch e equals a run of e epochs
                float lrHat = (float) (learningRate / Math.sqrt(epoch) * Math.sqrt(c2) / c1);
                for (int c = 0; c < classes; c++) {
                    float[] wc = w[c], m = mw[c], v = vw[c], g = gw[c];
                    for (int d = 0; d < dim; d++) {
                        float gd = g[d] * scale + (float) l2 * wc[d];
                        m[d] = (float) (b1 * m[d] + (1 - b1) * gd);
                        v[d] = (float) (b2 * v[d] + (1 - b2) * gd * gd);
                        wc[d] -= lrHat * m[d] / ((float) Math.sqrt(v[d]) + (float) eps);
                    }
                    double gd = gb[c] * scale;
                    mb[c] = b1 * mb[c] + (1 - b1) * gd;
                    vb[c] = b2 * vb[c] + (1 - b2) * gd * gd;
                    b[c] -= lrHat * mb[c] / (Math.sqrt(vb[c]) + eps);
                }
            }
            epochDone.run();
            if (epoch == checkpoints[next]) {
                out.add(fold(epoch, w, b, mean, std));
                next++;
            }
        }
        return out;
    }

    /** Folds standardisation into the weights: w'·x + b' == w·((x-mean)/std) + b. */
    private static Weights fold(int epochs, float[][] w, double[] b, double[] mean, double[] std) {
        HeadTraining.Folded f = HeadTraining.fold(w, b, mean, std);
        return new Weights(epochs, f.w(), f.b());
    }

    private static void logits(float[][] w, double[] b, float[] x, double[] z) {
        for (int c = 0; c < w.length; c++) {
            float[] wc = w[c];
            float s = 0;
            for (int d = 0; d < x.length; d++) s += wc[d] * x[d];
            z[c] = s + b[c];
        }
    }

}
