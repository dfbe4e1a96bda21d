package ai.infer4j.engine.train;

import ai.infer4j.engine.task.PairTrees;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient boosting of depth-limited regression trees for a 0/1 label (logistic loss, second-order leaf values),
 * on features cut into at most {@code bins} quantile bins. Pure Java, one thread; the same rows and seed give the
 * same trees.
 */
public final class TreeBooster {
    /**
     * @param trees      number of trees
     * @param depth      maximum depth of each tree
     * @param rate       shrinkage applied to every tree
     * @param lambda     L2 penalty on leaf values
     * @param minHessian least hessian (~ examples x p(1-p)) on each side of a split
     * @param bins       candidate split values per feature (quantiles)
     * @param subsample  fraction of rows each tree sees (seeded)
     */
    public record Params(int trees, int depth, double rate, double lambda, double minHessian, int bins, double subsample) {
        public Params {
            if (trees < 1 || depth < 1 || bins < 2) throw new IllegalArgumentException("trees, depth >= 1 and bins >= 2 required");
            if (!(rate > 0 && rate <= 1) || !(subsample > 0 && subsample <= 1) || lambda < 0 || minHessian < 0)
                throw new IllegalArgumentException("rate and subsample in (0, 1], lambda and minHessian >= 0");
        }

        public static Params defaults() {
            return new Params(150, 3, 0.1, 1.0, 1.0, 32, 0.8);
        }
    }

    private TreeBooster() {
    }

    public static PairTrees fit(float[][] x, int[] y, List<String> names, Params p, long seed) {
        int n = x.length, width = names.size();
        float[][] edges = new float[width][];
        int[][] bin = new int[width][n];
        for (int f = 0; f < width; f++) {
            edges[f] = edges(x, f, p.bins());
            for (int i = 0; i < n; i++) bin[f][i] = binOf(edges[f], x[i][f]);
        }
        double pos = 0;
        for (int v : y) pos += v;
        double prior = Math.min(Math.max(pos / n, 1e-6), 1 - 1e-6);
        double base = Math.log(prior / (1 - prior));
        double[] margin = new double[n];
        Arrays.fill(margin, base);
        double[] g = new double[n], h = new double[n];
        List<PairTrees.Tree> trees = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < p.trees(); t++) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double q = 1 / (1 + Math.exp(-margin[i]));
                g[i] = q - y[i];
                h[i] = q * (1 - q);
                if (rnd.nextDouble() < p.subsample()) rows.add(i);
            }
            Builder b = new Builder(bin, edges, g, h, p);
            b.grow(rows.stream().mapToInt(Integer::intValue).toArray(), 0);
            PairTrees.Tree tree = b.tree();
            trees.add(tree);
            for (int i = 0; i < n; i++) margin[i] += p.rate() * leaf(tree, bin, edges, i);
        }
        return new PairTrees(names, base, p.rate(), trees);
    }

    /** Leaf value for training row {@code i} (by bins, which agree with the float splits by construction). */
    private static double leaf(PairTrees.Tree t, int[][] bin, float[][] edges, int i) {
        int k = 0;
        while (t.feature()[k] != -1) {
            int f = t.feature()[k];
            k = bin[f][i] <= Arrays.binarySearch(edges[f], t.split()[k]) ? t.left()[k] : t.right()[k];
        }
        return t.value()[k];
    }

    /** Distinct quantile cut points of column {@code f}, ascending. */
    private static float[] edges(float[][] x, int f, int bins) {
        float[] col = new float[x.length];
        for (int i = 0; i < x.length; i++) col[i] = x[i][f];
        Arrays.sort(col);
        float[] cut = new float[bins - 1];
        int m = 0;
        for (int k = 1; k < bins; k++) {
            float v = col[(int) ((long) k * (col.length - 1) / bins)];
            if (m == 0 || v > cut[m - 1]) cut[m++] = v;
        }
        // the largest value is no split (nothing would go right)
        if (m > 0 && cut[m - 1] >= col[col.length - 1]) m--;
        return Arrays.copyOf(cut, m);
    }

    /** Index of the first edge {@code >= v} (edges.length when none): {@code v <= edges[k]} iff {@code bin <= k}. */
    static int binOf(float[] edges, float v) {
        int lo = 0, hi = edges.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** Grows one tree depth-first; node ids are assigned before children, so children follow their parent. */
    private static final class Builder {
        private final int[][] bin;
        private final float[][] edges;
        private final double[] g, h;
        private final Params p;
        private final List<int[]> links = new ArrayList<>(); // feature, left, right
        private final List<float[]> values = new ArrayList<>(); // split, value

        Builder(int[][] bin, float[][] edges, double[] g, double[] h, Params p) {
            this.bin = bin;
            this.edges = edges;
            this.g = g;
            this.h = h;
            this.p = p;
        }

        int grow(int[] rows, int depth) {
            double gs = 0, hs = 0;
            for (int i : rows) {
                gs += g[i];
                hs += h[i];
            }
            int id = links.size();
            links.add(new int[] {-1, 0, 0});
            values.add(new float[] {0, (float) (-gs / (hs + p.lambda()))});
            if (depth == p.depth() || rows.length < 2) return id;
            double parent = gs * gs / (hs + p.lambda()), bestGain = 1e-9;
            int bestF = -1, bestK = -1;
            for (int f = 0; f < bin.length; f++) {
                int m = edges[f].length;
                if (m == 0) continue;
                double[] gb = new double[m + 1], hb = new double[m + 1];
                for (int i : rows) {
                    gb[bin[f][i]] += g[i];
                    hb[bin[f][i]] += h[i];
                }
                double gl = 0, hl = 0;
                for (int k = 0; k < m; k++) {
                    gl += gb[k];
                    hl += hb[k];
                    double hr = hs - hl;
                    if (hl < p.minHessian() || hr < p.minHessian()) continue;
                    double gr = gs - gl;
                    double gain = gl * gl / (hl + p.lambda()) + gr * gr / (hr + p.lambda()) - parent;
                    if (gain > bestGain) {
                        bestGain = gain;
                        bestF = f;
                        bestK = k;
                    }
                }
            }
            if (bestF < 0) return id;
            int nl = 0;
            for (int i : rows) if (bin[bestF][i] <= bestK) nl++;
            int[] left = new int[nl], right = new int[rows.length - nl];
            int a = 0, c = 0;
            for (int i : rows) {
                if (bin[bestF][i] <= bestK) left[a++] = i;
                else right[c++] = i;
            }
            int l = grow(left, depth + 1), r = grow(right, depth + 1);
            links.set(id, new int[] {bestF, l, r});
            values.set(id, new float[] {edges[bestF][bestK], 0});
            return id;
        }

        PairTrees.Tree tree() {
            int n = links.size();
            int[] feature = new int[n], left = new int[n], right = new int[n];
            float[] split = new float[n], value = new float[n];
            for (int i = 0; i < n; i++) {
                feature[i] = links.get(i)[0];
                left[i] = links.get(i)[1];
                right[i] = links.get(i)[2];
                split[i] = values.get(i)[0];
                value[i] = values.get(i)[1];
            }
            return new PairTrees.Tree(feature, split, left, right, value);
        }
    }
}
