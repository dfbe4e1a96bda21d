package ai.infer4j.finetune;

import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.tokenize.Tokens;
import ai.onnxruntime.OrtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A few steps of fine-tuning on a tiny intent set (the real MiniLM backbone, top layer): the loss goes down, the exported
 * directory loads in ONNX Runtime, gives the hidden states the PyTorch forward gives on its weights, changed only the
 * trained layer, answers its own training texts through the head, and a second run writes the same bytes.
 */
class FineTuneJobTest {
    static final String[][] DATA = {
            {"card_arrival", "my card has not arrived yet", "when will my new card come", "still waiting for the card in the post",
                    "how long does card delivery take", "the card I ordered is not here", "is my card on its way"},
            {"exchange_rate", "what is the exchange rate", "how much is a dollar in euros today", "which rate do you use to convert money",
                    "is the euro rate good now", "tell me the currency conversion rate", "what rate will I get for pounds"},
            {"change_pin", "how do I change my pin", "I want a new pin number", "can I reset the pin of my card",
                    "set a different pin please", "where can I update my pin", "I forgot my pin and need another"}};

    @Test
    void lossFallsExportServesInOrtAndRepeatsByteForByte(@TempDir Path dir) throws IOException, OrtException {
        Path train = dir.resolve("train.jsonl");
        List<String> lines = new ArrayList<>();
        for (String[] row : DATA)
            for (int i = 1; i < row.length; i++) lines.add("{\"text\": \"" + row[i] + "\", \"label\": \"" + row[0] + "\"}");
        Files.write(train, lines);
        FineTuneOptions o = new FineTuneOptions(1, 6, 6, 1e-4, 1e-2, 0.01, 0.1, 0.1f, 0.1, 20f, 7, 32, 2);
        Path cache = TorchBertParityTest.CACHE;
        FineTuneJob.Summary a = new FineTuneJob("builtin", train, train, o, dir.resolve("a"), dir.resolve("a.json"), "intent", cache)
                .run((s, d, t) -> { });
        assertThat(a.trainLoss().get(a.trainLoss().size() - 1)).as("loss by epoch %s", a.trainLoss()).isLessThan(a.trainLoss().get(0));

        BackboneFiles base = BackboneFiles.builtin(cache);
        BackboneFiles tuned = BackboneFiles.ofDirectory(dir.resolve("a"));
        assertThat(tuned.pooling()).isEqualTo(PoolingMode.MEAN);
        BertWeights before = BertWeights.read(base.model()), after = BertWeights.read(tuned.model());
        assertThat(after.values("encoder.layer.4.output.dense.weight")).isEqualTo(before.values("encoder.layer.4.output.dense.weight"));
        assertThat(after.values("encoder.layer.5.output.dense.weight")).isNotEqualTo(before.values("encoder.layer.5.output.dense.weight"));
        TorchBertParityTest.assertSameHiddenStates(tuned, after);

        SoftmaxHead head = HeadFiles.read(dir.resolve("a.json"));
        assertThat(head.training().path("backbone").asText()).isEqualTo("finetuned:a");
        try (Backbone bb = Backbone.open(tuned, EngineOptions.defaults().withIntraOpThreads(2).withCacheDir(cache))) {
            List<Tokens> tokens = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (String[] row : DATA)
                for (int i = 1; i < row.length; i++) {
                    tokens.add(bb.tokenizer().encode(TextInput.of(row[i])));
                    want.add(row[0]);
                }
            float[][] x = bb.forwardAll(tokens, 8, n -> { });
            int right = 0;
            for (int i = 0; i < x.length; i++) if (head.apply(x[i]).label().equals(want.get(i))) right++;
            assertThat(right).isGreaterThanOrEqualTo(x.length - 1);

            // with a lexical layer: the same backbone, the head adds the n-gram logits at the given scale
            new FineTuneJob("builtin", List.of(train), train, o, dir.resolve("c"), dir.resolve("c.json"), "intent", cache, null,
                    new FineTuneJob.Lexical(0, 0.5)).run((s, d, t) -> { });
            assertThat(Files.readAllBytes(dir.resolve("c").resolve("model.onnx"))).isEqualTo(Files.readAllBytes(dir.resolve("a").resolve("model.onnx")));
            SoftmaxHead lex = HeadFiles.read(dir.resolve("c.json"));
            assertThat(lex.lexical()).isNotNull();
            assertThat(lex.lexical().scale()).isEqualTo(0.5);
            assertThat(lex.training().path("lexical").path("scale").asDouble()).isEqualTo(0.5);
            assertThat(lex.weights()).isEqualTo(head.weights());
            int rightLex = 0, i = 0;
            for (String[] row : DATA)
                for (int j = 1; j < row.length; j++, i++) if (lex.apply(x[i], row[j]).label().equals(row[0])) rightLex++;
            assertThat(rightLex).isGreaterThanOrEqualTo(x.length - 1);
        }

        new FineTuneJob("builtin", train, train, o, dir.resolve("b"), dir.resolve("b.json"), "intent", cache).run((s, d, t) -> { });
        assertThat(Files.readAllBytes(dir.resolve("b").resolve("model.onnx"))).isEqualTo(Files.readAllBytes(dir.resolve("a").resolve("model.onnx")));
        assertThat(Files.readString(dir.resolve("b.json")).replace("finetuned:b", "finetuned:a")).isEqualTo(Files.readString(dir.resolve("a.json")));
        assertThat(Arrays.equals(Files.readAllBytes(dir.resolve("b").resolve("tokenizer.json")), Files.readAllBytes(base.tokenizer()))).isTrue();
    }
}
