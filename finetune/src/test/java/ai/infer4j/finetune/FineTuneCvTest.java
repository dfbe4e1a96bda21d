package ai.infer4j.finetune;

import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.train.IntentTrainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cross-validation of a fine-tuning recipe on a tiny set (MiniLM's top layer, 18 texts in two files, 3 folds): the
 * folds are those of {@code train --cv} and partition the pooled rows, a fold repeats to the byte, the summary is the mean
 * and standard deviation of the fold files, and a missing or foreign fold file is refused with a message.
 */
class FineTuneCvTest {
    private static final FineTuneOptions O = new FineTuneOptions(1, 2, 4, 1e-4, 1e-2, 0.01, 0.1, 0.1f, 0.1, 20f, 7, 32, 2);

    /** The test's texts in two files (train: the first 4 of each label, valid: the rest), as rows of JSON lines. */
    private static List<List<String>> writeData(Path train, Path valid) throws IOException {
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (String[] row : FineTuneJobTest.DATA)
            for (int i = 1; i < row.length; i++)
                (i <= 4 ? a : b).add("{\"text\": \"" + row[i] + "\", \"label\": \"" + row[0] + "\"}");
        Files.write(train, a);
        Files.write(valid, b);
        return List.of(a, b);
    }

    @Test
    void foldsPartitionThePooledRowsRepeatAndCombine(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("train.jsonl"), valid = dir.resolve("valid.jsonl");
        List<List<String>> rows = writeData(train, valid);
        List<String> a = rows.get(0), b = rows.get(1);
        List<Path> files = List.of(train, valid);
        int n = a.size() + b.size(), k = 3;

        int[] fold = IntentTrainer.cvFolds(n, k, 42);
        int[] size = new int[k];
        for (int f : fold) size[f]++;
        assertThat(size).containsOnly(n / k);
        assertThat(IntentTrainer.cvFolds(n, k, 42)).isEqualTo(fold);
        assertThat(IntentTrainer.cvFolds(n, k, 43)).isNotEqualTo(fold);

        FineTuneOptions o = O;
        BackboneFiles bb = BackboneFiles.builtin(TorchBertParityTest.CACHE);
        Path cv = dir.resolve("cv");
        List<FineTuneCv.FoldResult> results = new ArrayList<>();
        for (int f = 1; f <= k; f++) {
            FineTuneCv.FoldResult r = FineTuneCv.runFold(bb, "builtin", files, k, f, 42, o, null, (s, d, t) -> { });
            assertThat(r.heldRows()).isEqualTo(size[f - 1]);
            assertThat(r.fitRows() + r.heldRows()).isEqualTo(n);
            assertThat(r.heldAccuracy()).hasSize(2).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
            assertThat(r.heldAccuracyByLexicalScale()).isEmpty();
            FineTuneCv.write(r, FineTuneCv.file(cv, k, f));
            results.add(r);
        }
        // the held-out rows of a fold are scored only there: accuracies are multiples of 1/6 (6 held rows)
        for (FineTuneCv.FoldResult r : results)
            for (double v : r.heldAccuracy()) assertThat(Math.abs(v * 6 - Math.rint(v * 6))).isLessThan(1e-9);

        Path again = dir.resolve("again.json");
        FineTuneCv.write(FineTuneCv.runFold(bb, "builtin", files, k, 2, 42, o, null, (s, d, t) -> { }), again);
        assertThat(Files.readString(again)).isEqualTo(Files.readString(FineTuneCv.file(cv, k, 2)));

        JsonNode setup = results.get(0).setup();
        FineTuneCv.Summary s = FineTuneCv.summarize(cv, k, setup);
        for (int e = 0; e < 2; e++) {
            double m = 0, v = 0;
            for (FineTuneCv.FoldResult r : results) m += r.heldAccuracy().get(e) / k;
            for (FineTuneCv.FoldResult r : results) v += Math.pow(r.heldAccuracy().get(e) - m, 2) / k;
            assertThat(s.mean()[e]).isCloseTo(m, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(s.std()[e]).isCloseTo(Math.sqrt(v), org.assertj.core.data.Offset.offset(1e-12));
        }
        assertThat(s.toJson().get("heldAccuracyPerFold")).hasSize(k);
        assertThat(s.toJson().get("rows").asInt()).isEqualTo(n);

        JsonNode other = FineTuneCv.setup("builtin", files, List.of(a.size(), b.size()), k, 42, o.withEpochs(3), null);
        assertThatThrownBy(() -> FineTuneCv.summarize(cv, k, other)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("another setup");
        Files.delete(FineTuneCv.file(cv, k, 3));
        assertThatThrownBy(() -> FineTuneCv.summarize(cv, k, setup)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("--fold 3");
        assertThatThrownBy(() -> FineTuneCv.runFold(bb, "builtin", files, k, 4, 42, o, null, (x, y, z) -> { }))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--fold must be in 1..3");
    }

    @Test
    void aLexicalLayerIsScoredPerScaleAndItsHeldOutLogitsAreWritten(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("train.jsonl"), valid = dir.resolve("valid.jsonl");
        writeData(train, valid);
        List<Path> files = List.of(train, valid);
        int k = 3;
        BackboneFiles bb = BackboneFiles.builtin(TorchBertParityTest.CACHE);
        Path cv = dir.resolve("cv");
        List<LabeledText> pooled = FineTuneCv.pool(files, new ArrayList<>());
        List<FineTuneCv.FoldResult> results = new ArrayList<>();
        for (int f = 1; f <= k; f++) {
            FineTuneCv.FoldResult r = FineTuneCv.runFold(bb, "builtin", files, k, f, 42, O, 0, (s, d, t) -> { });
            // scale 0 is the fine-tuned model alone: its final held-out accuracy
            assertThat(r.heldAccuracyByLexicalScale()).hasSize(FineTuneCv.LEXICAL_SCALES.size());
            assertThat(r.heldAccuracyByLexicalScale().get(0)).isEqualTo(r.heldAccuracy().get(1));
            assertThat(r.setup().get("lexicalFeatures").asInt()).isZero();
            FineTuneCv.write(r, FineTuneCv.file(cv, k, f));
            results.add(r);

            JsonNode logits = new ObjectMapper().readTree(FineTuneCv.logitsFile(cv, k, f).toFile());
            int held = r.heldRows(), labels = logits.get("labels").size();
            assertThat(logits.get("rows")).hasSize(held);
            assertThat(labels).isEqualTo(3);
            for (String m : List.of("fineTuned", "lexical")) {
                ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(logits.get(m).asText())).order(ByteOrder.LITTLE_ENDIAN);
                assertThat(bytes.remaining()).isEqualTo(held * labels * 4);
            }
            // the accuracy at scale 0 is the argmax of the written fine-tuned logits
            FloatBuffer z = ByteBuffer.wrap(Base64.getDecoder().decode(logits.get("fineTuned").asText())).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            List<String> names = new ArrayList<>();
            logits.get("labels").forEach(l -> names.add(l.asText()));
            int right = 0;
            for (int i = 0; i < held; i++) {
                int best = 0;
                for (int j = 1; j < labels; j++) if (z.get(i * labels + j) > z.get(i * labels + best)) best = j;
                String truth = pooled.get(logits.get("rows").get(i).asInt()).label();
                if (names.get(best).equals(truth)) right++;
            }
            assertThat((double) right / held).isEqualTo(r.heldAccuracy().get(1));
        }
        assertThat(FineTuneCv.read(FineTuneCv.file(cv, k, 1)).heldAccuracyByLexicalScale()).isEqualTo(results.get(0).heldAccuracyByLexicalScale());
        FineTuneCv.Summary s = FineTuneCv.summarize(cv, k, results.get(0).setup());
        for (int i = 0; i < FineTuneCv.LEXICAL_SCALES.size(); i++) {
            int scale = i;
            assertThat(s.lexicalMean()[i]).isCloseTo(results.stream().mapToDouble(r -> r.heldAccuracyByLexicalScale().get(scale)).average()
                    .orElseThrow(), org.assertj.core.data.Offset.offset(1e-12));
        }
        int best = 0;
        for (int i = 1; i < s.lexicalMean().length; i++) if (s.lexicalMean()[i] > s.lexicalMean()[best]) best = i;
        assertThat(s.lexicalScale()).isEqualTo(FineTuneCv.LEXICAL_SCALES.get(best));
        assertThat(s.toJson().get("lexical").get("selectedScale").asDouble()).isEqualTo(s.lexicalScale());
        // fold files of a run without the lexical layer are another setup
        JsonNode plain = FineTuneCv.setup("builtin", files, List.of(12, 6), k, 42, O, null);
        assertThatThrownBy(() -> FineTuneCv.summarize(cv, k, plain)).isInstanceOf(BadInputException.class).hasMessageContaining("another setup");
    }
}
