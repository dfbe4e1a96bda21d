package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.tokenize.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link PairHead#portable}: a head that hands calls whose records its IDF table does not know to a second head. */
class PairSwitchTest {
    private static final int DIM = 4;
    private static final float[] U = {1, 0, 0, 0};
    private static final TokenIdf IDF = TokenIdf.of(List.of(rec("title", "sony tv 46"), rec("title", "sony tv 40"),
            rec("title", "canon camera"), rec("title", "nikon lens")));

    private static Map<String, String> rec(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** Candidate trees; {@code blend} 0 for the trained head, 0.5 for the portable one (so their scores differ). */
    private static PairHead head(double blend, double threshold) {
        return new PairHead("dup", RecordFormat.products(), DIM, new float[PairFeatures.size(DIM)], 0, threshold, null,
                CandidateFeaturesTest.trees(300, 20), IDF, blend);
    }

    private static PairHead switching() {
        return head(0, 0.5).withPortable(head(0.5, 0.3), 0.65);
    }

    @Test
    void familiarityIsTheIdfWeightOfTheKnownTokensOverAllOfThem() {
        assertThat(PairHead.familiarity(List.of(rec("title", "sony tv 46"), rec("title", "canon camera")), IDF)).isEqualTo(1.0);
        assertThat(PairHead.familiarity(List.of(rec("title", "blender"), rec("title", "toaster x2")), IDF)).isEqualTo(0.0);
        assertThat(PairHead.familiarity(List.of(), IDF)).isEqualTo(1.0);
        // "sony" is in 2 of 4 records: ln(5/3) + 1; "blender" in none: ln(5/1) + 1; a repeated record or token counts once
        double sony = Math.log(5.0 / 3) + 1, blender = Math.log(5.0) + 1;
        assertThat(PairHead.familiarity(List.of(rec("title", "Sony blender sony"), rec("title", "sony blender")), IDF))
                .isCloseTo(sony / (sony + blender), within(1e-12));
        // the price is not a token of the record (as in the IDF table)
        assertThat(PairHead.familiarity(List.of(rec("title", "nikon lens", "price", "99.5")), IDF)).isEqualTo(1.0);
    }

    @Test
    void familiarRecordsGoToTheTrainedHeadUnfamiliarOnesToThePortableHeadWithTheirOwnIdf() {
        PairHead sw = switching(), trained = head(0, 0.5), portable = head(0.5, 0.3);
        assertThat(sw.scoresTogether()).isTrue();
        // familiar: every token known, so the trained head scores the call, as it is
        var a = rec("title", "sony tv 46");
        var b = rec("title", "sony tv 40");
        var c = rec("title", "canon camera");
        assertThat(scores(sw, List.of(a, a), List.of(b, c))).isEqualTo(scores(trained, List.of(a, a), List.of(b, c)));
        assertThat(sw.route(List.of(a, b, c)).portable()).isNull();
        // unfamiliar: the portable head with the IDF of the call's records; its own threshold decides
        var x = rec("title", "acme blender 500w");
        var y = rec("title", "acme blender 500 w");
        var z = rec("title", "zeta toaster");
        List<PairScore> got = sw.scoreAll(List.of(x, x), List.of(y, z), List.of(U, U), List.of(U, U), null);
        PairHead adapted = portable.withIdf(TokenIdf.of(List.of(x, x, y, z)));
        List<PairScore> want = adapted.scoreAll(List.of(x, x), List.of(y, z), List.of(U, U), List.of(U, U), null);
        assertThat(got).isEqualTo(want);
        assertThat(got).isNotEqualTo(trained.scoreAll(List.of(x, x), List.of(y, z), List.of(U, U), List.of(U, U), null));
        for (PairScore s : got) assertThat(s.duplicate()).isEqualTo(s.score() >= 0.3);
        // one pair alone is routed by its two records
        assertThat(sw.score(x, y, U, U)).isEqualTo(portable.withIdf(TokenIdf.of(List.of(x, y))).score(x, y, U, U));
        assertThat(sw.score(a, b, U, U)).isEqualTo(trained.score(a, b, U, U));
        // the cut-off is the stored minimum: all-known records at 1.0 stay, below it they move
        assertThat(head(0, 0.5).withPortable(portable, 1.0).route(List.of(a, b)).portable()).isNull();
        assertThat(head(0, 0.5).withPortable(portable, 1.0).route(List.of(a, rec("title", "sony blender"))).blend()).isEqualTo(0.5);
    }

    @Test
    void aServedRequestTakesOneBranchForAllItsPairsChosenByAllItsRecords() {
        PairHead sw = switching();
        var a = rec("title", "sony tv 46");
        var b = rec("title", "sony tv 40");
        var x = rec("title", "acme blender 500w");
        var y = rec("title", "acme blender 500 w");
        var z = rec("title", "zeta toaster");
        List<Map<String, String>> lefts = List.of(x, x, a), rights = List.of(y, z, b);
        List<PairInput> pairs = new ArrayList<>();
        List<Tokens> seqs = new ArrayList<>();
        for (int i = 0; i < lefts.size(); i++) {
            pairs.add(new PairInput(lefts.get(i), rights.get(i)));
            for (int k = 0; k < 2; k++) seqs.add(new Tokens(new long[] {1}, new long[] {0}, false, 0));
        }
        Plan plan = new Plan(new Request.Pairs(pairs), seqs, 2);
        float[][] vectors = {U, U, U, U, U, U};
        BiEncoderPair task = new BiEncoderPair(sw);
        List<PairScore> whole = scores(sw, lefts, rights);   // the request's records are mostly unknown: the portable head
        assertThat(PairHead.familiarity(List.of(x, x, a, y, z, b), IDF)).isLessThan(0.65);
        for (int i = 0; i < pairs.size(); i++)
            assertThat(((Answer.Matched) task.answer(plan, i, vectors)).score()).isEqualTo(whole.get(i));
        // the familiar pair a-b alone would have gone to the trained head
        assertThat(whole.get(2)).isNotEqualTo(head(0, 0.5).score(a, b, U, U));
        assertThat(task.scoreAll(pairs, List.of(U, U, U), List.of(U, U, U))).isEqualTo(whole);
    }

    private static List<PairScore> scores(PairHead h, List<Map<String, String>> lefts, List<Map<String, String>> rights) {
        List<float[]> us = new ArrayList<>();
        for (int i = 0; i < lefts.size(); i++) us.add(U);
        return h.scoreAll(lefts, rights, us, us, null);
    }

    @Test
    void aSwitchingHeadRoundTripsByteForByteAndOthersWriteNoPortable(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s.json"), g = dir.resolve("again.json"), plain = dir.resolve("plain.json");
        HeadFiles.write(switching(), f);
        PairHead back = (PairHead) HeadFiles.readHead(f);
        assertThat(back.portable().minFamiliarity()).isEqualTo(0.65);
        assertThat(back.portable().head().blend()).isEqualTo(0.5);
        assertThat(back.portable().head().threshold()).isEqualTo(0.3);
        assertThat(back.portable().head().idf()).isEqualTo(IDF);          // the branch shares the parent's table
        assertThat(Files.readString(f).split("\"idf\"", -1)).hasSize(2);   // written once
        var x = rec("title", "acme blender 500w");
        var y = rec("title", "acme blender 500 w");
        assertThat(back.score(x, y, U, U)).isEqualTo(switching().score(x, y, U, U));
        HeadFiles.write(back, g);
        assertThat(f).hasSameBinaryContentAs(g);
        HeadFiles.write(head(0, 0.5), plain);
        assertThat(Files.readString(plain)).doesNotContain("\"portable\"");   // heads before session 7 keep their bytes
        assertThat(((PairHead) HeadFiles.readHead(plain)).portable()).isNull();
        Files.writeString(g, Files.readString(f).replace("\"minFamiliarity\"", "\"minFamiliar\""));
        assertThatThrownBy(() -> HeadFiles.readHead(g)).isInstanceOf(ModelLoadException.class).hasMessageContaining("minFamiliarity");
    }

    @Test
    void badSwitchesAreRefused() {
        assertThatThrownBy(() -> head(0, 0.5).withPortable(head(0.5, 0.3), 0)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> head(0, 0.5).withPortable(head(0.5, 0.3), 1.5)).isInstanceOf(ModelLoadException.class);
        assertThatThrownBy(() -> head(0, 0.5).withPortable(switching(), 0.5)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new PairHead("dup", RecordFormat.products(), DIM, new float[PairFeatures.size(DIM)], 0, 0.5, null, null,
                null, 0, new PairHead.Portable(head(0.5, 0.3), 0.65))).isInstanceOf(ModelLoadException.class).hasMessageContaining("'idf'");
        assertThatThrownBy(() -> switching().withIdf(IDF)).isInstanceOf(IllegalStateException.class).hasMessageContaining("portable");
    }
}
