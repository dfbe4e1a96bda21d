package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Objects;

/**
 * A softmax classifier on a backbone's pooled embedding, linear or with one {@link HiddenLayer} (an MLP head: the softmax
 * layer then reads the hidden units instead of the embedding), with optional out-of-scope rules: the answer is
 * {@code oosLabel} when the top probability is below {@code oosThreshold}, or when {@code oosScore} (if set) reaches its
 * threshold, or when {@code oosLabel} itself is the most probable class.
 *
 * @param name         head name (usually the model name, e.g. {@code intent})
 * @param labels       class labels, one per weight row
 * @param weights      {@code [labels][inputDim]}, or {@code [labels][hidden width]} with a hidden layer
 * @param bias         {@code [labels]}
 * @param oosLabel     label for out-of-scope input, or null
 * @param oosThreshold top probability below which the answer is {@code oosLabel} (0 = rule off)
 * @param training     how the head was trained (data hashes, seed, grid, scores); may be null
 * @param oosScore     out-of-scope score and threshold (energy + centroid distance), or null for the probability rule only
 * @param hidden       hidden layer between the embedding and the softmax layer, or null for a linear head
 * @param lexical      class scores from the text's words added to the logits, or null; a head with one needs the text
 *                     ({@link #apply(float[], String)})
 */
