package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.train.TreeBooster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairIdfTest {
    private static final double LN2 = Math.log(2), LN4 = Math.log(4);

    private static Map<String, String> rec(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** Three distinct records (one given twice): "a" is in all three, "b" in one, "c" in none. */
    private static TokenIdf table() {
        return TokenIdf.of(List.of(rec("title", "a b", "price", "5"), rec("title", "a x"), rec("title", "a y"), rec("title", "a y")));
    }

    @Test
    void weightFallsWithRecordCountAndIsLargestForUnknownTokens() {
        TokenIdf idf = table();
        assertThat(idf.records()).isEqualTo(3);
        assertThat(idf.counts()).containsEntry("a", 3).containsEntry("b", 1).doesNotContainKey("5"); // the price is no token
        assertThat(idf.weight("a")).isCloseTo(1, within(1e-12));              // ln(4/4) + 1
        assertThat(idf.weight("b")).isCloseTo(1 + LN2, within(1e-12));        // ln(4/2) + 1
        assertThat(idf.weight("c")).isCloseTo(1 + LN4, within(1e-12));        // unknown: ln(4/1) + 1
    }

    @Test
    void idfFeaturesHaveKnownValues() {
        float[] f = PairFeatures.idf(rec("title", "A b"), rec("title", "a c"), table());
        assertThat(f).hasSize(PairFeatures.IDF.size());
        double wa = 1, wb = 1 + LN2, wc = 1 + LN4;
        double cosine = wa * wa / Math.sqrt((wa * wa + wb * wb) * (wa * wa + wc * wc));
        assertThat(f[PairFeatures.IDF.indexOf("title_idf_cosine")]).isCloseTo((float) cosine, within(1e-6f));
        assertThat(f[PairFeatures.IDF.indexOf("title_idf_containment")]).isCloseTo((float) (wa / (wa + wb)), within(1e-6f));
        assertThat(f[PairFeatures.IDF.indexOf("record_idf_cosine")]).isCloseTo((float) cosine, within(1e-6f));
        float[] same = PairFeatures.idf(rec("title", "a b"), rec("title", "b a"), table());
        for (float v : same) assertThat(v).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void aSharedRareTokenCountsMoreThanASharedCommonOne() {
        TokenIdf idf = table();
        float rare = PairFeatures.idf(rec("title", "a b"), rec("title", "b y"), idf)[0];   // share b (in 1 record)
        float common = PairFeatures.idf(rec("title", "a b"), rec("title", "a y"), idf)[0]; // share a (in all 3)
        assertThat(rare).isGreaterThan(common);
    }

    @Test
    void titleFeaturesReadANameFieldOrTheFirstFieldWhenThereIsNoTitle() {
        int titleJaccard = PairFeatures.LEXICAL.size() + PairFeatures.EXTRA.indexOf("title_jaccard");
        assertThat(PairFeatures.lexical(rec("name", "hp toner", "description", "black"), rec("name", "toner hp", "price", "3"))[titleJaccard])
                .isEqualTo(1f);
        assertThat(PairFeatures.title(rec("price", "3", "product", "canon ip4500", "notes", "x"))).isEqualTo("canon ip4500");
    }

    @Test
    void recordFormatKeepsTheFieldsItDoesNotList() {
        RecordFormat f = new RecordFormat(List.of("title", "price"), 64);
        assertThat(f.render(rec("price", "5", "name", "sony tv", "description", "46 inch"), "left"))
                .isEqualTo("price: 5 name: sony tv description: 46 inch");
        assertThat(RecordFormat.products().render(rec("name", "sony tv", "description", "46 inch", "price", "5"), "left"))
                .isEqualTo("name: sony tv description: 46 inch price: 5");
        assertThat(f.render(rec("title", "a", "price", "5"), "left")).isEqualTo("title: a price: 5");
    }

    private static PairTrees trees() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 300, width = PairHead.IDF_TREE_FEATURES.size(), at = PairHead.IDF_TREE_FEATURES.indexOf("title_idf_cosine");
        float[][] x = new float[n][width];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < width; d++) x[i][d] = (float) r.nextDouble();
            y[i] = x[i][at] > 0.6 ? 1 : 0;
        }
        return TreeBooster.fit(x, y, PairHead.IDF_TREE_FEATURES, new TreeBooster.Params(10, 2, 0.3, 1, 1, 8, 1), 1);
    }

    @Test
    void headWithIdfTreesRoundTripsThroughItsFileAndScoresByIdf(@TempDir Path dir) {
        int dim = 4;
        PairHead h = new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0.5f, 0.5, null, trees(), table());
        Path f = dir.resolve("dup.json");
        HeadFiles.write(h, f);
        PairHead back = (PairHead) HeadFiles.readHead(f);
        assertThat(back.idf()).isEqualTo(h.idf());
        float[] u = {1, 0, 0, 0}, v = {0.8f, 0.6f, 0, 0};
        var match = back.score(rec("title", "a b"), rec("title", "b a"), u, v);
        var other = back.score(rec("title", "a b"), rec("title", "c d"), u, v);
        assertThat(match.score()).isEqualTo(h.score(rec("title", "a b"), rec("title", "b a"), u, v).score());
        assertThat(match.duplicate()).isTrue();
        assertThat(other.duplicate()).isFalse();
        Path g = dir.resolve("again.json");
        HeadFiles.write(back, g);
        assertThat(f).hasSameBinaryContentAs(g);
        assertThatThrownBy(() -> back.score(u, v, PairFeatures.lexical(rec("title", "a"), rec("title", "a"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("IDF");
    }

    @Test
    void refusesIdfTreesWithoutATableAndUnknownTreeFeatures() {
        int dim = 4;
        assertThatThrownBy(() -> new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0.5f, 0.5, null, trees()))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no 'idf' table");
        var leaf = new PairTrees.Tree(new int[] {-1}, new float[1], new int[1], new int[1], new float[1]);
        PairTrees unknown = new PairTrees(List.of("colour_match"), 0, 0.1, List.of(leaf));
        assertThatThrownBy(() -> new PairHead("dup", RecordFormat.products(), dim, new float[PairFeatures.size(dim)], 0.5f, 0.5, null, unknown))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("colour_match");
        assertThatThrownBy(() -> new TokenIdf(2, Map.of("a", 3))).isInstanceOf(ModelLoadException.class);
    }
}
