package ai.infer4j.engine.train;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LexicalTrainerTest {
    @Test
    void chiSquaredKeepsTheFeaturesThatFollowTheClassTiesByName() {
        // classes 0, 0, 1, 1; "a" in both class-0 texts (chi2 2), "d" in one class-1 text (chi2 1),
        // "b" everywhere and "c" once per class (chi2 0 each: a tie, "b" comes first)
        int[] y = {0, 0, 1, 1};
        List<Map<String, Integer>> counts = List.of(
                Map.of("a", 1, "b", 1, "c", 1), Map.of("a", 2, "b", 1), Map.of("b", 1, "c", 3), Map.of("b", 1, "d", 1));
        Map<String, Integer> df = Map.of("a", 2, "b", 4, "c", 2, "d", 1);
        List<String> candidates = List.of("a", "b", "c", "d");
        assertThat(LexicalTrainer.mostClassDependent(candidates, df, counts, y, 2, 1)).containsExactly("a");
        assertThat(LexicalTrainer.mostClassDependent(candidates, df, counts, y, 2, 2)).containsExactly("a", "d");
        assertThat(LexicalTrainer.mostClassDependent(candidates, df, counts, y, 2, 3)).containsExactly("a", "b", "d");
    }
}
