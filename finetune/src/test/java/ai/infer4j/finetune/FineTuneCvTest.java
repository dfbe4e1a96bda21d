package ai.infer4j.finetune;

import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.train.IntentTrainer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cross-validation of a fine-tuning recipe on a tiny set (MiniLM's top layer, 18 texts in two files, 3 folds): the
 * folds are those of {@code train --cv} and partition the pooled rows, a fold repeats to the byte, the summary is the mean
 * and standard deviation of the fold files, and a missing or foreign fold file is refused with a message.
 */
class FineTuneCvTest {
    @Test
    void foldsPartitionThePooledRowsRepeatAndCombine(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("train.jsonl"), valid = dir.resolve("valid.jsonl");
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (String[] row : FineTuneJobTest.DATA)
            for (int i = 1; i < row.length; i++)
                (i <= 4 ? a : b).add("{\"text\": \"" + row[i] + "\", \"label\": \"" + row[0] + "\"}");
        Files.write(train, a);
        Files.write(valid, b);
        List<Path> files = List.of(train, valid);
        int n = a.size() + b.size(), k = 3;

        int[] fold = IntentTrainer.cvFolds(n, k, 42);
        int[] size = new int[k];
        for (int f : fold) size[f]++;
        assertThat(size).containsOnly(n / k);
        assertThat(IntentTrainer.cvFolds(n, k, 42)).isEqualTo(fold);
        assertThat(IntentTrainer.cvFolds(n, k, 43)).isNotEqualTo(fold);

        FineTuneOptions o = new FineTuneOptions(1, 2, 4, 1e-4, 1e-2, 0.01, 0.1, 0.1f, 0.1, 20f, 7, 32, 2);
        BackboneFiles bb = BackboneFiles.builtin(TorchBertParityTest.CACHE);
        Path cv = dir.resolve("cv");
        List<FineTuneCv.FoldResult> results = new ArrayList<>();
        for (int f = 1; f <= k; f++) {
            FineTuneCv.FoldResult r = FineTuneCv.runFold(bb, "builtin", files, k, f, 42, o, (s, d, t) -> { });
            assertThat(r.heldRows()).isEqualTo(size[f - 1]);
            assertThat(r.fitRows() + r.heldRows()).isEqualTo(n);
            assertThat(r.heldAccuracy()).hasSize(2).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
            FineTuneCv.write(r, FineTuneCv.file(cv, k, f));
            results.add(r);
        }
        // the held-out rows of a fold are scored only there: accuracies are multiples of 1/6 (6 held rows)
        for (FineTuneCv.FoldResult r : results)
            for (double v : r.heldAccuracy()) assertThat(Math.abs(v * 6 - Math.rint(v * 6))).isLessThan(1e-9);

        Path again = dir.resolve("again.json");
        FineTuneCv.write(FineTuneCv.runFold(bb, "builtin", files, k, 2, 42, o, (s, d, t) -> { }), again);
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

        JsonNode other = FineTuneCv.setup("builtin", files, List.of(a.size(), b.size()), k, 42, o.withEpochs(3));
        assertThatThrownBy(() -> FineTuneCv.summarize(cv, k, other)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("another setup");
        Files.delete(FineTuneCv.file(cv, k, 3));
        assertThatThrownBy(() -> FineTuneCv.summarize(cv, k, setup)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("--fold 3");
        assertThatThrownBy(() -> FineTuneCv.runFold(bb, "builtin", files, k, 4, 42, o, (x, y, z) -> { }))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--fold must be in 1..3");
    }
}
