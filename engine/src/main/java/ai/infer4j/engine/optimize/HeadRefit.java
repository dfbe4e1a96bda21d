package ai.infer4j.engine.optimize;

import ai.infer4j.engine.task.HiddenLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.HeadTraining;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Re-fits a softmax head to a quantized backbone: starting from the FP32 head, a few epochs of mini-batch
 * Adam on the variant's embeddings of the training texts, with the FP32 head's own class probabilities
 * on the FP32 embeddings of the same texts as soft targets (distillation; no labels needed). The head
 * learns to undo the quantization's systematic shift of the embeddings, so its answers follow the FP32
 * model's, where re-training from scratch on the labels finds another head that disagrees on other
 * borderline inputs. The out-of-scope rule (label and threshold) is kept. Deterministic for a seed.
 */
public final class HeadRefit {
    /**
     * Settings.
     *
     * @param epochs       passes over the training texts
     * @param learningRate Adam step size (on standardised features)
     * @param temperature  softens the teacher's probabilities and the student's logits alike ({@code > 1}: the
     *                     runner-up classes, where borderline answers flip, weigh more)
     * @param anchor       L2 pull towards the FP32 head's weights (keeps the re-fit local)
     * @param seed         shuffling seed
     */
    public record Settings(int epochs, double learningRate, double temperature, double anchor, long seed) {
        public Settings {
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
            if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
            if (!(anchor >= 0)) throw new IllegalArgumentException("anchor must be >= 0, got " + anchor);
        }

        public static Settings defaults() {
            return new Settings(3, 3e-4, 2, 0, 42);
        }
    }

    static final int BATCH_SIZE = 64;

    private HeadRefit() {
    }

    /**
     * @param teacher   the FP32 head
     * @param xTeacher  FP32 embeddings of the training texts {@code [n][dim]}
     * @param xStudent  the variant's embeddings of the same texts, in the same order
     */
    public static SoftmaxHead distill(SoftmaxHead teacher, float[][] xTeacher, float[][] xStudent, Settings s) {
        if (teacher.lexical() != null) {
            // the lexical layer reads the text, not the embedding: re-fit the rest and keep it as it is
            SoftmaxHead rest = distill(new SoftmaxHead(teacher.name(), teacher.labels(), teacher.weights(), teacher.bias(),
                    teacher.oosLabel(), teacher.oosThreshold(), teacher.training(), teacher.oosScore(), teacher.hidden()), xTeacher, xStudent, s);
            return new SoftmaxHead(rest.name(), rest.labels(), rest.weights(), rest.bias(), rest.oosLabel(), rest.oosThreshold(),
                    rest.training(), rest.oosScore(), rest.hidden(), teacher.lexical());
        }
        if (teacher.hidden() != null) return distillSoftmaxLayer(teacher, xTeacher, xStudent, s);
        int n = xStudent.length, dim = teacher.inputDim(), classes = teacher.labels().size();
        if (n == 0 || xTeacher.length != n) throw new IllegalArgumentException("need the same, non-empty texts for teacher and student");
        float[][] target = new float[n][];
        double tInv = 1 / s.temperature();
        for (int i = 0; i < n; i++) {
            double[] zt = new double[classes];
            for (int c = 0; c < classes; c++) {
                double sum = teacher.bias()[c];
                for (int d = 0; d < dim; d++) sum += teacher.weights()[c][d] * xTeacher[i][d];
                zt[c] = sum * tInv;
            }
            HeadTraining.softmaxInPlace(zt);
            target[i] = new float[classes];
            for (int c = 0; c < classes; c++) target[i][c] = (float) zt[c];
        }

        // standardise the student's features; the teacher's weights move into that space: w' = w * std, b' = b + w . mean
        double[] mean = new double[dim], std = new double[dim];
        for (float[] row : xStudent) for (int d = 0; d < dim; d++) mean[d] += row[d];
        for (int d = 0; d < dim; d++) mean[d] /= n;
        for (float[] row : xStudent) for (int d = 0; d < dim; d++) std[d] += (row[d] - mean[d]) * (row[d] - mean[d]);
        for (int d = 0; d < dim; d++) std[d] = Math.max(Math.sqrt(std[d] / n), 1e-6);
        float[][] xs = new float[n][dim];
        for (int i = 0; i < n; i++) for (int d = 0; d < dim; d++) xs[i][d] = (float) ((xStudent[i][d] - mean[d]) / std[d]);
        double[][] w = new double[classes][dim], w0 = new double[classes][dim];
        double[] b = new double[classes];
        for (int c = 0; c < classes; c++) {
            b[c] = teacher.bias()[c];
            for (int d = 0; d < dim; d++) {
                w[c][d] = teacher.weights()[c][d] * std[d];
                w0[c][d] = w[c][d];
                b[c] += teacher.weights()[c][d] * mean[d];
            }
        }

        double[][] mw = new double[classes][dim], vw = new double[classes][dim], gw = new double[classes][dim];
        double[] mb = new double[classes], vb = new double[classes], gb = new double[classes], z = new double[classes];
        final double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(s.seed());
        long step = 0;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            HeadTraining.shuffle(order, rnd);
            for (int start = 0; start < n; start += BATCH_SIZE) {
                int end = Math.min(n, start + BATCH_SIZE);
                for (double[] g : gw) Arrays.fill(g, 0);
                Arrays.fill(gb, 0);
                for (int k = start; k < end; k++) {
                    float[] x = xs[order[k]];
                    float[] p = target[order[k]];
                    for (int c = 0; c < classes; c++) {
                        double sum = b[c];
                        for (int d = 0; d < dim; d++) sum += w[c][d] * x[d];
                        z[c] = sum * tInv;
                    }
                    HeadTraining.softmaxInPlace(z);
                    for (int c = 0; c < classes; c++) {
                        double g = z[c] - p[c]; // d(cross-entropy with soft targets)/d(logit)
                        gb[c] += g;
                        if (Math.abs(g) < 1e-7) continue;
                        for (int d = 0; d < dim; d++) gw[c][d] += g * x[d];
                    }
                }
                step++;
                double scale = 1.0 / (end - start), c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
                double lr = s.learningRate() * Math.sqrt(c2) / c1;
                for (int c = 0; c < classes; c++) {
                    for (int d = 0; d < dim; d++) {
                        double g = gw[c][d] * scale * tInv + s.anchor() * (w[c][d] - w0[c][d]);
                        mw[c][d] = b1 * mw[c][d] + (1 - b1) * g;
                        vw[c][d] = b2 * vw[c][d] + (1 - b2) * g * g;
                        w[c][d] -= lr * mw[c][d] / (Math.sqrt(vw[c][d]) + eps);
                    }
                    double g = gb[c] * scale * tInv;
                    mb[c] = b1 * mb[c] + (1 - b1) * g;
                    vb[c] = b2 * vb[c] + (1 - b2) * g * g;
                    b[c] -= lr * mb[c] / (Math.sqrt(vb[c]) + eps);
                }
            }
        }

