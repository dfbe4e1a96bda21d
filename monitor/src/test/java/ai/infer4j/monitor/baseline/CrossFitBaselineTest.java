package ai.infer4j.monitor.baseline;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.IntentTrainer;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.monitor.Monitor;
import ai.infer4j.monitor.capture.Observation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A head trained (with the project's trainer, on the embedded MiniLM) on a small generated set with noisy labels:
 * {@code monitor baseline} on its training file predicts it out-of-fold, which is less accurate and less confident
 * than the head's in-sample predictions; on its selection split and on other data it says so.
 */
class CrossFitBaselineTest {
    private static final String[][] TOPICS = {
            {"weather", "will it rain in %s tomorrow", "what is the forecast for %s", "how hot is it in %s today", "is it snowing in %s"},
            {"music", "play some %s music", "put on a %s playlist", "I want to hear %s songs", "start the %s radio station"},
            {"balance", "how much money is in my %s account", "what is the balance of my %s account", "show my %s account balance",
                    "check funds in %s account"},
    };
    private static final String[] FILLERS = {"paris", "jazz", "savings", "london", "rock", "checking", "tokyo", "classical",
            "business", "berlin", "pop", "joint", "madrid", "blues", "student", "rome", "metal", "family"};

    @TempDir
    static Path dir;
    private static Engine engine;
    private static Model model;
    private static Model pooledModel;
    private static Model lexicalModel;

    @BeforeAll
    static void trainHead() throws Exception {
        List<String> lines = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(3);
        for (String[] t : TOPICS)
            for (int k = 1; k < t.length; k++)
                for (String f : FILLERS) {
                    // a quarter of the labels are wrong: a head can memorise them in-sample, not out-of-fold
                    String label = r.nextDouble() < 0.25 ? TOPICS[r.nextInt(TOPICS.length)][0] : t[0];
                    lines.add("{\"text\": \"" + String.format(t[k], f) + "\", \"label\": \"" + label + "\"}");
                }
        Collections.shuffle(lines, new Random(5));
        int cut = lines.size() * 3 / 4;
        Files.write(dir.resolve("train.jsonl"), lines.subList(0, cut));
        Files.write(dir.resolve("valid.jsonl"), lines.subList(cut, lines.size()));
        Files.write(dir.resolve("other.jsonl"), lines.subList(cut, lines.size() - 1));
        engine = Engine.create(EngineOptions.defaults().withIntraOpThreads(2).withCacheDir(Path.of("target", "test-cache").toAbsolutePath()));
        Backbone bb = engine.backbone(BackboneFiles.builtin(engine.options().cacheDir()));
        var job = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), null, 7,
                new IntentTrainer.Grid(new double[] {3e-2}, new double[] {0}, new int[] {200}, new double[] {0}), 2);
        SoftmaxHead head = IntentTrainer.train(job, bb, new EmbeddingCache(dir.resolve("cache")), Progress.NONE);
        HeadFiles.write(head, dir.resolve("topic.json"));
        model = engine.load(dir.resolve("topic.json").toString());
        // the same data with --cv: the head is trained on train and valid pooled
        var cv = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), null, 7,
                new IntentTrainer.Grid(new double[] {3e-2}, new double[] {0}, new int[] {200}, new double[] {0}), 2, 3, 0.005);
        HeadFiles.write(IntentTrainer.train(cv, bb, new EmbeddingCache(dir.resolve("cache")), Progress.NONE), dir.resolve("topic-cv.json"));
        pooledModel = engine.load(dir.resolve("topic-cv.json").toString());
        // and with a lexical layer (at most 50 features): its fold heads need the texts
        var lex = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), null, 7,
                new IntentTrainer.Grid(new double[] {3e-2}, new double[] {0}, new int[] {200}, new double[] {0}), 2, 3, 0.005, null, true, 50);
        SoftmaxHead lexHead = IntentTrainer.train(lex, bb, new EmbeddingCache(dir.resolve("cache")), Progress.NONE);
        HeadFiles.write(lexHead, dir.resolve("topic-lex.json"));
        lexicalModel = engine.load(dir.resolve("topic-lex.json").toString());
    }

    @AfterAll
    static void close() {
        if (engine != null) engine.close();
    }

    @Test
    void trainingDataIsRecognisedAndPredictedOutOfFold() {
        Path train = dir.resolve("train.jsonl");
        List<LabeledText> rows = DataFiles.readLabeled(train);
        BaselineStatistics oof = Monitor.baseline(model, train, rows, 4, 2, Progress.NONE);
        BaselineStatistics inSample = Monitor.baseline(model, rows, "train.jsonl", 4, Progress.NONE);
        assertThat(oof.provenance()).isEqualTo(BaselineStatistics.CROSS_FITTED);
        assertThat(oof.provenanceNote()).contains("5 label-stratified folds", "249 epochs");
        assertThat(inSample.provenance()).isEqualTo(BaselineStatistics.UNKNOWN);
        // in-sample the head fits the noisy labels; out-of-fold it cannot
        assertThat(oof.accuracy()).isLessThan(inSample.accuracy() - 0.05);
        assertThat(mean(oof.confidence())).isLessThan(mean(inSample.confidence()));
        assertThat(oof.n()).isEqualTo(rows.size());
        assertThat(oof.confusion().stream().mapToLong(BaselineStatistics.LabelPair::count).sum()).isEqualTo(rows.size());
    }

    @Test
    void selectionSplitAndOtherDataAreNamed() {
        Path valid = dir.resolve("valid.jsonl"), other = dir.resolve("other.jsonl");
        assertThat(Monitor.baseline(model, valid, DataFiles.readLabeled(valid), 4, 2, Progress.NONE).provenance())
                .isEqualTo(BaselineStatistics.SELECTION_DATA);
        BaselineStatistics o = Monitor.baseline(model, other, DataFiles.readLabeled(other), 4, 2, Progress.NONE);
        assertThat(o.provenance()).isEqualTo(BaselineStatistics.INDEPENDENT);
        assertThat(o.provenanceNote()).contains("over-stated");
    }

    @Test
    void aPooledHeadsValidSplitIsTrainingDataAndItsFoldHeadsAlsoSeeTheOtherSplit() throws Exception {
        Path valid = dir.resolve("valid.jsonl");
        BaselineStatistics s = Monitor.baseline(pooledModel, valid, DataFiles.readLabeled(valid), 4, 2, Progress.NONE);
        assertThat(s.provenance()).isEqualTo(BaselineStatistics.CROSS_FITTED);
        assertThat(s.provenanceNote()).contains("pooled; so were the fold heads (train.jsonl found beside this file");
        assertThat(s.n()).isEqualTo(DataFiles.readLabeled(valid).size());
        // without the other split beside it, the baseline says what is missing
        Path alone = Files.createDirectories(dir.resolve("alone"));
        Files.copy(valid, alone.resolve("valid.jsonl"));
        BaselineStatistics a = Monitor.baseline(pooledModel, alone.resolve("valid.jsonl"), DataFiles.readLabeled(valid), 4, 2, Progress.NONE);
        assertThat(a.provenance()).isEqualTo(BaselineStatistics.CROSS_FITTED);
        assertThat(a.provenanceNote()).contains("train split ('train.jsonl' with the recorded SHA-256) is not beside this file");
    }

    @Test
    void aLexicalHeadIsObservedWithItsTextsAndCrossFittedWithALexicalLayerPerFold() {
        assertThat(lexicalModel.heads().get(0).lexical()).isNotNull();
        assertThat(lexicalModel.heads().get(0).lexical().vocab()).hasSizeLessThanOrEqualTo(50);
        Path valid = dir.resolve("valid.jsonl");
        List<LabeledText> rows = DataFiles.readLabeled(valid);
        BaselineStatistics s = Monitor.baseline(lexicalModel, valid, rows, 4, 2, Progress.NONE);
        assertThat(s.provenance()).isEqualTo(BaselineStatistics.CROSS_FITTED);
        assertThat(s.provenanceNote()).contains("lexical layer re-trained on the fold's texts");
        assertThat(s.n()).isEqualTo(rows.size());
        List<Observation> obs = Observer.observe(lexicalModel, rows.stream().map(LabeledText::text).toList(), null, 0, Progress.NONE);
        assertThat(obs).hasSize(rows.size()).allSatisfy(o -> assertThat(o.label()).isNotNull());
    }

    @Test
    void foldsAreLabelStratified() {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 100; i++) labels.add(i < 80 ? "a" : "b");
        int[] fold = CrossFit.folds(labels, 5, 1);
        Map<Integer, Long> b = new TreeMap<>();
        for (int i = 80; i < 100; i++) b.merge(fold[i], 1L, Long::sum);
        assertThat(b).hasSize(5).allSatisfy((f, c) -> assertThat(c).isEqualTo(4L));
        assertThat(Arrays.stream(fold).boxed().collect(Collectors.groupingBy(f -> f, Collectors.counting())).values())
                .containsOnly(20L);
        assertThat(CrossFit.folds(labels, 5, 1)).isEqualTo(fold);
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }
}
