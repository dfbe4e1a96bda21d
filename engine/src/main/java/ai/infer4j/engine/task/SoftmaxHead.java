package ai.infer4j.engine.task;

import ai.infer4j.engine.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Objects;

/**
 * A linear softmax classifier on a backbone's pooled embedding, with an optional out-of-scope rule:
 * when the top probability is below {@code oosThreshold}, the answer is {@code oosLabel}.
 *
 * @param name         head name (usually the model name, e.g. {@code intent})
 * @param labels       class labels, one per weight row
 * @param weights      {@code [labels][inputDim]}
 * @param bias         {@code [labels]}
 * @param oosLabel     label for out-of-scope input, or null
 * @param oosThreshold top probability below which the answer is {@code oosLabel} (0 = rule off)
 * @param training     how the head was trained (data hashes, seed, grid, scores); may be null
 */
public record SoftmaxHead(String name, List<String> labels, float[][] weights, float[] bias, String oosLabel,
                          double oosThreshold, JsonNode training) implements Head {
    public SoftmaxHead {
        Objects.requireNonNull(name, "name");
        labels = List.copyOf(labels);
        if (labels.size() < 2) throw new ModelLoadException("head '" + name + "' needs at least 2 labels, has " + labels.size());
        if (weights.length != labels.size())
            throw new ModelLoadException("head '" + name + "' has " + labels.size() + " labels but " + weights.length + " weight rows");
        if (bias.length != labels.size())
            throw new ModelLoadException("head '" + name + "' has " + labels.size() + " labels but " + bias.length + " biases");
        int dim = weights[0].length;
        for (float[] row : weights)
            if (row.length != dim) throw new ModelLoadException("head '" + name + "' has weight rows of different lengths");
        if (oosThreshold < 0 || oosThreshold >= 1)
            throw new ModelLoadException("head '" + name + "' oosThreshold must be in [0, 1), got " + oosThreshold);
        if (oosLabel != null && !labels.contains(oosLabel))
            throw new ModelLoadException("head '" + name + "' oosLabel '" + oosLabel + "' is not one of its labels");
    }

    /** Width of the embedding this head reads. */
    @Override
    public int inputDim() {
        return weights[0].length;
    }

    /** Classifies one pooled embedding. */
    public Prediction apply(float[] x) {
        if (x.length != inputDim())
            throw new IllegalArgumentException("head '" + name + "' expects " + inputDim() + " values, got " + x.length);
        double[] z = new double[labels.size()];
        for (int k = 0; k < z.length; k++) z[k] = bias[k] + dot(weights[k], x);
        return decide(softmax(z));
    }

    /** Dot product with four independent float sums (lets the CPU overlap the additions; ~3x a single sum). */
    static float dot(float[] w, float[] x) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int d = 0;
        for (int n = x.length - 3; d < n; d += 4) {
            s0 += w[d] * x[d];
            s1 += w[d + 1] * x[d + 1];
            s2 += w[d + 2] * x[d + 2];
            s3 += w[d + 3] * x[d + 3];
        }
        for (; d < x.length; d++) s0 += w[d] * x[d];
        return (s0 + s1) + (s2 + s3);
    }

    /** Applies the arg-max and the out-of-scope rule to class probabilities. */
    public Prediction decide(float[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        if (oosLabel != null && p[best] < oosThreshold) return new Prediction(oosLabel, 1.0 - p[best], labels, p);
        return new Prediction(labels.get(best), p[best], labels, p);
    }

    public static float[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        double[] e = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            e[k] = Math.exp(z[k] - max);
            sum += e[k];
        }
        float[] p = new float[z.length];
        for (int k = 0; k < z.length; k++) p[k] = (float) (e[k] / sum);
        return p;
    }
}