        // fold the standardisation back: w . ((x - mean) / std) + b == (w / std) . x + (b - w . mean / std)
        float[][] wOut = new float[classes][dim];
        float[] bOut = new float[classes];
        for (int c = 0; c < classes; c++) {
            double bias = b[c];
            for (int d = 0; d < dim; d++) {
                wOut[c][d] = (float) (w[c][d] / std[d]);
                bias -= w[c][d] * mean[d] / std[d];
            }
            bOut[c] = (float) bias;
        }
        ObjectNode training = teacher.training() != null && teacher.training().isObject()
                ? ((ObjectNode) teacher.training()).deepCopy() : JsonNodeFactory.instance.objectNode();
        ObjectNode r = training.putObject("refit");
        r.put("method", "distilled from the FP32 head on the variant's embeddings (soft targets, warm start, Adam)");
        r.put("texts", n);
        r.put("epochs", s.epochs());
        r.put("learningRate", s.learningRate());
        r.put("temperature", s.temperature());
        r.put("anchor", s.anchor());
        r.put("seed", s.seed());
        return new SoftmaxHead(teacher.name(), teacher.labels(), wOut, bOut, teacher.oosLabel(), teacher.oosThreshold(), training,
                teacher.oosScore());
    }

    /**
     * An MLP head: its hidden layer is kept and its softmax layer is distilled on the hidden units of the variant's
     * embeddings, the same re-fit as a linear head's with the hidden units as the features.
     */
    private static SoftmaxHead distillSoftmaxLayer(SoftmaxHead teacher, float[][] xTeacher, float[][] xStudent, Settings s) {
        HiddenLayer hidden = teacher.hidden();
        float[][] hTeacher = new float[xTeacher.length][], hStudent = new float[xStudent.length][];
        for (int i = 0; i < xTeacher.length; i++) hTeacher[i] = hidden.apply(xTeacher[i]);
        for (int i = 0; i < xStudent.length; i++) hStudent[i] = hidden.apply(xStudent[i]);
        SoftmaxHead top = new SoftmaxHead(teacher.name(), teacher.labels(), teacher.weights(), teacher.bias(), teacher.oosLabel(),
                teacher.oosThreshold(), teacher.training());
        SoftmaxHead refitted = distill(top, hTeacher, hStudent, s);
        return new SoftmaxHead(teacher.name(), teacher.labels(), refitted.weights(), refitted.bias(), teacher.oosLabel(),
                teacher.oosThreshold(), refitted.training(), teacher.oosScore(), hidden);
    }

}
