package ai.infer4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train --fine-tune-layers} and {@code finetune --cv} on a tiny set (MiniLM's top layer, 1 epoch): one fold per
 * command, then the command without {@code --fold} combines the fold files (and runs none again) and fits on all rows;
 * the fold files of {@code finetune} and {@code train} are the same; wrong option combinations exit 2 with a message.
 */
class FineTuneCommandTest {
    private static final String[][] DATA = {
            {"card_arrival", "my card has not arrived yet", "when will my new card come", "still waiting for the card in the post",
                    "how long does card delivery take", "the card I ordered is not here", "is my card on its way"},
            {"exchange_rate", "what is the exchange rate", "how much is a dollar in euros today", "which rate do you use to convert money",
                    "is the euro rate good now", "tell me the currency conversion rate", "what rate will I get for pounds"},
            {"change_pin", "how do I change my pin", "I want a new pin number", "can I reset the pin of my card",
                    "set a different pin please", "where can I update my pin", "I forgot my pin and need another"}};

    private static String cache() {
        return Path.of("target", "test-cache").toAbsolutePath().toString();
    }

    @Test
    void foldsPerCommandThenCombineAndFitThroughTrain(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("train.jsonl"), valid = dir.resolve("valid.jsonl");
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (String[] row : DATA)
            for (int i = 1; i < row.length; i++) (i <= 4 ? a : b).add("{\"text\": \"" + row[i] + "\", \"label\": \"" + row[0] + "\"}");
        Files.write(train, a);
        Files.write(valid, b);
        String cv = dir.resolve("cv").toString();

        CliTest.Run f1 = CliTest.run("finetune", "--cache-dir", cache(), "--backbone", "builtin", "--train", train.toString(), "--valid",
                valid.toString(), "--layers", "1", "--epochs", "1", "--cv", "2", "--fold", "1", "--cv-dir", cv);
        assertThat(f1.code()).as(f1.err()).isZero();
        assertThat(f1.out()).contains("fold 1/2: trained on 9 rows, held out 9").contains("epoch 1: train loss");
        assertThat(dir.resolve("cv").resolve("fold-1-of-2.json")).exists();
        assertThat(dir.resolve("cv").resolve("fold-2-of-2.json")).doesNotExist();

        CliTest.Run t2 = CliTest.run("train", "--task", "intent", "--cache-dir", cache(), "--train", train.toString(), "--valid",
                valid.toString(), "--fine-tune-layers", "1", "--epochs", "1", "--cv", "2", "--cv-dir", cv,
                "--fine-tune-out", dir.resolve("bb").toString(), "--out", dir.resolve("head.json").toString());
        assertThat(t2.code()).as(t2.err()).isZero();
        assertThat(t2.out()).doesNotContain("fold 1/2:").contains("fold 2/2: trained on 9 rows")
                .contains("2-fold cross-validation on 18 rows").contains("epoch 1: ").contains("wrote " + dir.resolve("bb"));
        JsonNode head = new ObjectMapper().readTree(dir.resolve("head.json").toFile());
        assertThat(head.at("/training/cv/folds").asInt()).isEqualTo(2);
        assertThat(head.at("/training/cv/heldAccuracyPerFold")).hasSize(2);
        assertThat(head.at("/training/data/train")).hasSize(2);
        assertThat(head.at("/training/validAccuracyByEpoch")).isEmpty();
        assertThat(dir.resolve("bb").resolve("model.onnx")).exists();
    }

    @Test
    void wrongCombinationsExitWith2AndSayWhatToFix(@TempDir Path dir) throws IOException {
        Path t = dir.resolve("t.jsonl");
        Files.write(t, List.of("{\"text\": \"a\", \"label\": \"x\"}", "{\"text\": \"b\", \"label\": \"y\"}"));
        CliTest.Run noDir = CliTest.run("finetune", "--train", t.toString(), "--valid", t.toString(), "--cv", "5");
        assertThat(noDir.code()).isEqualTo(2);
        assertThat(noDir.err()).contains("--cv-dir").doesNotContain("Exception");
        CliTest.Run noOut = CliTest.run("finetune", "--train", t.toString());
        assertThat(noOut.code()).isEqualTo(2);
        assertThat(noOut.err()).contains("missing the output");
        CliTest.Run foldOnly = CliTest.run("train", "--task", "intent", "--train", t.toString(), "--valid", t.toString(),
                "--out", dir.resolve("h.json").toString(), "--fold", "1");
        assertThat(foldOnly.code()).isEqualTo(2);
        assertThat(foldOnly.err()).contains("need --fine-tune-layers");
        CliTest.Run cvDirNoCv = CliTest.run("train", "--task", "intent", "--train", t.toString(), "--valid", t.toString(),
                "--out", dir.resolve("h.json").toString(), "--cv-dir", dir.resolve("cv").toString());
        assertThat(cvDirNoCv.code()).isEqualTo(2);
        assertThat(cvDirNoCv.err()).contains("--cv-dir").contains("needs --cv K").doesNotContain("Exception");
        CliTest.Run mlp = CliTest.run("train", "--task", "intent", "--train", t.toString(), "--valid", t.toString(),
                "--out", dir.resolve("h.json").toString(), "--fine-tune-layers", "2", "--head", "mlp", "--fine-tune-out", dir.toString());
        assertThat(mlp.code()).isEqualTo(2);
        assertThat(mlp.err()).contains("drop --head");
        CliTest.Run lexNoCv = CliTest.run("finetune", "--train", t.toString(), "--out", dir.toString(), "--head",
                dir.resolve("h.json").toString(), "--lexical");
        assertThat(lexNoCv.code()).isEqualTo(2);
        assertThat(lexNoCv.err()).contains("selected by cross-validation").doesNotContain("Exception");
        CliTest.Run featuresAlone = CliTest.run("finetune", "--train", t.toString(), "--valid", t.toString(), "--cv", "2",
                "--cv-dir", dir.toString(), "--lexical-features", "100");
        assertThat(featuresAlone.code()).isEqualTo(2);
        assertThat(featuresAlone.err()).contains("--lexical-features needs --lexical");
        CliTest.Run trainFeaturesAlone = CliTest.run("train", "--task", "intent", "--train", t.toString(), "--valid", t.toString(),
                "--out", dir.resolve("h.json").toString(), "--cv", "2", "--lexical-features", "100");
        assertThat(trainFeaturesAlone.code()).isEqualTo(2);
        assertThat(trainFeaturesAlone.err()).contains("--lexical-features needs --lexical");
    }

    @Test
    void aLexicalLayerIsChosenByTheFoldsAndKeptInTheHead(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("train.jsonl");
        List<String> rows = new ArrayList<>();
        for (String[] row : DATA)
            for (int i = 1; i < row.length; i++) rows.add("{\"text\": \"" + row[i] + "\", \"label\": \"" + row[0] + "\"}");
        Files.write(train, rows);
        CliTest.Run r = CliTest.run("train", "--task", "intent", "--cache-dir", cache(), "--train", train.toString(), "--valid",
                train.toString(), "--fine-tune-layers", "1", "--epochs", "1", "--cv", "2", "--cv-dir", dir.resolve("cv").toString(),
                "--lexical", "--fine-tune-out", dir.resolve("bb").toString(), "--out", dir.resolve("head.json").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("+ lexical layer x 0.25: held-out accuracy").contains("+ lexical layer x 1.0: ")
                .contains("lexical scale selected: ");
        assertThat(dir.resolve("cv").resolve("fold-1-of-2-logits.json")).exists();
        JsonNode head = new ObjectMapper().readTree(dir.resolve("head.json").toFile());
        double scale = head.at("/training/cv/lexical/selectedScale").asDouble();
        assertThat(head.at("/training/cv/lexical/heldAccuracyMeanByScale")).hasSize(4);
        // a scale of 0 leaves the layer out; any other is kept with the head
        assertThat(head.at("/lexical").isMissingNode()).isEqualTo(scale == 0);
    }
}
