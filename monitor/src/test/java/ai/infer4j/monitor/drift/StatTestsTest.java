package ai.infer4j.monitor.drift;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Drift statistics against values computed by hand (the arithmetic is in the comments). */
class StatTestsTest {

    @Test
    void psiMatchesHandComputedValue() {
        // (0.25-0.5) ln(0.25/0.5) + (0.75-0.5) ln(0.75/0.5) = 0.173287 + 0.101366
        assertThat(StatTests.psi(new double[]{0.5, 0.5}, new double[]{0.25, 0.75})).isCloseTo(0.274653, within(1e-6));
        assertThat(StatTests.psi(new double[]{0.2, 0.8}, new double[]{0.2, 0.8})).isZero();
    }

    @Test
    void jensenShannonIsInBitsFromZeroToOne() {
        assertThat(StatTests.jensenShannon(new double[]{1, 0}, new double[]{0, 1})).isCloseTo(1.0, within(1e-12));
        // m = (0.75, 0.25); KL(p||m) = 0.143841, KL(q||m) = 0.287682; JS = 0.215762 nats = 0.311278 bits
        assertThat(StatTests.jensenShannon(new double[]{0.5, 0.5}, new double[]{1, 0})).isCloseTo(0.311278, within(1e-6));
        assertThat(StatTests.jensenShannon(new double[]{0.3, 0.7}, new double[]{0.3, 0.7})).isZero();
    }

    @Test
    void proportionsSmoothWithJeffreysPrior() {
        // (0 + 0.5) / (4 + 1) and (4 + 0.5) / 5
        assertThat(StatTests.proportions(new long[]{0, 4}, 0.5)).containsExactly(new double[]{0.1, 0.9}, within(1e-12));
    }

    @Test
    void ksStatisticAndPValueMatchHandComputedValues() {
        // ECDFs of {1,2,3,4} and {3,4,5,6} differ by 0.5 at x = 2 and x = 3
        assertThat(StatTests.ks(new double[]{1, 2, 3, 4}, new double[]{3, 4, 5, 6})).isCloseTo(0.5, within(1e-12));
        assertThat(StatTests.ks(new double[]{1, 2, 2, 3}, new double[]{1, 2, 2, 3})).isZero();
        // ne = 2, lambda = (sqrt 2 + 0.12 + 0.11 / sqrt 2) * 0.5 = 0.80600; Q = 2 (e^-1.29928 - e^-5.19713 + ...) = 0.53440
        assertThat(StatTests.ksPValue(0.5, 4, 4)).isCloseTo(0.53440, within(1e-4));
    }

    @Test
    void chiSquareHomogeneityMatchesHandComputedValue() {
        // expected 15 in each cell: 4 * 25 / 15 = 6.6667 with 1 df; P(chi2_1 > 6.6667) = 0.009823
        StatTests.ChiSquare c = StatTests.chiSquare(new long[]{10, 20, 0}, new long[]{20, 10, 0});
        assertThat(c.statistic()).isCloseTo(6.666667, within(1e-5));
        assertThat(c.df()).isEqualTo(1);
        assertThat(c.p()).isCloseTo(0.009823, within(1e-5));
    }

    @Test
    void chiSquareSurvivalMatchesTables() {
        assertThat(StatTests.chiSquareSurvival(3.841459, 1)).isCloseTo(0.05, within(1e-6));
        assertThat(StatTests.chiSquareSurvival(10, 4)).isCloseTo(0.040428, within(1e-6));
        assertThat(StatTests.chiSquareSurvival(2, 2)).isCloseTo(Math.exp(-1), within(1e-9)); // 2 df: exponential with mean 2
    }

    @Test
    void twoProportionZTestMatchesHandComputedValue() {
        // pooled p = 0.15, se = sqrt(0.15 * 0.85 * 0.02) = 0.050498, z = 1.98030, two-sided p = 0.04767
        StatTests.Test t = StatTests.twoProportions(10, 100, 20, 100);
        assertThat(t.statistic()).isCloseTo(1.98030, within(1e-4));
        assertThat(t.p()).isCloseTo(0.04767, within(1e-4));
        assertThat(StatTests.twoProportions(0, 100, 0, 50).p()).isEqualTo(1);
    }

    @Test
    void mmdMatchesHandComputedValueAndSeparatesShiftedSamples() {
        // k(0,1) = e^-0.5 = 0.606531: xx = yy = 0.606531; cross mean = (1 + 1 + 2 * 0.606531) / 4 = 0.803265
        float[][] x = {{0}, {1}};
        assertThat(StatTests.mmd2(x, x, 1)).isCloseTo(0.606531 * 2 - 2 * 0.803265, within(1e-5));
        SplittableRandom r = new SplittableRandom(1);
        float[][] a = gaussian(r, 150, 4, 0), b = gaussian(r, 150, 4, 0), shifted = gaussian(r, 150, 4, 0.8);
        assertThat(StatTests.mmdPermutationTest(a, b, 0, 199, 3).p()).isGreaterThan(0.01);
        assertThat(StatTests.mmdPermutationTest(a, shifted, 0, 199, 3).p()).isEqualTo(1.0 / 200);
    }

