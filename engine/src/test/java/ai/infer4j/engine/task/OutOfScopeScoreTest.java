package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OutOfScopeScoreTest {
    private static final float S = (float) Math.sqrt(0.5);

    @Test
    void energyIsMinusLogSumExpOfTheInScopeLogits() {
        // in-scope logits 0 and ln 3: log(1 + 3) = ln 4; the skipped out-of-scope logit does not count
        assertThat(OutOfScopeScore.energy(new double[] {0, Math.log(3), 100}, 2)).isCloseTo(-Math.log(4), within(1e-12));
        assertThat(OutOfScopeScore.energy(new double[] {5}, -1)).isCloseTo(-5, within(1e-12));
    }

    @Test
    void distanceIsMinusTheBestCosineToACentroid() {
        float[][] centroids = {{1, 0, 0}, {0, 1, 0}};
        assertThat(OutOfScopeScore.distance(centroids, new float[] {2, 0, 0})).isCloseTo(-1, within(1e-6));
        assertThat(OutOfScopeScore.distance(centroids, new float[] {1, 1, 0})).isCloseTo(-S, within(1e-6));
        assertThat(OutOfScopeScore.distance(centroids, new float[] {0, 0, 3})).isCloseTo(0, within(1e-6));
    }

    @Test
    void scoreIsTheSumOfBothStandardisedParts() {
        OutOfScopeScore s = new OutOfScopeScore(new float[][] {{1, 0}}, -2, 0.5, -0.9, 0.05, 1);
        // energy -1 is 2 std above its mean; distance -0.8 is 2 std above its mean
        assertThat(s.combine(-1, -0.8)).isCloseTo(4, within(1e-9));
    }

    /** Two classes along x and y plus an out-of-scope class; input along z is far from both centroids. */
    private static SoftmaxHead head() {
        float[][] w = {{4, 0, 0}, {0, 4, 0}, {0, 0, 0}};
        OutOfScopeScore score = new OutOfScopeScore(new float[][] {{1, 0, 0}, {0, 1, 0}}, -4, 1, -0.9, 0.1, 3);
        return new SoftmaxHead("h", List.of("a", "b", "oos"), w, new float[] {0, 0, -2}, "oos", 0, null, score);
    }

    @Test
    void inputFarFromEveryClassIsOutOfScopeAndNearInputIsNot() {
        SoftmaxHead h = head();
        assertThat(h.apply(new float[] {1, 0.05f, 0}).label()).isEqualTo("a");
        assertThat(h.apply(new float[] {0.05f, 1, 0}).label()).isEqualTo("b");
        // x along z: energy ~ -ln 2 (far above -4 +- 1), distance 0 (far above -0.9 +- 0.1)
        assertThat(h.apply(new float[] {0.1f, 0, 1}).label()).isEqualTo("oos");
        assertThat(h.outOfScope(new float[] {0.1f, 0, 1})).isGreaterThan(h.outOfScopeThreshold());
        assertThat(h.topLabel(new float[] {0.1f, 0, 1})).isEqualTo("a");
    }

    @Test
    void everyAnswerCarriesTheScoreAsItsNovelty() {
        SoftmaxHead h = head();
        // in scope, rejected by the score, in between
        for (float[] x : new float[][] {{1, 0.05f, 0}, {0.1f, 0, 1}, {0.3f, 0.3f, 0.3f}}) {
            Prediction p = h.apply(x);
            assertThat(p.novelty()).isEqualTo(h.outOfScope(x));
        }
        assertThat(h.apply(new float[] {1, 0.05f, 0}).novelty()).isLessThan(h.apply(new float[] {0.1f, 0, 1}).novelty());
    }

    @Test
    void headFileRoundTripKeepsTheScoreAndItsAnswers(@TempDir Path dir) {
        SoftmaxHead h = head();
        Path f = dir.resolve("h.json");
        HeadFiles.write(h, f);
        SoftmaxHead back = HeadFiles.read(f);
        assertThat(back.oosScore()).isNotNull();
        assertThat(back.oosScore().threshold()).isEqualTo(3);
        assertThat(back.oosScore().centroids()).isDeepEqualTo(h.oosScore().centroids());
        for (float[] x : new float[][] {{1, 0.05f, 0}, {0.1f, 0, 1}, {0.3f, 0.3f, 0.3f}})
            assertThat(back.apply(x).label()).isEqualTo(h.apply(x).label());
        Path g = dir.resolve("g.json");
        HeadFiles.write(back, g);
        assertThat(f).hasSameBinaryContentAs(g);
    }

    @Test
    void headWithoutTheScoreStillReadsAndUsesTheProbabilityRule(@TempDir Path dir) throws Exception {
        SoftmaxHead h = new SoftmaxHead("h", List.of("a", "oos"), new float[][] {{1, 0}, {0, 0}}, new float[2], "oos", 0.9, null);
        Path f = dir.resolve("old.json");
        HeadFiles.write(h, f);
        assertThat(Files.readString(f)).doesNotContain("oosScore");
        SoftmaxHead back = HeadFiles.read(f);
        assertThat(back.oosScore()).isNull();
        assertThat(back.apply(new float[] {0.5f, 0}).label()).isEqualTo("oos"); // p(a) = 0.62 < 0.9
        assertThat(back.apply(new float[] {0.5f, 0}).novelty()).isNaN(); // no score: no novelty
    }

    @Test
    void refusesAScoreWithoutAnOutOfScopeLabelOrOfTheWrongWidth() {
        OutOfScopeScore score = new OutOfScopeScore(new float[][] {{1, 0}}, 0, 1, 0, 1, 1);
        assertThatThrownBy(() -> new SoftmaxHead("h", List.of("a", "b"), new float[2][2], new float[2], null, 0, null, score))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no oosLabel");
        assertThatThrownBy(() -> new SoftmaxHead("h", List.of("a", "oos"), new float[2][3], new float[2], "oos", 0, null, score))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("width");
        assertThatThrownBy(() -> new OutOfScopeScore(new float[][] {{1}}, 0, 0, 0, 1, 1)).isInstanceOf(ModelLoadException.class);
    }
}
