package ai.infer4j.engine.train;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-hidden-layer MLP classifier on standardised embeddings: {@code softmax(W2 · act(W1 · x + b1) + b2)}, trained with
 * mini-batch AdamW (decoupled weight decay on the weights, not the biases), inverted dropout on the hidden units,
 * label smoothing, and the step size decaying as {@code 1/sqrt(epoch)} after a one-epoch linear warm-up, so a snapshot at
 * epoch e equals a run of e epochs. An ensemble of {@code members} networks (seeds {@code seed + m}) is one network whose
 * hidden layer is the members' hidden layers side by side and whose softmax layer averages their logits.
 *
 * <p>Deterministic: each member trains on one thread with a fixed visiting order and initialisation from its seed, and
 * uses no reductions whose order depends on the thread count, so the same inputs give bit-identical weights whatever
 * {@code threads} is. The standardisation is folded into the returned first layer, so it applies to raw embeddings.
 */
public final class MlpTrainer {
    /** Examples per AdamW step. */
    public static final int BATCH_SIZE = 32;

    /**
     * One recipe.
     *
     * @param hidden         hidden units per member
     * @param activation     {@link HiddenLayer#RELU} or {@link HiddenLayer#GELU}
     * @param learningRate   AdamW peak step size
     * @param weightDecay    decoupled weight decay (per step, times the step size)
     * @param dropout        drop rate of the hidden units while training
     * @param labelSmoothing share of the target spread uniformly over the classes
     * @param members        networks averaged (each its own seed)
     */
    public record Params(int hidden, String activation, double learningRate, double weightDecay, double dropout, double labelSmoothing,
                         int members) {
        public Params {
            if (hidden < 1) throw new BadInputException("mlp hidden units must be >= 1, got " + hidden);
            if (!HiddenLayer.RELU.equals(activation) && !HiddenLayer.GELU.equals(activation))
                throw new BadInputException("mlp activation must be relu or gelu, got " + activation);
            if (!(learningRate > 0)) throw new BadInputException("mlp learning rate must be > 0, got " + learningRate);
            if (!(weightDecay >= 0)) throw new BadInputException("mlp weight decay must be >= 0, got " + weightDecay);
            if (!(dropout >= 0 && dropout < 1)) throw new BadInputException("mlp dropout must be in [0, 1), got " + dropout);
            if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new BadInputException("mlp label smoothing must be in [0, 1), got " + labelSmoothing);
            if (members < 1) throw new BadInputException("mlp members must be >= 1, got " + members);
        }

        /** Writes this recipe into {@code o} (training metadata; {@link #of} reads it back). */
        public ObjectNode put(ObjectNode o) {
            return o.put("hidden", hidden).put("activation", activation).put("learningRate", learningRate).put("weightDecay", weightDecay)
                    .put("dropout", dropout).put("labelSmoothing", labelSmoothing).put("members", members);
        }

        /** The recipe written by {@link #put}, or null when {@code o} has none. */
        public static Params of(JsonNode o) {
            if (o == null || !o.path("hidden").isInt() || !o.path("activation").isTextual() || !o.path("learningRate").isNumber())
                return null;
            return new Params(o.get("hidden").asInt(), o.get("activation").asText(), o.get("learningRate").asDouble(),
                    o.path("weightDecay").asDouble(0), o.path("dropout").asDouble(0), o.path("labelSmoothing").asDouble(0),
                    o.path("members").asInt(1));
        }
    }

    /** A trained network (or an ensemble folded into one) after {@code epochs} epochs; {@code w}, {@code b}: softmax layer. */
    public record Network(int epochs, HiddenLayer hidden, float[][] w, float[] b) { }

    private MlpTrainer() {
    }

