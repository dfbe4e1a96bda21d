package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.train.PairTrainer;
import ai.infer4j.engine.train.TreeBooster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link PairHead#blend}: the trees' probability mixed with the untrained {@code record_idf_cosine}. */
class PairBlendTest {
    private static final int DIM = 4;
    private static final float[] U = {1, 0, 0, 0};
    private static final TokenIdf IDF = TokenIdf.of(List.of(rec("title", "sony tv 46"), rec("title", "sony tv 40"),
            rec("title", "canon camera"), rec("title", "nikon lens")));

    private static Map<String, String> rec(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private static PairHead head(double blend) {
        return new PairHead("dup", RecordFormat.products(), DIM, new float[PairFeatures.size(DIM)], 0, 0.5, null, trees(), IDF, blend);
    }

    @Test
    void theScoreIsTheWeightedMeanOfTheTreesAndTheRecordIdfCosine() {
        PairHead trees = head(0), blended = head(0.5);
        var a = rec("title", "canon camera");
        var same = rec("title", "canon camera");   // record IDF cosine 1
        var other = rec("title", "nikon lens");    // no shared token: cosine 0
        var half = rec("title", "sony tv 46");
        assertThat(blended.score(a, same, U, U).score()).isCloseTo(0.5 * trees.score(a, same, U, U).score() + 0.5, within(1e-9));
        assertThat(blended.score(a, other, U, U).score()).isCloseTo(0.5 * trees.score(a, other, U, U).score(), within(1e-9));
        var b = rec("title", "sony tv 40");
        double cos = PairFeatures.idf(half, b, IDF)[PairFeatures.IDF.indexOf("record_idf_cosine")];
        assertThat(cos).isStrictlyBetween(0.0, 1.0);
        assertThat(head(0.25).score(half, b, U, U).score()).isCloseTo(0.75 * trees.score(half, b, U, U).score() + 0.25 * cos, within(1e-9));
        // scored together (candidate features) the blend is applied the same way
        List<PairScore> t = trees.scoreAll(List.of(a, a), List.of(same, other), List.of(U, U), List.of(U, U), null);
        List<PairScore> bl = blended.scoreAll(List.of(a, a), List.of(same, other), List.of(U, U), List.of(U, U), null);
        assertThat(bl.get(0).score()).isCloseTo(0.5 * t.get(0).score() + 0.5, within(1e-9));
        assertThat(bl.get(1).score()).isCloseTo(0.5 * t.get(1).score(), within(1e-9));
        assertThat(bl.get(0).duplicate()).isEqualTo(bl.get(0).score() >= 0.5);
        assertThat(PairHead.blend(0.2, new float[] {0, 0.6f, 0, 0}, 0.5)).isCloseTo(0.4, within(1e-6));
    }

    @Test
    void aBlendedHeadRoundTripsByteForByteAndAnUnblendedOneWritesNoBlend(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("b.json"), g = dir.resolve("again.json"), plain = dir.resolve("plain.json");
        HeadFiles.write(head(0.5), f);
        PairHead back = (PairHead) HeadFiles.readHead(f);
        assertThat(back.blend()).isEqualTo(0.5);
        Map<String, String> a = rec("title", "sony tv 46"), b = rec("title", "sony tv 40");
        assertThat(back.score(a, b, U, U).score()).isEqualTo(head(0.5).score(a, b, U, U).score());
        assertThat(back.withIdf(IDF).blend()).isEqualTo(0.5);               // adapting the IDF keeps the blend
        HeadFiles.write(back, g);
        assertThat(f).hasSameBinaryContentAs(g);
        HeadFiles.write(head(0), plain);
        assertThat(Files.readString(plain)).doesNotContain("\"blend\"");  // heads before session 6 keep their bytes
        assertThat(((PairHead) HeadFiles.readHead(plain)).blend()).isZero();
        Files.writeString(g, Files.readString(f).replace("\"feature\" : \"record_idf_cosine\"", "\"feature\" : \"title_idf_cosine\""));
        assertThatThrownBy(() -> HeadFiles.readHead(g)).isInstanceOf(ModelLoadException.class).hasMessageContaining("record_idf_cosine");
    }

    @Test
    void badBlendsAreRefused() {
        assertThatThrownBy(() -> head(1)).isInstanceOf(ModelLoadException.class).hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> head(-0.1)).isInstanceOf(ModelLoadException.class);
        assertThatThrownBy(() -> new PairHead("dup", RecordFormat.products(), DIM, new float[PairFeatures.size(DIM)], 0, 0.5, null, null, IDF, 0.5))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("needs trees");
        assertThatThrownBy(() -> new PairTrainer.Job("d", List.of(Path.of("t")), List.of(Path.of("v")), RecordFormat.products(), 1,
                PairTrainer.Grid.defaults(), 1, null, false, false, 0.5)).isInstanceOf(BadInputException.class).hasMessageContaining("--trees");
        assertThatThrownBy(() -> new PairTrainer.Job("d", List.of(Path.of("t")), List.of(Path.of("v")), RecordFormat.products(), 1,
                PairTrainer.Grid.defaults(), 1, TreeBooster.Params.defaults(), false, false, 1.5)).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> head(0.5).score(U, U, PairFeatures.lexical(rec("title", "a"), rec("title", "b"))))
                .isInstanceOf(IllegalStateException.class);
    }

    /** Small candidate-feature trees: a duplicate is the mutual best candidate with record IDF cosine above 0.3. */
    private static PairTrees trees() {
        return CandidateFeaturesTest.trees(300, 20);
    }
}
