package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;

import java.util.List;

/**
 * Gradient-boosted regression trees (logistic loss) over a short feature row: the pair head's similarity features
 * and its linear score. The duplicate log-odds are {@code base + rate * sum(tree(x))}.
 * Each tree is stored flat: node {@code i} splits on {@code feature[i]} at {@code split[i]} (go left when
 * {@code x <= split}) into {@code left[i]}/{@code right[i]}, or is a leaf ({@code feature[i] == -1}) worth {@code value[i]}.
 * Immutable; safe for concurrent callers.
 *
 * @param features names of the inputs, in the order of a feature row
 * @param base     initial log-odds
 * @param rate     learning rate (shrinkage) applied to every tree
 * @param trees    the trees
 */
public record PairTrees(List<String> features, double base, double rate, List<Tree> trees) {
    public PairTrees {
        features = List.copyOf(features);
        trees = List.copyOf(trees);
        if (!(rate > 0 && rate <= 1)) throw new ModelLoadException("pair trees: rate must be in (0, 1], got " + rate);
        for (Tree t : trees) t.check(features.size());
    }

    /** One tree in flat arrays (see {@link PairTrees}). */
    public record Tree(int[] feature, float[] split, int[] left, int[] right, float[] value) {
        void check(int width) {
            int n = feature.length;
            if (n == 0 || split.length != n || left.length != n || right.length != n || value.length != n)
                throw new ModelLoadException("pair trees: a tree's arrays must be non-empty and of equal length");
            for (int i = 0; i < n; i++) {
                if (feature[i] == -1) continue;
                if (feature[i] < 0 || feature[i] >= width)
                    throw new ModelLoadException("pair trees: node " + i + " reads feature " + feature[i] + " of " + width);
                if (left[i] <= i || left[i] >= n || right[i] <= i || right[i] >= n)
                    throw new ModelLoadException("pair trees: node " + i + " has children out of order");
            }
        }

        double apply(float[] x) {
            int i = 0;
            while (feature[i] != -1) i = x[feature[i]] <= split[i] ? left[i] : right[i];
            return value[i];
        }
    }

    /** Duplicate log-odds of one feature row. */
    public double logit(float[] x) {
        if (x.length != features.size())
            throw new IllegalArgumentException("pair trees expect " + features.size() + " features, got " + x.length);
        double s = 0;
        for (Tree t : trees) s += t.apply(x);
        return base + rate * s;
    }

    /** Duplicate probability of one feature row. */
    public double probability(float[] x) {
        return 1 / (1 + Math.exp(-logit(x)));
    }
}