    /**
     * Trains {@code p.members()} networks ({@code threads} at a time) and returns the ensemble at each epoch count in
     * {@code checkpoints} (ascending).
     */
    public static List<Network> train(float[][] x, int[] y, int classes, Params p, int[] checkpoints, long seed, int threads,
                                      Runnable epochDone) {
        if (x.length == 0) throw new BadInputException("no training rows");
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, p.members())),
                r -> new Thread(r, "infer4j-mlp-" + threadNo.getAndIncrement()));
        try {
            List<Future<List<Network>>> futures = new ArrayList<>();
            for (int m = 0; m < p.members(); m++) {
                long s = seed + m;
                futures.add(pool.submit(() -> trainOne(x, y, classes, p, checkpoints, s, epochDone)));
            }
            List<List<Network>> members = new ArrayList<>();
            for (Future<List<Network>> f : futures) members.add(f.get());
            List<Network> out = new ArrayList<>();
            for (int c = 0; c < checkpoints.length; c++) {
                List<Network> at = new ArrayList<>();
                for (List<Network> m : members) at.add(m.get(c));
                out.add(average(at));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("training failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Networks side by side: hidden layers concatenated, softmax weights divided by their number, biases averaged. */
    static Network average(List<Network> nets) {
        if (nets.size() == 1) return nets.get(0);
        int m = nets.size(), classes = nets.get(0).b().length;
        int width = 0;
        for (Network n : nets) width += n.hidden().width();
        float[][] hw = new float[width][];
        float[] hb = new float[width];
        float[][] w = new float[classes][width];
        float[] b = new float[classes];
        int at = 0;
        for (Network n : nets) {
            int k = n.hidden().width();
            for (int j = 0; j < k; j++) {
                hw[at + j] = n.hidden().weights()[j];
                hb[at + j] = n.hidden().bias()[j];
            }
            for (int c = 0; c < classes; c++) {
                for (int j = 0; j < k; j++) w[c][at + j] = n.w()[c][j] / m;
                b[c] += n.b()[c] / m;
            }
            at += k;
        }
        return new Network(nets.get(0).epochs(), new HiddenLayer(hw, hb, nets.get(0).hidden().activation()), w, b);
    }

    /** One network, one thread; snapshots at {@code checkpoints}. */
    static List<Network> trainOne(float[][] x, int[] y, int classes, Params p, int[] checkpoints, long seed, Runnable epochDone) {
        int n = x.length, dim = x[0].length, hid = p.hidden();
        double[] mean = new double[dim], std = new double[dim];
        for (float[] row : x) for (int d = 0; d < dim; d++) mean[d] += row[d];
        for (int d = 0; d < dim; d++) mean[d] /= n;
        for (float[] row : x) for (int d = 0; d < dim; d++) std[d] += (row[d] - mean[d]) * (row[d] - mean[d]);
        for (int d = 0; d < dim; d++) std[d] = Math.max(Math.sqrt(std[d] / n), 1e-6);
        float[][] xs = new float[n][dim];
        for (int i = 0; i < n; i++) for (int d = 0; d < dim; d++) xs[i][d] = (float) ((x[i][d] - mean[d]) / std[d]);

        SplittableRandom rnd = new SplittableRandom(seed);
        // first layer unit-major ([hid][dim]): a dropped unit costs nothing forward, a unit without gradient nothing backward
        float[][] w1 = new float[hid][dim], w2 = new float[hid][classes];
        float[] b1 = new float[hid], b2 = new float[classes];
        double a1 = Math.sqrt(6.0 / (dim + hid)), a2 = Math.sqrt(6.0 / (hid + classes));
        for (float[] row : w1) for (int d = 0; d < dim; d++) row[d] = (float) ((rnd.nextDouble() * 2 - 1) * a1);
        for (float[] row : w2) for (int c = 0; c < classes; c++) row[c] = (float) ((rnd.nextDouble() * 2 - 1) * a2);
        Adam o1 = new Adam(hid, dim), o2 = new Adam(hid, classes), ob1 = new Adam(1, hid), ob2 = new Adam(1, classes);
        float[][] g1 = new float[hid][dim], g2 = new float[hid][classes];
        float[] gb1 = new float[hid], gb2 = new float[classes];
        float[] pre = new float[hid], h = new float[hid], gh = new float[hid];
        boolean[] kept = new boolean[hid];
        double[] z = new double[classes];
        float[] gz = new float[classes];
        boolean relu = p.activation().equals(HiddenLayer.RELU);
        double keep = 1 - p.dropout();
        float scaleKeep = (float) (1 / keep);
        double smooth = p.labelSmoothing() / classes;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int stepsPerEpoch = (n + BATCH_SIZE - 1) / BATCH_SIZE;
        List<Network> out = new ArrayList<>();
        long step = 0;
        int next = 0;
        for (int epoch = 1; epoch <= checkpoints[checkpoints.length - 1]; epoch++) {
            HeadTraining.shuffle(order, rnd);
            for (int start = 0; start < n; start += BATCH_SIZE) {
                int end = Math.min(n, start + BATCH_SIZE);
                for (float[] g : g1) Arrays.fill(g, 0f);
                for (float[] g : g2) Arrays.fill(g, 0f);
                Arrays.fill(gb1, 0f);
                Arrays.fill(gb2, 0f);
                for (int k = start; k < end; k++) {
                    int i = order[k];
                    float[] xi = xs[i];
                    for (int j = 0; j < hid; j++) {
                        kept[j] = p.dropout() == 0 || rnd.nextDouble() < keep;
                        if (!kept[j]) {
                            h[j] = 0f;
                            continue;
                        }
                        pre[j] = b1[j] + SoftmaxHead.dot(w1[j], xi);
                        h[j] = (relu ? Math.max(0f, pre[j]) : HiddenLayer.gelu(pre[j])) * scaleKeep;
                    }
                    for (int c = 0; c < classes; c++) z[c] = b2[c];
                    for (int j = 0; j < hid; j++) {
                        float hj = h[j];
                        if (hj == 0f) continue;
                        float[] row = w2[j];
                        for (int c = 0; c < classes; c++) z[c] += hj * row[c];
                    }
                    HeadTraining.softmaxInPlace(z);
                    for (int c = 0; c < classes; c++) gz[c] = (float) (z[c] - smooth - (c == y[i] ? 1 - p.labelSmoothing() : 0));
                    for (int c = 0; c < classes; c++) gb2[c] += gz[c];
                    for (int j = 0; j < hid; j++) {
                        gh[j] = 0f;
                        if (!kept[j]) continue;
                        float hj = h[j];
                        if (hj != 0f) axpy(hj, gz, g2[j], classes);
                        float da = relu ? (pre[j] > 0 ? 1f : 0f) : HiddenLayer.geluGrad(pre[j]);
                        if (da == 0f) continue;
                        float[] row = w2[j];
                        float s = 0;
                        for (int c = 0; c < classes; c++) s += row[c] * gz[c];
                        gh[j] = s * da * scaleKeep;
                        gb1[j] += gh[j];
                        axpy(gh[j], xi, g1[j], dim);
                    }
                }
                step++;
                float scale = 1f / (end - start);
                // one-epoch linear warm-up, then 1/sqrt(epoch): a snapshot at epoch e equals a run of e epochs
                double lr = p.learningRate() * Math.min(1.0, (double) step / stepsPerEpoch) / Math.sqrt(epoch);
                o1.step(w1, g1, scale, lr, p.weightDecay(), step);
                o2.step(w2, g2, scale, lr, p.weightDecay(), step);
                ob1.step(new float[][] {b1}, new float[][] {gb1}, scale, lr, 0, step);
                ob2.step(new float[][] {b2}, new float[][] {gb2}, scale, lr, 0, step);
            }
            epochDone.run();
            if (epoch == checkpoints[next]) {
                out.add(snapshot(epoch, w1, b1, w2, b2, mean, std, p.activation()));
                next++;
            }
        }
        return out;
    }

    /** {@code y[0..len) += a * x[0..len)}. */
    private static void axpy(float a, float[] x, float[] y, int len) {
        for (int j = 0; j < len; j++) y[j] += a * x[j];
    }

    /** AdamW state of one {@code [rows][cols]} parameter block. */
    private static final class Adam {
        private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;
        private final float[][] m, v;

        Adam(int rows, int cols) {
            m = new float[rows][cols];
            v = new float[rows][cols];
        }

        void step(float[][] w, float[][] g, float scale, double lr, double decay, long t) {
            double c1 = 1 - Math.pow(B1, t), c2 = 1 - Math.pow(B2, t);
            float lrHat = (float) (lr * Math.sqrt(c2) / c1), shrink = (float) (1 - lr * decay), eps = (float) EPS;
            float b1 = (float) B1, b2 = (float) B2, ib1 = (float) (1 - B1), ib2 = (float) (1 - B2);
            for (int r = 0; r < w.length; r++) {
                float[] wr = w[r], gr = g[r], mr = m[r], vr = v[r];
                for (int c = 0; c < wr.length; c++) {
                    float gd = gr[c] * scale;
                    mr[c] = b1 * mr[c] + ib1 * gd;
                    vr[c] = b2 * vr[c] + ib2 * gd * gd;
                    wr[c] = wr[c] * shrink - lrHat * mr[c] / ((float) Math.sqrt(vr[c]) + eps);
                }
            }
        }
    }

    /** The network in serving form: first layer {@code [hid][dim]} with the standardisation folded in. */
    private static Network snapshot(int epochs, float[][] w1, float[] b1, float[][] w2, float[] b2, double[] mean, double[] std,
                                    String activation) {
        int hid = b1.length, classes = b2.length;
        double[] bias = new double[hid];
        for (int j = 0; j < hid; j++) bias[j] = b1[j];
        HeadTraining.Folded first = HeadTraining.fold(w1, bias, mean, std);
        float[][] hw = first.w();
        float[] hb = first.b();
        float[][] w = new float[classes][hid];
        for (int c = 0; c < classes; c++) for (int j = 0; j < hid; j++) w[c][j] = w2[j][c];
        return new Network(epochs, new HiddenLayer(hw, hb, activation), w, b2.clone());
    }

}