public record SoftmaxHead(String name, List<String> labels, float[][] weights, float[] bias, String oosLabel,
                          double oosThreshold, JsonNode training, OutOfScopeScore oosScore, HiddenLayer hidden,
                          LexicalLayer lexical) implements Head {
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
        if (hidden != null && hidden.width() != dim)
            throw new ModelLoadException("head '" + name + "' has " + hidden.width() + " hidden units but softmax weights of width " + dim);
        if (hidden != null) dim = hidden.inputDim();
        if (oosThreshold < 0 || oosThreshold >= 1)
            throw new ModelLoadException("head '" + name + "' oosThreshold must be in [0, 1), got " + oosThreshold);
        if (oosLabel != null && !labels.contains(oosLabel))
            throw new ModelLoadException("head '" + name + "' oosLabel '" + oosLabel + "' is not one of its labels");
        if (oosScore != null && oosLabel == null)
            throw new ModelLoadException("head '" + name + "' has an out-of-scope score but no oosLabel");
        if (oosScore != null && oosScore.centroids()[0].length != dim)
            throw new ModelLoadException("head '" + name + "' has out-of-scope centroids of width " + oosScore.centroids()[0].length
                    + " but weights of width " + dim);
        if (lexical != null && lexical.classes() != labels.size())
            throw new ModelLoadException("head '" + name + "' has " + labels.size() + " labels but a lexical layer of " + lexical.classes());
    }

    /** A head without a lexical layer. */
    public SoftmaxHead(String name, List<String> labels, float[][] weights, float[] bias, String oosLabel, double oosThreshold,
                       JsonNode training, OutOfScopeScore oosScore, HiddenLayer hidden) {
        this(name, labels, weights, bias, oosLabel, oosThreshold, training, oosScore, hidden, null);
    }

    /** A linear head (no hidden layer). */
    public SoftmaxHead(String name, List<String> labels, float[][] weights, float[] bias, String oosLabel, double oosThreshold,
                       JsonNode training, OutOfScopeScore oosScore) {
        this(name, labels, weights, bias, oosLabel, oosThreshold, training, oosScore, null, null);
    }

    /** A linear head with the top-probability out-of-scope rule only (no {@link OutOfScopeScore}). */
    public SoftmaxHead(String name, List<String> labels, float[][] weights, float[] bias, String oosLabel, double oosThreshold,
                       JsonNode training) {
        this(name, labels, weights, bias, oosLabel, oosThreshold, training, null, null, null);
    }

    /** Width of the embedding this head reads. */
    @Override
    public int inputDim() {
        return hidden != null ? hidden.inputDim() : weights[0].length;
    }

    /** This head with other metadata and out-of-scope score (same layers). */
    public SoftmaxHead with(JsonNode newTraining, OutOfScopeScore newOosScore) {
        return new SoftmaxHead(name, labels, weights, bias, oosLabel, oosThreshold, newTraining, newOosScore, hidden, lexical);
    }

    /**
     * Classifies one pooled embedding. With an {@link OutOfScopeScore} the answer carries that score as its
     * {@link Prediction#novelty()} (the number the out-of-scope rule compares with its threshold).
     */
    public Prediction apply(float[] x) {
        return apply(x, null);
    }

    /**
     * Classifies one pooled embedding of {@code text}. The text is read only by a head with a {@link LexicalLayer}
     * (which refuses a null text); other heads ignore it.
     */
    public Prediction apply(float[] x, String text) {
        if (x.length != inputDim())
            throw new IllegalArgumentException("head '" + name + "' expects " + inputDim() + " values, got " + x.length);
        double[] z = logits(x, text);
        float[] p = softmax(z);
        if (oosScore != null) {
            int best = argmax(p);
            int oos = labels.indexOf(oosLabel);
            // computed for every answer (not only when the rule needs it) so monitoring sees the whole distribution
            double novelty = oosScore.score(z, oos, x);
            if (best != oos && novelty >= oosScore.threshold()) return new Prediction(oosLabel, 1.0 - p[best], labels, p, novelty);
            return decide(p, novelty);
        }
        return decide(p, Double.NaN);
    }

    /** Raw class scores (before the softmax) of one pooled embedding. */
    public double[] logits(float[] x) {
        return logits(x, null);
    }

    /** Raw class scores of one pooled embedding and its text (the text counts only with a {@link LexicalLayer}). */
    public double[] logits(float[] x, String text) {
        float[] in = hidden != null ? hidden.apply(x) : x;
        double[] z = new double[labels.size()];
        for (int k = 0; k < z.length; k++) z[k] = bias[k] + dot(weights[k], in);
        if (lexical != null) {
            if (text == null)
                throw new BadInputException("head '" + name + "' reads the text too (it has a lexical layer); this path passes only "
                        + "the embedding: use infer4j predict/eval/serve, or a head trained without --lexical");
            double[] l = lexical.logits(text);
            for (int k = 0; k < z.length; k++) z[k] += l[k];
        }
        return z;
    }

    /**
     * How out of scope {@code x} looks to this head's rule, higher = more: the {@link OutOfScopeScore} when the head has
     * one, else one minus the top probability. The head answers {@code oosLabel} at or above {@link #outOfScopeThreshold()}
     * (or when {@code oosLabel} is the most probable class).
     */
    public double outOfScope(float[] x) {
        return outOfScope(x, null);
    }

    /** {@link #outOfScope(float[])} of an embedding and its text (for a head with a {@link LexicalLayer}). */
    public double outOfScope(float[] x, String text) {
        double[] z = logits(x, text);
        if (oosScore != null) return oosScore.score(z, labels.indexOf(oosLabel), x);
        float[] p = softmax(z);
        return 1.0 - p[argmax(p)];
    }

    /** The threshold on {@link #outOfScope} this head uses (for the probability rule: 1 - {@code oosThreshold}). */
    public double outOfScopeThreshold() {
        return oosScore != null ? oosScore.threshold() : 1.0 - oosThreshold;
    }

    /** The most probable label, without any out-of-scope rule but {@code oosLabel} winning as a class. */
    public String topLabel(float[] x) {
        return topLabel(x, null);
    }

    /** {@link #topLabel(float[])} of an embedding and its text (for a head with a {@link LexicalLayer}). */
    public String topLabel(float[] x, String text) {
        return labels.get(argmax(softmax(logits(x, text))));
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        return best;
    }

    /** Dot product with four independent float sums (lets the CPU overlap the additions; ~3x a single sum). */
    public static float dot(float[] w, float[] x) {
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
        return decide(p, Double.NaN);
    }

    private Prediction decide(float[] p, double novelty) {
        int best = argmax(p);
        if (oosLabel != null && p[best] < oosThreshold) return new Prediction(oosLabel, 1.0 - p[best], labels, p, novelty);
        return new Prediction(labels.get(best), p[best], labels, p, novelty);
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
