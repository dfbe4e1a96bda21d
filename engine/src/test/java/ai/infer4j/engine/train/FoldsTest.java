package ai.infer4j.engine.train;

import ai.infer4j.engine.task.OutOfScopeScore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FoldsTest {
    @Test
    void foldsAreBalancedAndFixedBySeed() {
        int[] a = IntentCrossValidation.folds(103, 5, 42);
        int[] count = new int[5];
        for (int f : a) count[f]++;
        assertThat(count).containsExactly(21, 21, 21, 20, 20);
        assertThat(IntentCrossValidation.folds(103, 5, 42)).isEqualTo(a);
        assertThat(IntentCrossValidation.folds(103, 5, 43)).isNotEqualTo(a);
    }

    @Test
    void centroidsAreUnitLengthClassMeansWithoutTheSkippedClass() {
        float[][] x = {{2, 0}, {4, 0}, {0, 3}, {9, 9}};
        int[] y = {0, 0, 1, 2};
        float[][] c = OutOfScopeScore.classCentroids(x, y, 3, 2);
        assertThat(c).isDeepEqualTo(new float[][] {{1, 0}, {0, 1}});
    }
}
