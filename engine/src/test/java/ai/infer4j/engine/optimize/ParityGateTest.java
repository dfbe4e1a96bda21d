package ai.infer4j.engine.optimize;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The gate's decision on generated answers: 4,000 pairs, 400 duplicates, an FP32 model with F1 0.87. */
class ParityGateTest {
    private static final int N = 4000, POSITIVES = 400, TP = 340, FP = 40;
    private static final double[] NO_COSINE = {Double.NaN, Double.NaN, Double.NaN};

    private static int[] labels() {
        int[] y = new int[N];
        Arrays.fill(y, 0, POSITIVES, 1);
        return y;
    }

    /** Indices 0..339 true positives, 340..399 false negatives, 400..439 false positives, the rest true negatives. */
    private static boolean[] fp32() {
        boolean[] d = new boolean[N];
        Arrays.fill(d, 0, TP, true);
        Arrays.fill(d, POSITIVES, POSITIVES + FP, true);
        return d;
    }

    /** The FP32 decisions with {@code count} flipped from index {@code from}. */
    private static boolean[] flip(boolean[] d, int from, int count) {
        boolean[] out = d.clone();
        for (int i = from; i < from + count; i++) out[i] = !out[i];
        return out;
    }

    @Test
    void refusesAVariantThatIsClearlyWorseEvenWhenItsAgreementPasses() {
        boolean[] worse = flip(fp32(), 0, 30); // 30 true positives missed: 0.75% of the answers, F1 -4.5 points

        ParityReport r = ParityGate.judgePairs(labels(), fp32(), worse, NO_COSINE, ParityReport.Thresholds.defaults());

        assertThat(r.top1Agreement()).isEqualTo(0.9925);
        assertThat(r.metricDropPoints()).isCloseTo(4.51, within(0.01));
        assertThat(r.dropLowPoints()).isGreaterThan(0.5).isLessThan(r.metricDropPoints());
        assertThat(r.dropHighPoints()).isGreaterThan(r.metricDropPoints());
        assertThat(r.passed()).isFalse();
        assertThat(r.failures()).singleElement().asString().contains("F1 drops by 4.51 points").contains("95% confidence");
    }

    @Test
    void acceptsAnEquivalentVariantThatFlipsAnswersBothWays() {
        boolean[] fp32 = fp32();
        // 8 true positives lost, 8 false negatives found, 8 false positives fixed, 8 new false positives: same F1
        boolean[] same = flip(flip(flip(flip(fp32, 0, 8), TP, 8), POSITIVES, 8), POSITIVES + FP, 8);

        ParityReport r = ParityGate.judgePairs(labels(), fp32, same, NO_COSINE, ParityReport.Thresholds.defaults());

        assertThat(r.top1Agreement()).isEqualTo(0.992);
        assertThat(r.metricDropPoints()).isCloseTo(0, within(1e-9));
        assertThat(r.dropLowPoints()).isNegative();
        assertThat(r.dropHighPoints()).isPositive();
        assertThat(r.passed()).isTrue();
    }

    @Test
    void aSmallDropWithinTheNoiseFailsOnlyTheGateWithoutABand() {
        // 6 true positives lost, 2 false negatives found: F1 0.8718 -> 0.8660, drop 0.58 points, a few pairs' worth
        boolean[] noisy = flip(flip(fp32(), 0, 6), TP, 2);
        ParityReport.Thresholds band = ParityReport.Thresholds.defaults();
        ParityReport.Thresholds pointOnly = new ParityReport.Thresholds(0.99, 0.5, 0.95, 0);

        ParityReport withBand = ParityGate.judgePairs(labels(), fp32(), noisy, NO_COSINE, band);
        ParityReport without = ParityGate.judgePairs(labels(), fp32(), noisy, NO_COSINE, pointOnly);

        assertThat(withBand.metricDropPoints()).isCloseTo(0.58, within(0.01));
        assertThat(withBand.dropLowPoints()).isLessThan(0.5);
        assertThat(withBand.passed()).isTrue();
        assertThat(without.passed()).isFalse();
        assertThat(Double.isNaN(without.dropLowPoints())).isTrue();
        assertThat(without.failures()).singleElement().asString().contains("more than 0.50").doesNotContain("confidence");
    }

    @Test
    void theAgreementBoundStaysExact() {
        boolean[] fp32 = fp32();
        boolean[] many = flip(flip(flip(flip(fp32, 0, 11), TP, 11), POSITIVES, 11), POSITIVES + FP, 11); // 44 flips, same F1

        ParityReport r = ParityGate.judgePairs(labels(), fp32, many, NO_COSINE, ParityReport.Thresholds.defaults());

        assertThat(r.top1Agreement()).isEqualTo(0.989);
        assertThat(r.failures()).singleElement().asString().contains("agreement 0.9890 is below 0.9900");
    }

    @Test
    void bootstrapBandsAreZeroForIdenticalAnswersAndRepeatable() {
        assertThat(PairedBootstrap.f1Drop(labels(), fp32(), fp32(), 0.95)).containsExactly(0, 0);
        boolean[] worse = flip(fp32(), 0, 30);
        assertThat(PairedBootstrap.f1Drop(labels(), fp32(), worse, 0.95)).containsExactly(PairedBootstrap.f1Drop(labels(), fp32(), worse, 0.95));

        boolean[] right = new boolean[N], lessRight = new boolean[N];
        Arrays.fill(right, 0, 3600, true);
        Arrays.fill(lessRight, 0, 3480, true); // 3 points less accurate
        double[] acc = PairedBootstrap.accuracyDrop(right, lessRight, 0.95);
        assertThat(acc[0]).isGreaterThan(0.5).isLessThan(3);
        assertThat(acc[1]).isGreaterThan(3);
    }
}
