package ai.infer4j.engine.task;

import ai.infer4j.engine.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A bi-encoder pair classifier: logistic regression on {@link PairFeatures} of two records'
 * pooled embeddings, optionally followed by boosted trees on the similarity features and that
 * regression's log-odds; a pair is a duplicate when its probability reaches {@code threshold}.
 *
 * @param name      head name, e.g. {@code duplicate}
 * @param format    how records become text (stored with the head)
 * @param inputDim  backbone width the head reads (384 for MiniLM)
 * @param weights   one weight per feature, {@link PairFeatures#size}{@code (inputDim)} of them
 * @param bias      intercept
 * @param threshold decision threshold on the probability, in (0, 1)
 * @param training  how the head was trained (data hashes, seed, grid, scores); may be null
 * @param trees     boosted trees on the similarity features and the linear log-odds ({@link #TREE_FEATURES}) that give the
 *                  probability instead of the linear part alone; null for a linear head
 */
public record PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold,
                       JsonNode training, PairTrees trees) implements Head {
    /** What the trees read, in order: the lexical features (cosine first), the extra ones, the linear log-odds. */
    public static final List<String> TREE_FEATURES = treeFeatures();

    public PairHead {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        if (inputDim < 1) throw new ModelLoadException("pair head '" + name + "' inputDim must be >= 1, got " + inputDim);
        if (weights.length != PairFeatures.size(inputDim))
            throw new ModelLoadException("pair head '" + name + "' has " + weights.length + " weights; inputDim " + inputDim
                    + " needs " + PairFeatures.size(inputDim) + " (4 x " + inputDim + " + " + PairFeatures.LEXICAL.size() + " lexical)");
        if (!(threshold > 0 && threshold < 1))
            throw new ModelLoadException("pair head '" + name + "' threshold must be in (0, 1), got " + threshold);
        if (trees != null && !trees.features().equals(TREE_FEATURES))
            throw new ModelLoadException("pair head '" + name + "' has trees on features " + trees.features()
                    + "; this version computes " + TREE_FEATURES);
    }

    /** A linear head (no trees). */
    public PairHead(String name, RecordFormat format, int inputDim, float[] weights, float bias, double threshold, JsonNode training) {
        this(name, format, inputDim, weights, bias, threshold, training, null);
    }

    private static List<String> treeFeatures() {
        List<String> f = new ArrayList<>(PairFeatures.LEXICAL);
        f.addAll(PairFeatures.EXTRA);
        f.add("linear_logit");
        return List.copyOf(f);
    }

    /** Log-odds of the linear part, from the full feature vector. */
    public double linearLogit(float[] features) {
        double z = bias;
        for (int i = 0; i < weights.length; i++) z += weights[i] * features[i];
        return z;
    }

    /**
     * The row the trees read: {@code features}' lexical part (cosine first), the {@link PairFeatures#EXTRA} values of
     * {@code lexical}, and the linear log-odds {@code z}.
     */
    public static float[] treeRow(float[] features, float[] lexical, double z) {
        int lex = PairFeatures.LEXICAL.size(), extra = PairFeatures.EXTRA.size();
        if (lexical.length < lex + extra)
            throw new IllegalArgumentException("pair trees need " + (lex + extra) + " lexical values, got " + lexical.length);
        float[] row = new float[lex + extra + 1];
        System.arraycopy(features, features.length - lex, row, 0, lex);
        System.arraycopy(lexical, lex, row, lex, extra);
        row[lex + extra] = (float) z;
        return row;
    }

    /** Probability of the linear part alone, from the full feature vector. */
    public double probability(float[] features) {
        return 1 / (1 + Math.exp(-linearLogit(features)));
    }

    /** Scores two records' embeddings {@code u}, {@code v} and their {@link PairFeatures#lexical} features. */
    public PairScore score(float[] u, float[] v, float[] lexical) {
        if (u.length != inputDim || v.length != inputDim)
            throw new IllegalArgumentException("pair head '" + name + "' expects vectors of " + inputDim + ", got " + u.length + " and " + v.length);
        float[] x = PairFeatures.combine(u, v, lexical);
        if (trees == null) return PairScore.of(probability(x), threshold);
        return PairScore.of(trees.probability(treeRow(x, lexical, linearLogit(x))), threshold);
    }
}
