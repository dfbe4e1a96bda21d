package ai.infer4j.monitor.capture;

import java.util.SplittableRandom;

/**
 * A fixed random projection of a pooled embedding to a few dimensions (Johnson–Lindenstrauss): small
 * enough to store with every captured event, faithful enough for mean-shift and MMD drift tests. The
 * projection depends only on ({@link #SEED}, input width, {@code dim}), so the server, the baseline and
 * the check all agree. Immutable and safe for concurrent callers once built.
 */
public final class EmbeddingSketch {
    public static final long SEED = 20_240_607L;
    public static final int DEFAULT_DIM = 16;

    private final int dim;
    private final int inputDim;
    private final float[][] projection;

    public EmbeddingSketch(int dim, int inputDim) {
        if (dim < 1 || inputDim < 1) throw new IllegalArgumentException("dims must be >= 1, got " + dim + " x " + inputDim);
        this.dim = dim;
        this.inputDim = inputDim;
        SplittableRandom r = new SplittableRandom(SEED ^ (31L * inputDim + dim));
        projection = new float[dim][inputDim];
        double scale = 1.0 / Math.sqrt(dim);
        for (float[] row : projection)
            for (int j = 0; j < inputDim; j++) row[j] = (float) (gaussian(r) * scale);
    }

    public int dim() {
        return dim;
    }

    public int inputDim() {
        return inputDim;
    }

    /** The sketch of {@code v}; {@code v.length} must be {@link #inputDim()}. */
    public float[] apply(float[] v) {
        if (v.length != inputDim) throw new IllegalArgumentException("vector has " + v.length + " values, sketch expects " + inputDim);
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) {
            float[] row = projection[i];
            double s = 0;
            for (int j = 0; j < inputDim; j++) s += row[j] * v[j];
            out[i] = (float) s;
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
