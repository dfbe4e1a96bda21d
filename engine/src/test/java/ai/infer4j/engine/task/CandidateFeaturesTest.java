package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.train.TreeBooster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CandidateFeaturesTest {
    private static Map<String, String> rec(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static final Map<String, String> L1 = rec("title", "l1"), L2 = rec("title", "l2"), L3 = rec("title", "l3");
    private static final Map<String, String> R1 = rec("title", "r1"), R2 = rec("title", "r2"), R3 = rec("title", "r3");

    private static float f(float[] row, String source, String what) {
        return row[CandidateFeatures.NAMES.indexOf(source + "_" + what)];
    }

    @Test
    void gapsRanksAndMutualBestHaveKnownValues() {
        // L1-R1 0.9, L1-R2 0.5, L2-R2 0.7, L3-R3 0.4 (alone); the second source is the first halved
        double[][] sims = {{0.9, 0.45}, {0.5, 0.25}, {0.7, 0.35}, {0.4, 0.2}};
        float[][] c = CandidateFeatures.of(List.of(L1, L1, L2, L3), List.of(R1, R2, R2, R3), sims, null);
        String rec = "record_idf_cosine", title = "title_idf_cosine";
        assertThat(f(c[0], rec, "gap_left")).isCloseTo(0.4f, within(1e-6f));   // 0.9 - 0.5 (L1's other candidate)
        assertThat(f(c[0], rec, "gap_right")).isCloseTo(0.9f, within(1e-6f));  // R1 has no other candidate: 0.9 - 0
        assertThat(f(c[0], rec, "rank_left")).isEqualTo(0f);
        assertThat(f(c[0], rec, "mutual_best")).isEqualTo(1f);
        assertThat(f(c[1], rec, "gap_left")).isCloseTo(-0.4f, within(1e-6f));  // 0.5 - 0.9
        assertThat(f(c[1], rec, "gap_right")).isCloseTo(-0.2f, within(1e-6f)); // 0.5 - 0.7 (R2's other candidate)
        assertThat(f(c[1], rec, "rank_left")).isEqualTo(1f);
        assertThat(f(c[1], rec, "rank_right")).isEqualTo(1f);
        assertThat(f(c[1], rec, "mutual_best")).isEqualTo(0f);
        assertThat(f(c[2], rec, "gap_right")).isCloseTo(0.2f, within(1e-6f));
        assertThat(f(c[2], rec, "mutual_best")).isEqualTo(1f);
        assertThat(f(c[1], title, "gap_left")).isCloseTo(-0.2f, within(1e-6f)); // second source, same structure
        assertThat(c[3]).containsExactly(CandidateFeatures.alone(sims[3]));      // no competitor: as if scored alone
        assertThat(f(c[3], rec, "gap_left")).isCloseTo(0.4f, within(1e-6f));
    }

    @Test
    void groupsAreNeverComparedAndRanksAreCapped() {
        double[][] sims = {{0.9, 0.9}, {0.5, 0.5}};
        float[][] split = CandidateFeatures.of(List.of(L1, L1), List.of(R1, R2), sims, new int[] {0, 1});
        assertThat(split[1]).containsExactly(CandidateFeatures.alone(sims[1])); // its competitor is in another group
        int n = 9;
        List<Map<String, String>> lefts = new ArrayList<>(), rights = new ArrayList<>();
        double[][] many = new double[n][];
        for (int i = 0; i < n; i++) {
            lefts.add(L1);
            rights.add(rec("title", "r" + i));
            many[i] = new double[] {i / 10.0, i / 10.0};
        }
        float[][] c = CandidateFeatures.of(lefts, rights, many, null);
        assertThat(f(c[0], "record_idf_cosine", "rank_left")).isEqualTo(CandidateFeatures.MAX_RANK); // 8 above, capped
        assertThat(f(c[n - 1], "record_idf_cosine", "rank_left")).isEqualTo(0f);
    }

    @Test
    void theSameSetInAnyOrderGivesEachPairTheSameFeatures() {
        double[][] sims = {{0.9, 0.1}, {0.5, 0.6}, {0.7, 0.2}};
        List<Map<String, String>> l = List.of(L1, L1, L2), r = List.of(R1, R2, R2);
        float[][] a = CandidateFeatures.of(l, r, sims, null);
        float[][] b = CandidateFeatures.of(List.of(l.get(2), l.get(0), l.get(1)), List.of(r.get(2), r.get(0), r.get(1)),
                new double[][] {sims[2], sims[0], sims[1]}, null);
        assertThat(b[0]).containsExactly(a[2]);
        assertThat(b[1]).containsExactly(a[0]);
        assertThat(b[2]).containsExactly(a[1]);
    }

    private static PairTrees trees() {
        return trees(400, 30);
    }

    /**
     * Trees that call a pair a duplicate when it is the mutual best candidate by record IDF cosine and similar enough,
     * fitted on {@code n} random rows with {@code rounds} boosting rounds (also used by {@link PairBlendTest}).
     */
    static PairTrees trees(int n, int rounds) {
        List<String> names = PairHead.CANDIDATE_TREE_FEATURES;
        int mutual = names.indexOf("record_idf_cosine_mutual_best"), cos = names.indexOf("record_idf_cosine");
        SplittableRandom r = new SplittableRandom(5);
        float[][] x = new float[n][names.size()];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < names.size(); d++) x[i][d] = (float) r.nextDouble();
            x[i][mutual] = r.nextBoolean() ? 1 : 0;
            y[i] = x[i][mutual] == 1 && x[i][cos] > 0.3 ? 1 : 0;
        }
        return TreeBooster.fit(x, y, names, new TreeBooster.Params(rounds, 2, 0.3, 1, 1, 8, 1), 1);
    }

    @Test
    void aPairThatLosesToAnotherCandidateScoresLowerThanAloneAndTheHeadRoundTrips(@TempDir Path dir) {
        int dim = 4;
        TokenIdf idf = TokenIdf.of(List.of(rec("title", "sony tv 46"), rec("title", "sony tv 40"), rec("title", "canon camera")));
        PairHead h = new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0, 0.5, null, trees(), idf);
        assertThat(h.readsCandidates()).isTrue();
        float[] u = {1, 0, 0, 0};
        var left = rec("title", "sony tv 46");
        var weak = rec("title", "sony tv 40");
        var strong = rec("title", "sony tv 46 black");
        PairScore alone = h.score(left, weak, u, u);
        List<PairScore> together = h.scoreAll(List.of(left, left), List.of(weak, strong), List.of(u, u), List.of(u, u), null);
        assertThat(alone.duplicate()).isTrue();                       // alone, it is its records' best candidate
        assertThat(together.get(0).duplicate()).isFalse();            // beside a closer candidate of the same record it is not
        assertThat(together.get(1).duplicate()).isTrue();
        assertThat(h.scoreAll(List.of(left), List.of(weak), List.of(u), List.of(u), null).get(0).score()).isEqualTo(alone.score());
        Path f = dir.resolve("dup.json");
        HeadFiles.write(h, f);
        PairHead back = (PairHead) HeadFiles.readHead(f);
        assertThat(back.scoreAll(List.of(left, left), List.of(weak, strong), List.of(u, u), List.of(u, u), null))
                .extracting(PairScore::score).containsExactly(together.get(0).score(), together.get(1).score());
        HeadFiles.write(back, dir.resolve("again.json"));
        assertThat(f).hasSameBinaryContentAs(dir.resolve("again.json"));
        assertThatThrownBy(() -> back.score(u, u, PairFeatures.lexical(left, weak))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0, 0.5, null, trees(), null))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("idf");
    }

    @Test
    void aHeadWithoutCandidateFeaturesScoresEachPairAsAlone() {
        int dim = 4;
        PairHead h = new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0.1f, 0.5, null);
        assertThat(h.readsCandidates()).isFalse();
        float[] u = {1, 0, 0, 0};
        var a = rec("title", "x"); var b = rec("title", "y");
        List<PairScore> all = h.scoreAll(List.of(a, a), List.of(b, a), List.of(u, u), List.of(u, u), null);
        assertThat(all.get(0).score()).isEqualTo(h.score(a, b, u, u).score());
        assertThat(Collections.disjoint(PairHead.KNOWN_TREE_FEATURES, CandidateFeatures.NAMES)).isFalse();
    }
}
