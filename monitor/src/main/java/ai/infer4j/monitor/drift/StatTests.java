package ai.infer4j.monitor.drift;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;

/**
 * The drift statistics, as plain functions of plain arrays (so tests can check them against hand-computed
 * values). Logarithms are natural unless stated; Jensen–Shannon is in bits (0..1).
 */
public final class StatTests {
    private StatTests() {
    }

    /** A chi-square test result: statistic, degrees of freedom, upper-tail p-value. */
    public record ChiSquare(double statistic, int df, double p) { }

    /** A two-sample test result: the statistic and its p-value. */
    public record Test(double statistic, double p) { }

    /** Proportions with add-{@code alpha} smoothing (alpha 0.5: Jeffreys), so no cell is 0 in PSI / KL. */
    public static double[] proportions(long[] counts, double alpha) {
        double n = 0;
        for (long c : counts) n += c;
        double[] p = new double[counts.length];
        double denom = n + alpha * counts.length;
        for (int i = 0; i < p.length; i++) p[i] = denom == 0 ? 1.0 / counts.length : (counts[i] + alpha) / denom;
        return p;
    }

    /** Population stability index: sum over cells of {@code (a - e) * ln(a / e)}. Cells must be > 0. */
    public static double psi(double[] expected, double[] actual) {
        check(expected, actual);
        double s = 0;
        for (int i = 0; i < expected.length; i++) s += (actual[i] - expected[i]) * Math.log(actual[i] / expected[i]);
        return s;
    }

