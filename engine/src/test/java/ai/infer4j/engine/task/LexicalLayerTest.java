package ai.infer4j.engine.task;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.train.LexicalTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LexicalLayerTest {
    @Test
    void featuresAreWordsBigramsAndCharacterGramsOfTheLowerCasedWords() {
        assertThat(LexicalLayer.features("Hi, YOU!")).containsExactly(
                "w:hi", "w:you", "b:hi_you",
                "c: hi", "c:hi ", "c:i y", "c: yo", "c:you", "c:ou ",
                "c: hi ", "c:hi y", "c:i yo", "c: you", "c:you ",
                "c: hi y", "c:hi yo", "c:i you", "c: you ");
        assertThat(LexicalLayer.features("?!")).isEmpty();
    }

    @Test
    void vectorIsTheL2NormalisedLogTfTimesIdfOfKnownFeatures() {
        // "a a b": w:a twice, w:b once; everything else is not in the vocabulary
        List<String> vocab = List.of("w:a", "w:b", "w:zzz");
        float[] idf = {1, 2, 5};
        LexicalLayer.Sparse v = LexicalLayer.vector("a a b", LexicalLayer.index(vocab), idf);
        double a = 1 + Math.log(2), b = 2;
        double norm = Math.sqrt(a * a + b * b);
        assertThat(v.index()).containsExactly(0, 1);
        assertThat(v.value()[0]).isCloseTo((float) (a / norm), within(1e-6f));
        assertThat(v.value()[1]).isCloseTo((float) (b / norm), within(1e-6f));
        assertThat(LexicalLayer.vector("nothing known", LexicalLayer.index(vocab), idf).index()).isEmpty();
    }

    private static SoftmaxHead head() {
        // the embedding part cannot tell the classes apart (zero weights); the words can
        LexicalLayer lex = new LexicalLayer(List.of("w:left", "w:right"), new float[] {1, 1},
                new float[][] {{2, -2}, {-2, 2}}, new float[] {0.5f, 0}, 0.5);
        return new SoftmaxHead("h", List.of("L", "R"), new float[][] {{0, 0}, {0, 0}}, new float[] {0, 0.1f}, null, 0, null, null,
                null, lex);
    }

    @Test
    void headAddsTheScaledLexicalLogitsAndNeedsTheText() {
        SoftmaxHead h = head();
        float[] x = {0.3f, 0.4f};
        // "go left": vector (1, 0); lexical logits 0.5 * (2 + 0.5, -2 + 0) = (1.25, -1); plus bias (0, 0.1)
        double[] z = h.logits(x, "go left");
        assertThat(z[0]).isCloseTo(1.25, within(1e-6));
        assertThat(z[1]).isCloseTo(-0.9, within(1e-6));
        assertThat(h.apply(x, "go left").label()).isEqualTo("L");
        assertThat(h.apply(x, "right now").label()).isEqualTo("R");
        assertThatThrownBy(() -> h.apply(x)).isInstanceOf(BadInputException.class).hasMessageContaining("lexical layer");
    }

    @Test
    void headWithALexicalLayerRoundTripsByteForByte(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        HeadFiles.write(head(), a);
        assertThat(Files.readString(a)).contains("\"type\" : \"softmax+lexical\"");
        SoftmaxHead back = HeadFiles.read(a);
        assertThat(back.lexical().vocab()).containsExactly("w:left", "w:right");
        assertThat(back.lexical().scale()).isEqualTo(0.5);
        HeadFiles.write(back, b);
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
        assertThat(back.apply(new float[] {0, 0}, "right").label()).isEqualTo("R");
    }

    @Test
    void badLayersAreRefused() {
        assertThatThrownBy(() -> new LexicalLayer(List.of("w:b", "w:a"), new float[2], new float[][] {{0, 0}}, new float[1], 1))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("sorted");
        assertThatThrownBy(() -> new LexicalLayer(List.of("w:a"), new float[1], new float[][] {{0, 0}}, new float[1], 1))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("1 values");
        assertThatThrownBy(() -> new LexicalLayer(List.of("w:a"), new float[1], new float[][] {{0}}, new float[1], 0))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("scale");
        LexicalLayer three = new LexicalLayer(List.of("w:a"), new float[1], new float[][] {{0}, {0}, {0}}, new float[3], 1);
        assertThatThrownBy(() -> new SoftmaxHead("h", List.of("L", "R"), new float[2][2], new float[2], null, 0, null, null, null, three))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("lexical layer of 3");
    }

    /** Texts whose class is named by one word among random filler words (the same fillers in both classes). */
    private static List<String> texts(int n, int[] y, long seed) {
        String[] filler = {"please", "my", "card", "the", "account", "money", "when", "can", "i", "what", "is", "top", "up"};
        String[] key = {"refund", "pin", "transfer"};
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            StringBuilder s = new StringBuilder();
            int at = r.nextInt(5);
            for (int j = 0; j < 5; j++) s.append(j == at ? key[y[i]] : filler[r.nextInt(filler.length)]).append(' ');
            out.add(s.toString().trim());
        }
        return out;
    }

    @Test
    void trainerLearnsTheWordThatNamesTheClassAndIsDeterministic() {
        int[] y = new int[300], yTest = new int[90];
        List<String> train = texts(300, y, 1), test = texts(90, yTest, 2);
        LexicalTrainer.Fitted f = LexicalTrainer.train(train, y, 3, 42, () -> { });
        assertThat(correct(LexicalTrainer.logits(f, test), yTest)).isEqualTo(90);
        LexicalTrainer.Fitted again = LexicalTrainer.train(train, y, 3, 42, () -> { });
        assertThat(again.vocab()).isEqualTo(f.vocab());
        for (int c = 0; c < 3; c++) assertThat(again.weights()[c]).isEqualTo(f.weights()[c]);
        assertThat(again.bias()).isEqualTo(f.bias());
        LexicalTrainer.Fitted other = LexicalTrainer.train(train, y, 3, 7, () -> { });
        assertThat(other.weights()[0]).isNotEqualTo(f.weights()[0]);
    }

    @Test
    void quantizedLayerKeepsEachWeightWithinHalfAStepAndRoundTripsByteForByte(@TempDir Path dir) throws Exception {
        float[][] w = {{2, -0.5f, 0.3f, 0}, {0, 0, 0, 0}};
        LexicalLayer q = LexicalLayer.quantize(List.of("w:a", "w:b", "w:c", "w:d"), new float[] {1, 1, 1, 1}, w, new float[] {0.1f, 0}, 0.5);
        // step of row 0: 2 / 127; 2 stays 2 (127 steps), -0.5 is -31.75 steps (-32), 0.3 is 19.05 steps (19)
        assertThat(q.quantizedWeights()[0]).containsExactly(127, -32, 19, 0);
        assertThat(q.rowScale()[0]).isEqualTo(2f / 127f);
        assertThat(q.weights()[0][0]).isCloseTo(2f, within(1e-6f));
        for (int j = 0; j < 4; j++) assertThat(q.weights()[0][j]).isCloseTo(w[0][j], within(1f / 127f));
        assertThat(q.weights()[1]).containsOnly(0f); // an all-zero row has step 0
        SoftmaxHead h = new SoftmaxHead("h", List.of("L", "R"), new float[2][2], new float[2], null, 0, null, null, null, q);
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        HeadFiles.write(h, a);
        String json = Files.readString(a);
        assertThat(json).contains("\"weightsInt8\"").doesNotContain("\"weights\" : [ [ 2");
        SoftmaxHead back = HeadFiles.read(a);
        for (int k = 0; k < 2; k++) assertThat(back.lexical().weights()[k]).isEqualTo(q.weights()[k]);
        assertThat(back.lexical().logits("a c")).isEqualTo(q.logits("a c"));
        HeadFiles.write(back, b);
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
        Files.writeString(b, json.replace("\"rowScale\"", "\"steps\""));
        assertThatThrownBy(() -> HeadFiles.read(b)).isInstanceOf(ModelLoadException.class).hasMessageContaining("rowScale");
    }

    @Test
    void prunedTrainerKeepsTheRequestedNumberOfFeaturesAndStillLearnsTheClassWords() {
        int[] y = new int[300], yTest = new int[90];
        List<String> train = texts(300, y, 1), test = texts(90, yTest, 2);
        LexicalTrainer.Fitted all = LexicalTrainer.train(train, y, 3, 42, () -> { });
        LexicalTrainer.Fitted f = LexicalTrainer.train(train, y, 3, 42, 12, () -> { });
        assertThat(all.vocab().size()).isGreaterThan(100);
        // only n-grams of the class words are kept (every filler word is in every class)
        List<String> classWords = new ArrayList<>();
        for (String word : List.of("refund", "pin", "transfer")) classWords.addAll(LexicalLayer.features(word));
        assertThat(f.vocab()).hasSize(12).isSorted().allMatch(classWords::contains);
        assertThat(correct(LexicalTrainer.logits(f, test), yTest)).isEqualTo(90);
        LexicalTrainer.Fitted again = LexicalTrainer.train(train, y, 3, 42, 12, () -> { });
        assertThat(again.vocab()).isEqualTo(f.vocab());
        for (int c = 0; c < 3; c++) assertThat(again.weights()[c]).isEqualTo(f.weights()[c]);
        assertThatThrownBy(() -> LexicalTrainer.train(train, y, 3, 42, -1, () -> { })).isInstanceOf(BadInputException.class);
    }

    /** How many rows' arg-max logit is the label. */
    private static int correct(double[][] z, int[] labels) {
        int correct = 0;
        for (int i = 0; i < z.length; i++) {
            int best = 0;
            for (int c = 1; c < z[i].length; c++) if (z[i][c] > z[i][best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct;
    }
}
