package ai.infer4j.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PaddingSplitTest {
    @Test
    void similarLengthsStayOnePass() {
        assertThat(PaddingSplit.cuts(new int[] {10, 11, 12, 12, 13}, 8)).containsExactly(5);
        assertThat(PaddingSplit.cuts(new int[] {7}, 8)).containsExactly(1);
        assertThat(PaddingSplit.cuts(new int[0], 8)).containsExactly(0);
    }

    @Test
    void oneLongSequenceRunsOnItsOwnWhenThatSavesMoreThanAPass() {
        // one pass: 7 x 40 + 8 = 288 slots; two: 6 x 12 + 8 + 40 + 8 = 128; three ([9..11], [12 x 3], [40]): 133
        assertThat(PaddingSplit.cuts(new int[] {9, 10, 11, 12, 12, 12, 40}, 8)).containsExactly(6, 7);
        // saving 2 x 2 = 4 slots is not worth a pass of 8
        assertThat(PaddingSplit.cuts(new int[] {10, 10, 12}, 8)).containsExactly(3);
    }

    @Test
    void theCutsMinimiseTheTotalCost() {
        int[] lengths = {5, 5, 6, 20, 21, 22, 60, 64};
        int[] cuts = PaddingSplit.cuts(lengths, 8);
        assertThat(cuts).containsExactly(3, 6, 8);
        assertThat(cost(lengths, cuts, 8)).isLessThanOrEqualTo(cost(lengths, new int[] {8}, 8));
        // with free passes every distinct length gets its own; with very costly ones everything is one pass
        assertThat(PaddingSplit.cuts(lengths, 0)).containsExactly(2, 3, 4, 5, 6, 7, 8);
        assertThat(PaddingSplit.cuts(lengths, 10_000)).containsExactly(8);
    }

    @Test
    void unsortedLengthsAreRefused() {
        assertThatThrownBy(() -> PaddingSplit.cuts(new int[] {3, 2}, 8)).isInstanceOf(IllegalArgumentException.class);
    }

    private static long cost(int[] lengths, int[] cuts, int callCost) {
        long total = 0;
        int from = 0;
        for (int to : cuts) {
            total += (long) (to - from) * lengths[to - 1] + callCost;
            from = to;
        }
        return total;
    }
}
