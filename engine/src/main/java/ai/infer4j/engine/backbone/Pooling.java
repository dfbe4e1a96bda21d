package ai.infer4j.engine.backbone;

import ai.infer4j.engine.tokenize.Tokens;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/** Turns raw model output into one vector per input. */
final class Pooling {
    private Pooling() {
    }

    /** Mean over each row's real (unpadded) tokens of {@code [n, len, dim]}, then L2-normalised. */
    static float[][] meanPool(FloatBuffer fb, List<Tokens> batch, int len, int dim) {
        int n = batch.size();
        float[][] out = new float[n][dim];
        float[] row = new float[dim];
        double[] sum = new double[dim];
        for (int i = 0; i < n; i++) {
            int real = batch.get(i).length();
            Arrays.fill(sum, 0);
            for (int t = 0; t < real; t++) {
                fb.position((i * len + t) * dim);
                fb.get(row);
                for (int d = 0; d < dim; d++) sum[d] += row[d];
            }
            for (int d = 0; d < dim; d++) out[i][d] = (float) (sum[d] / real);
            normalize(out[i]);
        }
        return out;
    }

    /** The first token's state ([CLS]) of each row of {@code [n, len, dim]}, L2-normalised. */
    static float[][] clsPool(FloatBuffer fb, int n, int len, int dim) {
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
            fb.position(i * len * dim);
            fb.get(out[i]);
            normalize(out[i]);
        }
        return out;
    }

    /** {@code [cls, mean]} of each row: each half L2-normalised, then both scaled by 1/sqrt(2) so the whole has unit length. */
    static float[][] clsMeanPool(FloatBuffer fb, List<Tokens> batch, int len, int dim) {
        int n = batch.size();
        float[][] cls = clsPool(fb, n, len, dim);
        float[][] mean = meanPool(fb, batch, len, dim);
        float[][] out = new float[n][2 * dim];
        float s = (float) Math.sqrt(0.5);
        for (int i = 0; i < n; i++)
            for (int d = 0; d < dim; d++) {
                out[i][d] = cls[i][d] * s;
                out[i][dim + d] = mean[i][d] * s;
            }
        return out;
    }

    /** Splits {@code [n, dim]} into rows, optionally L2-normalised. */
    static float[][] rows(FloatBuffer fb, int n, int dim, boolean normalize) {
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
            fb.position(i * dim);
            fb.get(out[i]);
            if (normalize) normalize(out[i]);
        }
        return out;
    }

    static void normalize(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        double norm = Math.sqrt(s);
        if (norm < 1e-12) return;
        for (int d = 0; d < v.length; d++) v[d] = (float) (v[d] / norm);
    }
}
