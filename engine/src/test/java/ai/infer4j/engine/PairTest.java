package ai.infer4j.engine;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.eval.Evaluation;
import ai.infer4j.engine.eval.PairReport;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.BiEncoderPair;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairFeatures;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.PairScore;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.task.TokenIdf;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.PairTrainer;
import ai.infer4j.engine.train.TreeBooster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PairTest {
    private static final String[] BRANDS = {"sony", "canon", "logitech", "samsung", "netgear", "adobe", "belkin", "epson"};
    private static final String[] THINGS = {"wireless mouse", "laser printer", "usb hub", "photo editor", "router",
            "digital camera", "keyboard", "monitor stand", "headphones", "webcam"};
    private static final PairTrainer.Grid SMALL_GRID = new PairTrainer.Grid(new double[] {3e-3}, new double[] {1e-3}, new int[] {10, 20});

    @TempDir
    static Path dir;
    private static PairHead head;

    /**
     * A generated product-pair set: each product has a model number and a price; a duplicate is the same
     * product written differently (reordered title, brand dropped, price close); a non-duplicate is a
     * different product of the same brand or kind. About a third of the pairs are duplicates.
     */
    static void writePairs(Path file, long seed, int n) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String brand = BRANDS[r.nextInt(BRANDS.length)], thing = THINGS[r.nextInt(THINGS.length)];
            String model = brand.substring(0, 2) + (100 + r.nextInt(900)) + (char) ('a' + r.nextInt(26));
            double price = 10 + r.nextInt(500);
            String left = record(brand + " " + thing + " " + model, brand, price);
            boolean dup = r.nextInt(3) == 0;
            String right;
            if (dup) right = record(thing + " " + model + " by " + brand, "", price * (0.95 + r.nextDouble() * 0.1));
            else if (r.nextBoolean()) right = record(brand + " " + THINGS[(indexOf(thing) + 1 + r.nextInt(THINGS.length - 1)) % THINGS.length]
                    + " " + brand.substring(0, 2) + (100 + r.nextInt(900)) + "x", brand, 10 + r.nextInt(500));
            else right = record(BRANDS[(indexOf(brand) + 1) % BRANDS.length] + " " + thing + " " + "zz" + (100 + r.nextInt(900)),
                    "", 10 + r.nextInt(500));
            lines.add("{\"left\": " + left + ", \"right\": " + right + ", \"label\": " + (dup ? 1 : 0) + "}");
        }
        Files.write(file, lines);
    }

    private static int indexOf(String s) {
        for (String[] a : new String[][] {BRANDS, THINGS}) for (int i = 0; i < a.length; i++) if (a[i].equals(s)) return i;
        return 0;
    }

    private static String record(String title, String brand, double price) {
        return String.format(Locale.ROOT, "{\"title\": \"%s\", \"brand\": \"%s\", \"price\": \"%.2f\"}", title, brand, price);
    }

    private static Backbone backbone() {
        return TestEngine.get().backbone(BackboneFiles.builtin(TestEngine.options().cacheDir()));
    }

    private static PairHead train(Path cache) {
        var job = new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title", "brand", "price"), 32), 7, SMALL_GRID, 2);
        return PairTrainer.train(job, backbone(), new EmbeddingCache(cache), Progress.NONE);
    }

    @BeforeAll
    static void trainHead() throws IOException {
        writePairs(dir.resolve("train.jsonl"), 1, 240);
        writePairs(dir.resolve("valid.jsonl"), 2, 90);
        head = train(dir.resolve("cache"));
        HeadFiles.write(head, dir.resolve("dup.json"));
    }

    @Test
    void headTrainedOnGeneratedPairsSeparatesDuplicatesOnValid() {
        assertThat(head.training().at("/valid/f1").asDouble()).isGreaterThanOrEqualTo(0.9);
        assertThat(head.threshold()).isBetween(0.01, 0.99);
        assertThat(head.format().fields()).containsExactly("title", "brand", "price");
    }

    @Test
    void sameDataAndSeedGiveTheSameHeadBytes(@TempDir Path other) throws IOException {
        PairHead again = train(other.resolve("cache"));
        HeadFiles.write(again, other.resolve("dup.json"));
        assertThat(Files.readAllBytes(other.resolve("dup.json"))).isEqualTo(Files.readAllBytes(dir.resolve("dup.json")));
    }

    @Test
    void treeHeadReadsTheIdfOfItsTrainingRecordsAndIsReproducible() {
        var job = new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title", "brand", "price"), 32), 7, SMALL_GRID, 2,
                new TreeBooster.Params(20, 2, 0.3, 1, 1, 16, 0.8));
        PairHead a = trainTwiceToTheSameBytes(job, "trees");
        assertThat(a.trees().features()).isEqualTo(PairHead.IDF_TREE_FEATURES);
        assertThat(a.idf().counts()).containsKey("by"); // every generated duplicate's right side says "by <brand>"
        assertThat(a.training().at("/valid/f1").asDouble()).isGreaterThanOrEqualTo(0.9);
        evalOfValidMatchesTraining(a, "trees");
    }

    @Test
    void candidateHeadScoresAFileAsOneCandidateSetAsInTrainingAndIsReproducible() {
        var job = new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title", "brand", "price"), 32), 7, SMALL_GRID, 2,
                new TreeBooster.Params(20, 2, 0.3, 1, 1, 16, 0.8), false, true);
        PairHead a = trainTwiceToTheSameBytes(job, "cand");
        assertThat(a.trees().features()).isEqualTo(PairHead.CANDIDATE_TREE_FEATURES);
        assertThat(a.readsCandidates()).isTrue();
        assertThat(a.training().at("/valid/f1").asDouble()).isGreaterThanOrEqualTo(0.8);
        // eval scores the file as one candidate set, as the trainer scored valid when it chose the threshold
        Model m = evalOfValidMatchesTraining(a, "cand");
        // a served request is one candidate set too: same scores as bulk scoring of the same pairs
        List<PairInput> pairs = DataFiles.readPairs(dir.resolve("valid.jsonl")).subList(0, 12).stream().map(p -> p.pair()).toList();
        List<PairScore> bulk = m.scorePairs(pairs);
        List<Answer> served = m.run(new Request.Pairs(pairs));
        for (int i = 0; i < pairs.size(); i++)
            assertThat(((Answer.Matched) served.get(i)).score().score()).as("pair " + i).isCloseTo(bulk.get(i).score(), within(1e-5));
        assertThatThrownBy(() -> new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title"), 32), 7, SMALL_GRID, 2, TreeBooster.Params.defaults(), true, true))
                .isInstanceOf(BadInputException.class).hasMessageContaining("linear");
    }

    @Test
    void blendedCandidateHeadChoosesItsThresholdOnTheBlendAsEvalScoresIt() {
        var job = new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title", "brand", "price"), 32), 7, SMALL_GRID, 2,
                new TreeBooster.Params(20, 2, 0.3, 1, 1, 16, 0.8), false, true, 0.5);
        PairHead a = trainTwiceToTheSameBytes(job, "blend");
        assertThat(a.blend()).isEqualTo(0.5);
        assertThat(a.training().at("/trees/blend").asText()).contains("record_idf_cosine");
        Model m = evalOfValidMatchesTraining(a, "blend");
        assertThat(Evaluation.pairs(m, DataFiles.readPairs(dir.resolve("valid.jsonl")), Progress.NONE).threshold()).isEqualTo(a.threshold());
    }

    @Test
    void conflictCandidateHeadCountsIdfPerSetAndItsValidF1IsWhatEvalGivesWithTheFilesOwnIdf() {
        var job = new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title", "brand", "price"), 32), 7, SMALL_GRID, 2,
                new TreeBooster.Params(20, 2, 0.3, 1, 1, 16, 0.8), false, true, 0.5, true, true);
        PairHead a = trainTwiceToTheSameBytes(job, "conflicts");
        assertThat(a.trees().features()).isEqualTo(PairHead.CANDIDATE_CONFLICT_TREE_FEATURES)
                .endsWith("code_conflict", "number_conflict");
        assertThat(a.training().at("/trees/candidateSets").asText()).contains("IDF features counted over each set's records");
        // the stored table is still train + valid (what a switching head measures familiarity against)
        List<LabeledPair> valid = DataFiles.readPairs(dir.resolve("valid.jsonl"));
        List<Map<String, String>> records = new ArrayList<>();
        for (LabeledPair p : valid) {
            records.add(p.pair().left());
            records.add(p.pair().right());
        }
        assertThat(a.idf().records()).isGreaterThan(TokenIdf.of(records).records());
        // valid was scored with the IDF of its own records: eval of the head given that table reports the same F1
        HeadFiles.write(a.withIdf(TokenIdf.of(records)), dir.resolve("conflicts-own.json"));
        PairReport r = Evaluation.pairs(TestEngine.get().load(dir.resolve("conflicts-own.json").toString()), valid, Progress.NONE);
        assertThat(r.f1()).isCloseTo(a.training().at("/valid/f1").asDouble(), within(1e-3));
        // a generated non-duplicate of the same brand carries another model code: the trees split on the conflict
        int conflict = a.trees().features().indexOf("code_conflict");
        assertThat(a.trees().trees().stream().flatMapToInt(t -> java.util.Arrays.stream(t.feature()))).contains(conflict);
        assertThatThrownBy(() -> new PairTrainer.Job("dup", List.of(dir.resolve("train.jsonl")), List.of(dir.resolve("valid.jsonl")),
                new RecordFormat(List.of("title"), 32), 7, SMALL_GRID, 2, TreeBooster.Params.defaults(), false, false, 0, true, false))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--candidates");
    }

    /** Trains {@code job} twice; both heads must write the same bytes ({@code NAME-a.json}, {@code NAME-b.json}). */
    private PairHead trainTwiceToTheSameBytes(PairTrainer.Job job, String name) {
        PairHead a = PairTrainer.train(job, backbone(), new EmbeddingCache(dir.resolve("cache")), Progress.NONE);
        HeadFiles.write(a, dir.resolve(name + "-a.json"));
        HeadFiles.write(PairTrainer.train(job, backbone(), new EmbeddingCache(dir.resolve("cache")), Progress.NONE), dir.resolve(name + "-b.json"));
        assertThat(dir.resolve(name + "-a.json")).hasSameBinaryContentAs(dir.resolve(name + "-b.json"));
        return a;
    }

    /** {@code eval} of valid.jsonl with the written head {@code NAME-a.json} gives the F1 training reported; returns the model. */
    private Model evalOfValidMatchesTraining(PairHead a, String name) {
        Model m = TestEngine.get().load(dir.resolve(name + "-a.json").toString());
        PairReport r = Evaluation.pairs(m, DataFiles.readPairs(dir.resolve("valid.jsonl")), Progress.NONE);
        assertThat(r.f1()).isCloseTo(a.training().at("/valid/f1").asDouble(), within(1e-3));
        return m;
    }

    @Test
    void evalReportsF1AtStoredThresholdAndPrCurve() {
        Model m = TestEngine.get().load(dir.resolve("dup.json").toString());
        assertThat(m.task()).isInstanceOf(BiEncoderPair.class);
        PairReport r = Evaluation.pairs(m, DataFiles.readPairs(dir.resolve("valid.jsonl")), Progress.NONE);
        assertThat(r.n()).isEqualTo(90);
        assertThat(r.threshold()).isCloseTo(head.threshold(), within(1e-9));
        assertThat(r.f1()).isCloseTo(head.training().at("/valid/f1").asDouble(), within(1e-3));
        assertThat(r.curve()).hasSize(99);
        var json = Evaluation.toJson(r, m.name());
        for (String key : List.of("precision", "recall", "f1", "threshold", "n", "pr_curve")) assertThat(json.has(key)).as(key).isTrue();
    }

    @Test
    void scoringFromSharedBackboneVectorsEqualsScorePairs() {
        Model m = TestEngine.get().load(dir.resolve("dup.json").toString());
        PairInput p = new PairInput(Map.of("title", "sony router so123a", "price", "99"), Map.of("title", "router so123a by sony", "price", "97"));
        PairScore direct = m.scorePairs(List.of(p)).get(0);
        var bi = (BiEncoderPair) m.task();
        var tok = m.backbone().tokenizer();
        var tokens = List.of(bi.tokens(bi.text(p.left(), "left"), tok), bi.tokens(bi.text(p.right(), "right"), tok),
                tok.encode(TextInput.of("what's the weather")));
        float[][] v = m.backbone().forward(tokens).vectors();
        PairScore shared = bi.score(p, v[0], v[1]);
        assertThat(shared.score()).isCloseTo(direct.score(), within(1e-4));
        assertThat(shared.duplicate()).isEqualTo(direct.duplicate());
        assertThat(direct.prediction().labels()).containsExactly("different", "duplicate");
    }

    @Test
    void textPairsAndBadRecordsAreHandledPerPair() {
        Model m = TestEngine.get().load(dir.resolve("dup.json").toString());
        List<PairBatch.Result> r = PairBatch.score(m, List.of(PairInput.ofTexts("canon camera ca555b", "ca555b canon camera"),
                new PairInput(Map.of("title", "  "), Map.of("title", "x"))), new HashMap<>(), 8);
        assertThat(r.get(0).score().score()).isBetween(0.0, 1.0);
        assertThat(r.get(1).error()).hasMessageContaining("left");
        assertThatThrownBy(() -> m.scorePairs(List.of(new PairInput(Map.of("title", "a"), Map.of()))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("right");
    }

    @Test
    void eachDistinctRecordIsEmbeddedOnce() {
        Model m = TestEngine.get().load(dir.resolve("dup.json").toString());
        var a = Map.of("title", "epson laser printer ep321c");
        var b = Map.of("title", "laser printer ep321c by epson");
        var cache = new HashMap<String, float[]>();
        PairBatch.score(m, List.of(new PairInput(a, b), new PairInput(b, a), new PairInput(a, a)), cache, 8);
        assertThat(cache).hasSize(2);
    }

    @Test
    void builtinDuplicateModelSharesTheIntentBackbone() {
        Model dup = TestEngine.get().load("duplicate"), intent = TestEngine.get().load("intent");
        assertThat(dup.task()).isInstanceOf(BiEncoderPair.class);
        assertThat(dup.backbone()).isSameAs(intent.backbone());
        var same = Map.of("title", "canon pixma ip4500 inkjet printer", "manufacturer", "canon", "price", "99.99");
        var other = Map.of("title", "adobe photoshop cs3 upgrade mac", "manufacturer", "adobe", "price", "199.0");
        List<PairScore> s = dup.scorePairs(List.of(new PairInput(same, Map.of("title", "pixma ip4500 canon printer", "price", "97.50")),
                new PairInput(same, other)));
        assertThat(s.get(0).duplicate()).isTrue();
        assertThat(s.get(1).duplicate()).isFalse();
    }

    @Test
    void lexicalFeaturesSeeSharedModelNumbersAndPrices() {
        float[] same = PairFeatures.lexical(Map.of("title", "hp 11x toner q6511x", "price", "100"),
                Map.of("title", "toner cartridge q6511x", "price", "95"));
        float[] other = PairFeatures.lexical(Map.of("title", "hp 11x toner q6511x", "price", "100"),
                Map.of("title", "toner cartridge q7553a", "price", "20"));
        int code = PairFeatures.LEXICAL.indexOf("code_overlap"), conflict = PairFeatures.LEXICAL.indexOf("code_conflict"),
                price = PairFeatures.LEXICAL.indexOf("price_similarity");
        assertThat(same[code]).isEqualTo(1f);
        assertThat(other[conflict]).isEqualTo(1f);
        assertThat(same[price]).isCloseTo(0.95f, within(1e-6f));
        assertThat(other[price]).isCloseTo(0.2f, within(1e-6f));
    }

    @Test
    void refusesPairHeadWithWrongWeightCount(@TempDir Path tmp) throws IOException {
        String json = Files.readString(dir.resolve("dup.json")).replace("\"inputDim\" : 384", "\"inputDim\" : 383");
        Files.writeString(tmp.resolve("bad.json"), json);
        assertThatThrownBy(() -> HeadFiles.readHead(tmp.resolve("bad.json"))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("weights");
    }
}
