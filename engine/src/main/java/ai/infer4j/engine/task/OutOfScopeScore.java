package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;

import java.util.ArrayList;
import java.util.List;

/**
 * An out-of-scope score for a softmax head that does not rely on the top probability alone: the sum of two
 * standardised parts, each higher for input further from what the head was trained on:
 * <ul>
 *   <li>energy, {@code -log sum exp} of the in-scope logits (low when some in-scope class has a large logit);</li>
 *   <li>centroid distance, {@code -max cos(x, centroid)} over the in-scope class centroids of the training embeddings.</li>
 * </ul>
 * Each part is standardised with the mean and standard deviation it had on held-out in-scope examples (cross-validation),
 * so the score is in "in-scope standard deviations" and the threshold travels with the head.
 * Input at or above {@code threshold} is out of scope. Immutable; safe for concurrent callers.
 *
 * @param centroids   unit-length mean embedding per in-scope class {@code [classes][dim]} (order irrelevant)
 * @param energyMean  mean of the energy on held-out in-scope examples
 * @param energyStd   its standard deviation (&gt; 0)
 * @param distanceMean mean of {@code -max cos} on held-out in-scope examples
 * @param distanceStd  its standard deviation (&gt; 0)
 * @param threshold   score at or above which input is out of scope
 */
public record OutOfScopeScore(float[][] centroids, double energyMean, double energyStd, double distanceMean, double distanceStd,
                              double threshold) {
    /** Name stored in head files. */
    public static final String KIND = "energy+centroid";

    public OutOfScopeScore {
        if (centroids.length < 1) throw new ModelLoadException("out-of-scope score needs at least one centroid");
        int dim = centroids[0].length;
        for (float[] c : centroids)
            if (c.length != dim) throw new ModelLoadException("out-of-scope centroids have different lengths");
        if (!(energyStd > 0) || !(distanceStd > 0))
            throw new ModelLoadException("out-of-scope score needs positive standard deviations, got " + energyStd + " and " + distanceStd);
        if (!Double.isFinite(threshold) || !Double.isFinite(energyMean) || !Double.isFinite(distanceMean))
            throw new ModelLoadException("out-of-scope score has a non-finite mean or threshold");
    }

    /** Energy of the logits, leaving out index {@code skip} (the out-of-scope class; -1 for none). */
    public static double energy(double[] logits, int skip) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < logits.length; k++) if (k != skip) max = Math.max(max, logits[k]);
        double sum = 0;
        for (int k = 0; k < logits.length; k++) if (k != skip) sum += Math.exp(logits[k] - max);
        return -(max + Math.log(sum));
    }

    /** {@code -max cos(x, c)} over unit-length centroids {@code c}. */
    public static double distance(float[][] centroids, float[] x) {
        double norm = 0;
        for (float v : x) norm += (double) v * v;
        norm = Math.sqrt(norm);
        if (norm == 0) return 0;
        double best = Double.NEGATIVE_INFINITY;
        for (float[] c : centroids) best = Math.max(best, SoftmaxHead.dot(c, x));
        return -best / norm;
    }

    /** The score of one example from its raw energy and distance. */
    public double combine(double energy, double distance) {
        return (energy - energyMean) / energyStd + (distance - distanceMean) / distanceStd;
    }

    /** The score of embedding {@code x} whose logits are {@code logits} ({@code skip}: the out-of-scope class index). */
    public double score(double[] logits, int skip, float[] x) {
        if (x.length != centroids[0].length)
            throw new IllegalArgumentException("out-of-scope score expects " + centroids[0].length + " values, got " + x.length);
        return combine(energy(logits, skip), distance(centroids, x));
    }

    /**
     * Unit-length mean vector of each class present in {@code y}, except {@code skip} (the out-of-scope class; -1:
     * none): the centroids this score measures distance to.
     */
    public static float[][] classCentroids(float[][] x, int[] y, int classes, int skip) {
        double[][] sum = new double[classes][x[0].length];
        for (int i = 0; i < x.length; i++) for (int d = 0; d < x[i].length; d++) sum[y[i]][d] += x[i][d];
        List<float[]> out = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            if (c == skip) continue;
            double norm = 0;
            for (double v : sum[c]) norm += v * v;
            norm = Math.sqrt(norm);
            if (norm == 0) continue;
            float[] u = new float[sum[c].length];
            for (int d = 0; d < u.length; d++) u[d] = (float) (sum[c][d] / norm);
            out.add(u);
        }
        return out.toArray(new float[0][]);
    }
}