    @Test
    void mahalanobisUsesTheCovariance() {
        // d = (1, 2), S = diag(1, 4): 1/1 + 4/4 = 2 (less a 1e-6 relative ridge)
        assertThat(StatTests.mahalanobis2(new double[]{1, 2}, new double[][]{{1, 0}, {0, 4}})).isCloseTo(2, within(1e-4));
    }

    private static float[][] gaussian(SplittableRandom r, int n, int d, double shift) {
        float[][] out = new float[n][d];
        for (float[] row : out)
            for (int j = 0; j < d; j++)
                row[j] = (float) (shift + Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        return out;
    }

    @Test
    void holmAdjustsStepDownAndLeavesUntestedSignalsOut() {
        // sorted p: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06, monotone), 0.5 (x1 = 0.5)
        double[] adj = StatTests.holm(new double[] {0.03, Double.NaN, 0.01, 0.5, 0.02});
        assertThat(adj[2]).isCloseTo(0.04, within(1e-12));
        assertThat(adj[4]).isCloseTo(0.06, within(1e-12));
        assertThat(adj[0]).isCloseTo(0.06, within(1e-12));
        assertThat(adj[3]).isCloseTo(0.5, within(1e-12));
        assertThat(adj[1]).isNaN();
        assertThat(StatTests.holm(new double[] {0.9, 0.8})).containsExactly(1.0, 1.0); // 2 x 0.8 capped at 1, then monotone
        assertThat(StatTests.holm(new double[] {0.04, 0.01})).containsExactly(0.04, 0.02);
    }

    @Test
    void fisherExactMatchesTheTeaTastingTable() {
        // Fisher's lady tasting tea: 3 of 4 vs 1 of 4, two-sided p = (1 + 16 + 16 + 1) / 70 = 0.485714
        assertThat(StatTests.fisherExact(3, 4, 1, 4).p()).isCloseTo(34.0 / 70, within(1e-9));
        // 0 of 1000 in the baseline vs 5 of 100 in the window: only this table is as unlikely, p = C(100,5) / C(1100,5)
        assertThat(StatTests.fisherExact(0, 1000, 5, 100).p()).isCloseTo(5.66102e-6, within(1e-10));
        assertThat(StatTests.fisherExact(10, 1000, 1, 100).p()).isEqualTo(1.0, within(1e-9));
    }

    @Test
    void permutationChiSquareHoldsItsLevelOnSparseTablesWhereTheAsymptoticTestDoesNot() {
        // 150 equally likely classes, baseline 1,500 events, windows of 300: 1.7 expected events per class
        SplittableRandom r = new SplittableRandom(5);
        int k = 150, reps = 300, permRejects = 0, asymRejects = 0;
        long[] base = new long[k];
        for (int i = 0; i < 1500; i++) base[r.nextInt(k)]++;
        for (int rep = 0; rep < reps; rep++) {
            long[] w = new long[k];
            for (int i = 0; i < 300; i++) w[r.nextInt(k)]++;
            if (StatTests.permutationChiSquare(base, w, 999, rep).p() < 0.05) permRejects++;
            if (StatTests.chiSquare(base, w).p() < 0.05) asymRejects++;
        }
        assertThat(permRejects).as("permutation test rejections of %d null tables at 0.05", reps).isBetween(3, 27);
        // a real shift: a tenth of the window moved onto one class
        long[] shifted = new long[k];
        for (int i = 0; i < 300; i++) shifted[i < 30 ? 0 : r.nextInt(k)]++;
        assertThat(StatTests.permutationChiSquare(base, shifted, 999, 1).p()).isEqualTo(1.0 / 1000);
        assertThat(asymRejects).isGreaterThanOrEqualTo(0); // reported for comparison only
    }

    @Test
    void sequentialPValueStopsEarlyWhenCalmAndRunsFullyWhenExtreme() {
        SplittableRandom r = new SplittableRandom(1);
        StatTests.McResult calm = StatTests.sequentialPValue(0.5, r::nextDouble, 10, 999);
        assertThat(calm.draws()).isLessThan(100);
        assertThat(calm.p()).isBetween(0.2, 0.9);
        StatTests.McResult extreme = StatTests.sequentialPValue(2, r::nextDouble, 10, 999);
        assertThat(extreme.draws()).isEqualTo(999);
        assertThat(extreme.p()).isEqualTo(1.0 / 1000);
    }

    @Test
    void oneSidedFisherExactSumsTheUpperTail() {
        // 1 of 4 vs 3 of 4: hypergeometric, 4 hits among 8, window of 4: P(X >= 3) = (C(4,3) C(4,1) + C(4,4) C(4,0)) / C(8,4) = 17/70
        StatTests.Test t = StatTests.fisherExactGreater(1, 4, 3, 4);
        assertThat(t.p()).isCloseTo(17.0 / 70, within(1e-12));
        assertThat(t.statistic()).isCloseTo(0.5, within(1e-12));
        // the other direction is not evidence: P(X >= 1) = 1 - C(4,0) C(4,4) / C(8,4) = 69/70
        assertThat(StatTests.fisherExactGreater(3, 4, 1, 4).p()).isCloseTo(69.0 / 70, within(1e-12));
    }
}
