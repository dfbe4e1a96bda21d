package ai.infer4j.engine.task;

import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.tokenize.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
    /** 24 known records: "sony tv 1".."sony tv 12" and "canon camera 1".."canon camera 12". */
    private static final List<Map<String, String>> KNOWN = known();
    private static final TokenIdf IDF = TokenIdf.of(KNOWN);

    private static List<Map<String, String>> known() {
        List<Map<String, String>> out = new ArrayList<>();
        for (int k = 1; k <= 12; k++) out.add(rec("title", "sony tv " + k));
        for (int k = 1; k <= 12; k++) out.add(rec("title", "canon camera " + k));
        return out;
    }

    /** {@code n} records no table here knows: "acme blender 5{k}w" (or "zeta toaster z{k}" when {@code other}). */
    private static List<Map<String, String>> unknown(int n, boolean other) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int k = 0; k < n; k++) out.add(other ? rec("title", "zeta toaster z" + k) : rec("title", "acme blender 5" + k + "w"));
        return out;
    }

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
        assertThat(PairHead.familiarity(List.of(rec("title", "sony tv 4"), rec("title", "canon camera")), IDF)).isEqualTo(1.0);
        assertThat(PairHead.familiarity(List.of(rec("title", "blender"), rec("title", "toaster x2")), IDF)).isEqualTo(0.0);
        assertThat(PairHead.familiarity(List.of(), IDF)).isEqualTo(1.0);
        // "sony" is in 12 of 24 records: ln(25/13) + 1; "blender" in none: ln(25/1) + 1; a repeated record or token counts once
        double sony = Math.log(25.0 / 13) + 1, blender = Math.log(25.0) + 1;
        assertThat(PairHead.familiarity(List.of(rec("title", "Sony blender sony"), rec("title", "sony blender")), IDF))
                .isCloseTo(sony / (sony + blender), within(1e-12));
        // the price is not a token of the record (as in the IDF table)
        assertThat(PairHead.familiarity(List.of(rec("title", "canon camera", "price", "99.5")), IDF)).isEqualTo(1.0);
    }

    @Test
    void familiarRecordsGoToTheTrainedHeadUnfamiliarOnesToThePortableHeadWithTheirOwnIdf() {
        PairHead sw = switching(), trained = head(0, 0.5), portable = head(0.5, 0.3);
        assertThat(sw.scoresTogether()).isTrue();
        // familiar: 24 known records, every token known: the trained head scores the call, as it is
        List<Map<String, String>> kl = KNOWN.subList(0, 12), kr = KNOWN.subList(12, 24);
        assertThat(scores(sw, kl, kr)).isEqualTo(scores(trained, kl, kr));
        assertThat(sw.route(KNOWN).portable()).isNull();
        // unfamiliar: 24 unknown records: the portable head with the IDF of the call's records; its own threshold decides
        List<Map<String, String>> ul = unknown(12, false), ur = unknown(12, true);
        List<Map<String, String>> lefts = new ArrayList<>(ul), rights = new ArrayList<>(ur);
        lefts.add(ul.get(0));
        rights.add(rec("title", "acme blender 50 w"));   // a near copy of ul[0]: the pair the blend lifts
        List<Map<String, String>> all = new ArrayList<>(lefts);
        all.addAll(rights);
        List<PairScore> got = scores(sw, lefts, rights);
        assertThat(got).isEqualTo(scores(portable.withIdf(TokenIdf.of(all)), lefts, rights));
        assertThat(got).isNotEqualTo(scores(trained, lefts, rights));
        for (PairScore s : got) assertThat(s.duplicate()).isEqualTo(s.score() >= 0.3);
        // fewer than MIN_SWITCH_RECORDS distinct records (one served pair, a short request) stay with the trained head
        var x = ul.get(0);
        var y = rights.get(12);
        assertThat(sw.score(x, y, U, U)).isEqualTo(trained.score(x, y, U, U));
        assertThat(scores(sw, ul.subList(0, 9), ur.subList(0, 9))).isEqualTo(scores(trained, ul.subList(0, 9), ur.subList(0, 9)));
        assertThat(scores(sw, ul.subList(0, 10), ur.subList(0, 10))).isNotEqualTo(scores(trained, ul.subList(0, 10), ur.subList(0, 10)));
        // the cut-off is the stored minimum: all-known records at 1.0 stay, one unknown token moves them
        PairHead strict = head(0, 0.5).withPortable(portable, 1.0);
        assertThat(strict.route(KNOWN).portable()).isNull();
        List<Map<String, String>> oneNew = new ArrayList<>(KNOWN);
        oneNew.add(rec("title", "sony blender"));
        assertThat(strict.route(oneNew).blend()).isEqualTo(0.5);
    }

    @Test
    void aServedRequestTakesOneBranchForAllItsPairsChosenByAllItsRecords() {
        PairHead sw = switching();
        // 11 unfamiliar pairs and one familiar pair (sony tv 1 - sony tv 2): the request as a whole is unfamiliar
        List<Map<String, String>> lefts = new ArrayList<>(unknown(11, false)), rights = new ArrayList<>(unknown(11, true));
        lefts.add(KNOWN.get(0));
        rights.add(KNOWN.get(1));
        List<PairInput> pairs = new ArrayList<>();
        List<Tokens> seqs = new ArrayList<>();
        List<float[]> us = new ArrayList<>();
        for (int i = 0; i < lefts.size(); i++) {
            pairs.add(new PairInput(lefts.get(i), rights.get(i)));
            for (int k = 0; k < 2; k++) seqs.add(new Tokens(new long[] {1}, new long[] {0}, i == 3 && k == 1, 0));   // pair 3: right cut
            us.add(U);
        }
        Plan plan = new Plan(new Request.Pairs(pairs), seqs, 2);
        float[][] vectors = new float[2 * pairs.size()][];
        Arrays.fill(vectors, U);
        BiEncoderPair task = new BiEncoderPair(sw);
        List<PairScore> whole = scores(sw, lefts, rights);
        List<Map<String, String>> all = new ArrayList<>(lefts);
        all.addAll(rights);
        assertThat(sw.route(all).blend()).isEqualTo(0.5);   // the portable head
        assertThat(task.routed(plan)).isEqualTo(sw.route(all));   // routed once, for the request as a whole
        List<Answer> answers = task.answers(plan, vectors);
        assertThat(answers).hasSize(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            Answer.Matched m = (Answer.Matched) answers.get(i);
            assertThat(m.score()).isEqualTo(whole.get(i));
            assertThat(m.truncated()).isEqualTo(i == 3);
            assertThat(task.answer(plan, i, vectors)).isEqualTo(m);   // one input alone: the same branch, the same answer
        }
        // the familiar pair alone would have gone to the trained head
        assertThat(whole.get(11)).isNotEqualTo(head(0, 0.5).score(KNOWN.get(0), KNOWN.get(1), U, U));
        assertThat(task.scoreAll(pairs, us, us)).isEqualTo(whole);
        // a familiar request of 24 known records: the trained head, for all its pairs
        List<PairInput> known = new ArrayList<>();
        for (int i = 0; i < 12; i++) known.add(new PairInput(KNOWN.get(i), KNOWN.get(12 + i)));
        Plan familiar = new Plan(new Request.Pairs(known), seqs.subList(0, 24), 2);
        assertThat(task.routed(familiar).portable()).isNull();
        assertThat(task.answers(familiar, vectors).stream().map(a -> ((Answer.Matched) a).score()).toList())
                .isEqualTo(scores(head(0, 0.5), KNOWN.subList(0, 12), KNOWN.subList(12, 24)));
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
        List<Map<String, String>> ul = unknown(12, false), ur = unknown(12, true);
        assertThat(scores(back, ul, ur)).isEqualTo(scores(switching(), ul, ur));   // the portable branch, read back
        assertThat(scores(back, KNOWN.subList(0, 12), KNOWN.subList(12, 24))).isEqualTo(scores(switching(), KNOWN.subList(0, 12),
                KNOWN.subList(12, 24)));
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
