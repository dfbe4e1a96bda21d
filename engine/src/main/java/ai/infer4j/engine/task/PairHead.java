package ai.infer4j.engine.task;

import ai.infer4j.engine.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Objects;

/**
 * A bi-encoder pair classifier: logistic regression on {@link PairFeatures} of two records'
 * pooled embeddings; a pair is a duplicate when its probability reaches {@code threshold}.
 *
 * @param name      head name, e.g. {@code duplicate}
 * @param format    how records become text (stored with the head)
 * @param inputDim  backbone width the head reads (384 for MiniLM)
 * @param weights   one weight per feature, {@link PairFeatures#size}{@code (inputDim)} of them
 * @param bias      intercept
 * @param threshold decision threshold on the probability, in (0, 1)
 * @param training  how the head was trained (data hashes, seed, grid, scores); may be null
 */
public record PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold,
                       JsonNode training) implements Head {
    public PairHead {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        if (inputDim < 1) throw new ModelLoadException("pair head '" + name + "' inputDim must be >= 1, got " + inputDim);
        if (weights.length != PairFeatures.size(inputDim))
            throw new ModelLoadException("pair head '" + name + "' has " + weights.length + " weights; inputDim " + inputDim
                    + " needs " + PairFeatures.size(inputDim) + " (4 x " + inputDim + " + " + PairFeatures.LEXICAL.size() + " lexical)");
        if (!(threshold > 0 && threshold < 1))
            throw new ModelLoadException("pair head '" + name + "' threshold must be in (0, 1), got " + threshold);
    }

    /** Probability that the pair is a duplicate, from the full feature vector. */
    public double probability(float[] features) {
        double z = bias;
        for (int i = 0; i < weights.length; i++) z += weights[i] * features[i];
        return 1 / (1 + Math.exp(-z));
    }

    /** Scores two records' embeddings {@code u}, {@code v} and their {@link PairFeatures#lexical} features. */
    public PairScore score(float[] u, float[] v, float[] lexical) {
        if (u.length != inputDim || v.length != inputDim)
            throw new IllegalArgumentException("pair head '" + name + "' expects vectors of " + inputDim + ", got " + u.length + " and " + v.length);
        return PairScore.of(probability(PairFeatures.combine(u, v, lexical)), threshold);
    }
}