    /** Jensen–Shannon divergence in bits, 0 (same) .. 1 (disjoint); zero cells are fine. */
    public static double jensenShannon(double[] p, double[] q) {
        check(p, q);
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            double m = (p[i] + q[i]) / 2;
            if (p[i] > 0) s += 0.5 * p[i] * Math.log(p[i] / m);
            if (q[i] > 0) s += 0.5 * q[i] * Math.log(q[i] / m);
        }
        return Math.max(0, s / Math.log(2));
    }

    /**
     * Pearson's chi-square test of homogeneity of two count vectors over the same cells (a 2 x K table);
     * cells empty in both are left out. With many cells it stays usable at small expected counts.
     */
    public static ChiSquare chiSquare(long[] a, long[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("count vectors differ in length: " + a.length + " vs " + b.length);
        double na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            na += a[i];
            nb += b[i];
        }
        if (na == 0 || nb == 0) return new ChiSquare(0, 0, 1);
        double stat = 0;
        int cells = 0;
        for (int i = 0; i < a.length; i++) {
            double col = a[i] + b[i];
            if (col == 0) continue;
            cells++;
            double ea = col * na / (na + nb), eb = col * nb / (na + nb);
            stat += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
        }
        int df = cells - 1;
        return new ChiSquare(stat, df, df < 1 ? 1 : chiSquareSurvival(stat, df));
    }

    /** Two-sample Kolmogorov–Smirnov statistic D: the largest gap between the two empirical CDFs. */
    public static double ks(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) throw new IllegalArgumentException("KS needs two non-empty samples");
        double[] x = a.clone(), y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double v = Math.min(x[i], y[j]);
            while (i < x.length && x[i] <= v) i++;
            while (j < y.length && y[j] <= v) j++;
            d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return d;
    }

    /**
     * Asymptotic p-value of a two-sample KS statistic (Kolmogorov distribution with Stephens' small-sample
     * correction, as in Numerical Recipes). Conservative for discrete data (ties).
     */
    public static double ksPValue(double d, int n, int m) {
        double ne = (double) n * m / (n + m);
        double sq = Math.sqrt(ne);
        double lambda = (sq + 0.12 + 0.11 / sq) * d;
        if (lambda < 0.2) return 1;
        double sum = 0, sign = 1;
        for (int k = 1; k <= 100; k++) {
            double term = sign * Math.exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.abs(term) < 1e-12) break;
            sign = -sign;
        }
        return Math.min(1, Math.max(0, 2 * sum));
    }

    /**
     * Holm's step-down adjustment of a family of p-values (NaN entries are not part of the family and stay NaN):
     * rejecting every hypothesis whose adjusted p-value is below alpha keeps the family-wise error rate at alpha,
     * whatever the dependence between the tests.
     */
    public static double[] holm(double[] p) {
        Integer[] order = IntStream.range(0, p.length).filter(i -> !Double.isNaN(p[i])).boxed()
                .sorted(Comparator.comparingDouble(i -> p[i])).toArray(Integer[]::new);
        double[] adj = new double[p.length];
        Arrays.fill(adj, Double.NaN);
        int m = order.length;
        double running = 0;
        for (int k = 0; k < m; k++) {
            running = Math.max(running, Math.min(1, (m - k) * p[order[k]]));
            adj[order[k]] = running;
        }
        return adj;
    }

    /**
     * Sequential Monte Carlo p-value (Besag and Clifford 1991): draws null statistics until {@code h} of them are at
     * least the observed one or {@code max} were drawn. Stopped after L draws with h exceedances: p = h / L; else
     * p = (1 + exceedances) / (1 + max). Valid (never below the exact permutation p-value in distribution), and
     * cheap on unchanged traffic, where it stops after a few dozen draws.
     */
    public static McResult sequentialPValue(double observed, DoubleSupplier nullDraw, int h, int max) {
        int hits = 0;
        for (int l = 1; l <= max; l++) {
            if (nullDraw.getAsDouble() >= observed - 1e-12 * Math.abs(observed)) hits++;
            if (hits >= h) return new McResult((double) hits / l, l);
        }
        return new McResult((1.0 + hits) / (1.0 + max), max);
    }

    /** A Monte Carlo p-value and the number of null draws it took. */
    public record McResult(double p, int draws) { }

    /** Exceedances after which a sequential permutation test stops. */
    public static final int SEQUENTIAL_HITS = 10;

    /**
     * Permutation (Monte Carlo exact) chi-square test of homogeneity of two count vectors: the Pearson statistic of
     * the observed 2 x K table against the statistic of tables whose second row is a random draw of the same size
     * without replacement from the pooled events. Unlike the asymptotic chi-square it is valid with any number of
     * sparse cells (no "expected count >= 5" rule to meet), so it suits windows of a few hundred events over a
     * hundred classes.
     */
    public static ChiSquare permutationChiSquare(long[] a, long[] b, int maxPermutations, long seed) {
        if (a.length != b.length) throw new IllegalArgumentException("count vectors differ in length: " + a.length + " vs " + b.length);
        long na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            na += a[i];
            nb += b[i];
        }
        ChiSquare observed = chiSquare(a, b);
        if (na == 0 || nb == 0 || observed.df() < 1) return new ChiSquare(observed.statistic(), observed.df(), 1);
        int total = Math.toIntExact(na + nb), k = a.length;
        int[] pool = new int[total];
        long[] col = new long[k];
        int at = 0;
        for (int c = 0; c < k; c++) {
            col[c] = a[c] + b[c];
            for (long j = 0; j < col[c]; j++) pool[at++] = c;
        }
        int n = Math.toIntExact(nb);
        SplittableRandom r = new SplittableRandom(seed);
        long[] wb = new long[k], wa = new long[k];
        McResult mc = sequentialPValue(observed.statistic(), () -> {
            Arrays.fill(wb, 0);
            for (int i = 0; i < n; i++) { // partial Fisher-Yates: pool[0..n) is a uniform draw without replacement
                int j = i + r.nextInt(total - i);
                int t = pool[i];
                pool[i] = pool[j];
                pool[j] = t;
                wb[pool[i]]++;
            }
            for (int c = 0; c < k; c++) wa[c] = col[c] - wb[c];
            return chiSquare(wa, wb).statistic();
        }, SEQUENTIAL_HITS, maxPermutations);
        return new ChiSquare(observed.statistic(), observed.df(), mc.p());
    }

    /**
     * Two-sided Fisher exact test that {@code x1/n1} and {@code x2/n2} are draws of one proportion: the probability,
     * under the hypergeometric distribution of the 2 x 2 table with fixed margins, of tables no more likely than the
     * observed one. Exact at any count (the z-test is not when a rate is near 0, as unknown-token rates are).
     */
    public static Test fisherExact(long x1, long n1, long x2, long n2) {
        if (n1 == 0 || n2 == 0) return new Test(0, 1);
        long hits = x1 + x2, total = n1 + n2;
        long lo = Math.max(0, hits - n1), hi = Math.min(hits, n2);
        double logDenom = logChoose(total, hits);
        double observed = logChoose(n2, x2) + logChoose(n1, x1) - logDenom;
        double p = 0;
        for (long x = lo; x <= hi; x++) {
            double lp = logChoose(n2, x) + logChoose(n1, hits - x) - logDenom;
            if (lp <= observed + 1e-7) p += Math.exp(lp);
        }
        double effect = (double) x2 / n2 - (double) x1 / n1;
        return new Test(effect, Math.min(1, p));
    }

    /**
     * One-sided Fisher exact test that the share {@code x2/n2} is larger than {@code x1/n1}: the hypergeometric
     * probability of at least {@code x2} hits in the second sample given the pooled hits. Statistic: {@code x2/n2 - x1/n1}.
     */
    public static Test fisherExactGreater(long x1, long n1, long x2, long n2) {
        if (n1 == 0 || n2 == 0) return new Test(0, 1);
        long hits = x1 + x2, total = n1 + n2;
        long hi = Math.min(hits, n2);
        double logDenom = logChoose(total, hits);
        double p = 0;
        for (long x = x2; x <= hi; x++) p += Math.exp(logChoose(n2, x) + logChoose(n1, hits - x) - logDenom);
        return new Test((double) x2 / n2 - (double) x1 / n1, Math.min(1, p));
    }

    private static double logChoose(long n, long k) {
        if (k < 0 || k > n) return Double.NEGATIVE_INFINITY;
        return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
    }

    private static double logFactorial(long n) {
        if (n < 2) return 0;
        if (n < 256) {
            double s = 0;
            for (int i = 2; i <= n; i++) s += Math.log(i);
            return s;
        }
        return logGamma(n + 1.0);
    }

    /** Two-sided pooled z-test that two proportions {@code x1/n1} and {@code x2/n2} are equal. */
    public static Test twoProportions(long x1, long n1, long x2, long n2) {
        if (n1 == 0 || n2 == 0) return new Test(0, 1);
        double p1 = (double) x1 / n1, p2 = (double) x2 / n2, p = (double) (x1 + x2) / (n1 + n2);
        double se = Math.sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
        if (se == 0) return new Test(0, 1);
        double z = (p2 - p1) / se;
        return new Test(z, 2 * normalSurvival(Math.abs(z)));
    }

    /** P(Z > z) for a standard normal Z. */
    public static double normalSurvival(double z) {
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    /** P(X > x) for X chi-square with {@code df} degrees of freedom. */
    public static double chiSquareSurvival(double x, int df) {
        if (x <= 0) return 1;
        return gammaQ(df / 2.0, x / 2.0);
    }

    /** Regularized upper incomplete gamma Q(a, x) (series below a+1, continued fraction above). */
    public static double gammaQ(double a, double x) {
        if (x < 0 || a <= 0) throw new IllegalArgumentException("gammaQ needs a > 0, x >= 0");
        if (x == 0) return 1;
        double gln = logGamma(a);
        if (x < a + 1) {
            double ap = a, sum = 1.0 / a, del = sum;
            for (int n = 0; n < 1000; n++) {
                ap++;
                del *= x / ap;
                sum += del;
                if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
            }
            return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - gln));
        }
        double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
        for (int i = 1; i < 1000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (Math.abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-15) break;
        }
        return Math.min(1, Math.exp(-x + a * Math.log(x) - gln) * h);
    }

    /** ln Γ(x) for x > 0 (Lanczos). */
    public static double logGamma(double x) {
        double[] c = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2,
                -0.5395239384953e-5};
        double y = x, tmp = x + 5.5;
        tmp -= (x + 0.5) * Math.log(tmp);
        double ser = 1.000000000190015;
        for (double v : c) ser += v / ++y;
        return -tmp + Math.log(2.5066282746310005 * ser / x);
    }

    /** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /**
     * Unbiased squared maximum mean discrepancy between samples {@code x} and {@code y} with the Gaussian
     * kernel {@code exp(-|a-b|^2 / (2 sigma^2))}.
     */
    public static double mmd2(float[][] x, float[][] y, double sigma) {
        float[][] all = concat(x, y);
        double[][] k = kernel(all, sigma);
        int[] idx = new int[all.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return mmd2(k, idx, x.length);
    }

    /**
     * MMD permutation test: the unbiased MMD^2 of {@code x} vs {@code y} and a sequential Monte Carlo p-value over at
     * most {@code permutations} random relabelings of the pooled sample ({@link #sequentialPValue}).
     * {@code sigma <= 0} picks the median pairwise distance of the pooled sample.
     */
    public static Test mmdPermutationTest(float[][] x, float[][] y, double sigma, int permutations, long seed) {
        if (x.length < 2 || y.length < 2) throw new IllegalArgumentException("MMD needs at least 2 points per sample");
        float[][] all = concat(x, y);
        double s = sigma > 0 ? sigma : medianDistance(all);
        if (s <= 0) s = 1;
        double[][] k = kernel(all, s);
        int[] idx = new int[all.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        double total = 0;
        for (int a = 0; a < all.length; a++) for (int b = a + 1; b < all.length; b++) total += k[a][b];
        double observed = mmd2(k, idx, x.length, total);
        double offDiagonal = total;
        SplittableRandom r = new SplittableRandom(seed);
        McResult mc = sequentialPValue(observed, () -> {
            for (int i = idx.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            return mmd2(k, idx, x.length, offDiagonal);
        }, SEQUENTIAL_HITS, permutations);
        return new Test(observed, mc.p());
    }

    private static double mmd2(double[][] k, int[] idx, int n) {
        double total = 0;
        for (int a = 0; a < idx.length; a++) for (int b = a + 1; b < idx.length; b++) total += k[a][b];
        return mmd2(k, idx, n, total);
    }

    /** MMD² from the within-sample sums only: the cross sum is the total off-diagonal sum minus both (half the work). */
    private static double mmd2(double[][] k, int[] idx, int n, double total) {
        int m = idx.length - n;
        double xx = 0, yy = 0;
        for (int a = 0; a < n; a++) {
            double[] row = k[idx[a]];
            for (int b = a + 1; b < n; b++) xx += row[idx[b]];
        }
        for (int a = n; a < idx.length; a++) {
            double[] row = k[idx[a]];
            for (int b = a + 1; b < idx.length; b++) yy += row[idx[b]];
        }
        double xy = total - xx - yy;
        return 2 * xx / ((double) n * (n - 1)) + 2 * yy / ((double) m * (m - 1)) - 2 * xy / ((double) n * m);
    }

    private static double[][] kernel(float[][] all, double sigma) {
        int n = all.length;
        double[][] k = new double[n][n];
        double g = 1 / (2 * sigma * sigma);
        for (int i = 0; i < n; i++) {
            k[i][i] = 1;
            for (int j = i + 1; j < n; j++) k[i][j] = k[j][i] = Math.exp(-g * sq(all[i], all[j]));
        }
        return k;
    }

    /** Median Euclidean distance over (up to 200 x 200) pairs of the sample. */
    public static double medianDistance(float[][] all) {
        int n = Math.min(all.length, 200);
        double[] d = new double[n * (n - 1) / 2];
        int c = 0;
        int step = Math.max(1, all.length / n);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) d[c++] = Math.sqrt(sq(all[(i * step) % all.length], all[(j * step) % all.length]));
        if (c == 0) return 1;
        Arrays.sort(d, 0, c);
        return d[c / 2];
    }

    private static double sq(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s;
    }

    private static float[][] concat(float[][] x, float[][] y) {
        float[][] all = new float[x.length + y.length][];
        System.arraycopy(x, 0, all, 0, x.length);
        System.arraycopy(y, 0, all, x.length, y.length);
        return all;
    }

    /**
     * Squared Mahalanobis distance {@code d' S^-1 d} of a mean difference {@code d} under covariance {@code s}
     * (a small ridge keeps it defined when S is singular).
     */
    public static double mahalanobis2(double[] d, double[][] s) {
        int k = d.length;
        double[][] l = new double[k][k];
        double ridge = 1e-9;
        for (int i = 0; i < k; i++) ridge = Math.max(ridge, s[i][i] * 1e-6);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = s[i][j] + (i == j ? ridge : 0);
                for (int p = 0; p < j; p++) sum -= l[i][p] * l[j][p];
                l[i][j] = i == j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j][j];
            }
        }
        double[] z = new double[k]; // solve L z = d; result |z|^2
        double out = 0;
        for (int i = 0; i < k; i++) {
            double sum = d[i];
            for (int p = 0; p < i; p++) sum -= l[i][p] * z[p];
            z[i] = sum / l[i][i];
            out += z[i] * z[i];
        }
        return out;
    }

    private static void check(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("distributions differ in length: " + a.length + " vs " + b.length);
    }
}
