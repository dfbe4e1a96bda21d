package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.train.TreeBooster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairTreesTest {
    private static int extra(String name) {
        return PairFeatures.LEXICAL.size() + PairFeatures.EXTRA.indexOf(name);
    }

    @Test
    void extraFeaturesHaveKnownValues() {
        float[] f = PairFeatures.lexical(
                Map.of("title", "hp toner q6511x 2 pack", "brand", "HP Inc", "price", "100"),
                Map.of("title", "hp toner", "manufacturer", "hp", "price", "50"));
        assertThat(f).hasSize(PairFeatures.LEXICAL.size() + PairFeatures.EXTRA.size());
        assertThat(f[extra("title_jaccard")]).isCloseTo(2f / 5, within(1e-6f));       // {hp, toner} of 5 words
        assertThat(f[extra("token_containment")]).isCloseTo(1f, within(1e-6f));       // every word of the shorter side
        assertThat(f[extra("brand_known")]).isEqualTo(1f);
        assertThat(f[extra("brand_match")]).isEqualTo(1f);                             // first words agree
        assertThat(f[extra("price_log_ratio")]).isCloseTo((float) Math.log(2), within(1e-6f));
        assertThat(f[extra("title_trigram_containment")]).isCloseTo(1f, within(1e-6f)); // every trigram of " hp toner " occurs in the other title
    }

    @Test
    void numbersThatDisagreeAreAConflict() {
        float[] f = PairFeatures.lexical(Map.of("title", "usb cable 2 m"), Map.of("title", "usb cable 3 m"));
        assertThat(f[extra("number_conflict")]).isEqualTo(1f);
        assertThat(f[extra("number_containment")]).isZero();
        assertThat(f[extra("brand_known")]).isZero();
        assertThat(f[extra("price_log_ratio")]).isZero();
    }

    /** y = 1 only when both x0 and x1 exceed 0.5: no single linear cut separates it, two splits do. */
    private static float[][] rows(int n, long seed, int[] y) {
        SplittableRandom r = new SplittableRandom(seed);
        int width = PairHead.TREE_FEATURES.size();
        float[][] x = new float[n][width];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < width; d++) x[i][d] = (float) r.nextDouble();
            y[i] = x[i][0] > 0.5 && x[i][1] > 0.5 ? 1 : 0;
        }
        return x;
    }

    @Test
    void boostedTreesLearnAConjunctionAndAreDeterministic() {
        int[] y = new int[2000];
        float[][] x = rows(2000, 1, y);
        TreeBooster.Params p = new TreeBooster.Params(60, 2, 0.3, 1, 1, 32, 0.8);
        PairTrees t = TreeBooster.fit(x, y, PairHead.TREE_FEATURES, p, 7);
        int[] yt = new int[500];
        float[][] xt = rows(500, 2, yt);
        int right = 0;
        for (int i = 0; i < xt.length; i++) if ((t.probability(xt[i]) >= 0.5 ? 1 : 0) == yt[i]) right++;
        assertThat(right / 500.0).isGreaterThan(0.95);
        PairTrees again = TreeBooster.fit(x, y, PairHead.TREE_FEATURES, p, 7);
        for (float[] row : xt) assertThat(again.logit(row)).isEqualTo(t.logit(row));
    }

    @Test
    void pairHeadWithTreesRoundTripsThroughItsFile(@TempDir Path dir) {
        int[] y = new int[300];
        float[][] x = rows(300, 3, y);
        PairTrees t = TreeBooster.fit(x, y, PairHead.TREE_FEATURES, new TreeBooster.Params(5, 2, 0.3, 1, 1, 8, 1), 1);
        int dim = 4;
        PairHead h = new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0.5f, 0.4, null, t);
        Path f = dir.resolve("dup.json");
        HeadFiles.write(h, f);
        PairHead back = (PairHead) HeadFiles.readHead(f);
        float[] u = {1, 0, 0, 0}, v = {0.8f, 0.6f, 0, 0};
        float[] lex = PairFeatures.lexical(Map.of("title", "a b c"), Map.of("title", "a b d"));
        assertThat(back.score(u, v, lex).score()).isEqualTo(h.score(u, v, lex).score());
        Path g = dir.resolve("again.json");
        HeadFiles.write(back, g);
        assertThat(f).hasSameBinaryContentAs(g);
    }

    @Test
    void refusesTreesThatReadAFeatureItDoesNotHave() {
        var bad = new PairTrees.Tree(new int[] {99, -1, -1}, new float[3], new int[] {1, 0, 0}, new int[] {2, 0, 0}, new float[3]);
        assertThatThrownBy(() -> new PairTrees(PairHead.TREE_FEATURES, 0, 0.1, List.of(bad)))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("feature 99");
    }
}
