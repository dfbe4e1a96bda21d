package ai.infer4j.engine;

import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.EmbeddingCache;
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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TrainingTest {
    private static final String[][] TOPICS = {
            {"weather", "will it rain in %s tomorrow", "what is the forecast for %s", "how hot is it in %s today", "is it snowing in %s"},
            {"music", "play some %s music", "put on a %s playlist", "I want to hear %s songs", "start the %s radio station"},
            {"balance", "how much money is in my %s account", "what is the balance of my %s account", "show my %s account balance", "check funds in %s account"},
    };
    private static final String[] FILLERS = {"paris", "jazz", "savings", "london", "rock", "checking", "tokyo", "classical",
            "business", "berlin", "pop", "joint", "madrid", "blues", "student", "rome", "metal", "family"};

    /** A small generated intent set: 3 topics x 4 templates x fillers, split by a seeded shuffle. */
    static void writeData(Path train, Path valid, long seed) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String[] t : TOPICS)
            for (int k = 1; k < t.length; k++)
                for (String f : FILLERS) lines.add("{\"text\": \"" + String.format(t[k], f) + "\", \"label\": \"" + t[0] + "\"}");
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = lines.size() - 1; i > 0; i--) Collections.swap(lines, i, r.nextInt(i + 1));
        int cut = lines.size() * 3 / 4;
        Files.write(train, lines.subList(0, cut));
        Files.write(valid, lines.subList(cut, lines.size()));
    }

    private static final IntentTrainer.Grid SMALL_GRID =
            new IntentTrainer.Grid(new double[] {1e-2}, new double[] {1e-3, 1e-2}, new int[] {3, 6}, new double[] {0, 0.5});

    private SoftmaxHead train(Path dir, Path cacheDir) {
        Backbone bb = TestEngine.get().backbone(BackboneFiles.builtin(TestEngine.options().cacheDir()));
        var job = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), "oos", 7, SMALL_GRID, 2);
        return IntentTrainer.train(job, bb, new EmbeddingCache(cacheDir), Progress.NONE);
    }

    @Test
    void headTrainedOnSmallGeneratedSetClassifiesHeldOutText(@TempDir Path dir) throws IOException {
        writeData(dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), 1);
        SoftmaxHead head = train(dir, dir.resolve("cache"));
        assertThat(head.labels()).containsExactly("balance", "music", "weather");
        assertThat(head.oosLabel()).isNull();
        assertThat(head.training().at("/valid/accuracy").asDouble()).isGreaterThanOrEqualTo(0.95);
        Model m = TestEngine.get().load(write(head, dir).toString());
        var p = m.classify(List.of("will there be thunderstorms in chicago", "play a song by the beatles", "what's my account balance"));
        assertThat(p).extracting(x -> x.label()).containsExactly("weather", "music", "balance");
    }

    @Test
    void sameDataAndSeedGiveTheSameBytes(@TempDir Path dir) throws IOException {
        writeData(dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), 2);
        Path a = writeHead(train(dir, dir.resolve("cache-a")), dir.resolve("a.json"));
        Path b = writeHead(train(dir, dir.resolve("cache-b")), dir.resolve("b.json")); // fresh cache: embeds again
        Path c = writeHead(train(dir, dir.resolve("cache-a")), dir.resolve("c.json")); // cached embeddings
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(c));
        assertThat(Files.list(dir.resolve("cache-a")).count()).isEqualTo(2); // train + valid embeddings cached
    }

    @Test
    void metadataRecordsDataHashesSeedAndGrid(@TempDir Path dir) throws IOException {
        writeData(dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), 3);
        SoftmaxHead head = train(dir, dir.resolve("cache"));
        var t = head.training();
        assertThat(t.at("/data/train/sha256").asText()).hasSize(64);
        assertThat(t.at("/data/train/rows").asInt() + t.at("/data/valid/rows").asInt()).isEqualTo(3 * 4 * FILLERS.length);
        assertThat(t.get("seed").asLong()).isEqualTo(7);
        assertThat(t.at("/grid/epochs")).hasSize(2);
        assertThat(t.get("results")).hasSize(4);
    }

    private static final String[] OUT_OF_SCOPE = {"tell me a joke about %s", "how do I bake %s bread", "who painted the %s ceiling",
            "what rhymes with %s"};

    /** The generated set plus an out-of-scope label of unrelated requests. */
    private static void writeDataWithOos(Path train, Path valid) throws IOException {
        writeData(train, valid, 4);
        List<String> oos = new ArrayList<>();
        for (String t : OUT_OF_SCOPE) for (String f : FILLERS) oos.add("{\"text\": \"" + String.format(t, f) + "\", \"label\": \"oos\"}");
        Files.write(train, oos.subList(0, oos.size() / 2), StandardOpenOption.APPEND);
        Files.write(valid, oos.subList(oos.size() / 2, oos.size()), StandardOpenOption.APPEND);
    }

    private SoftmaxHead trainCv(Path dir, Path cacheDir) {
        Backbone bb = TestEngine.get().backbone(BackboneFiles.builtin(TestEngine.options().cacheDir()));
        var job = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), "oos", 7, SMALL_GRID, 2, 3, 0.01);
        return IntentTrainer.train(job, bb, new EmbeddingCache(cacheDir), Progress.NONE);
    }

    @Test
    void crossValidatedHeadGetsAnOutOfScopeScoreAndTheSameBytesTwice(@TempDir Path dir) throws IOException {
        writeDataWithOos(dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"));
        SoftmaxHead head = trainCv(dir, dir.resolve("cache"));
        assertThat(head.oosScore()).isNotNull();
        assertThat(head.oosThreshold()).isZero();
        var cv = head.training().get("cv");
        assertThat(cv.get("folds").asInt()).isEqualTo(3);
        assertThat(cv.get("rows").asInt()).isEqualTo(3 * 4 * FILLERS.length + OUT_OF_SCOPE.length * FILLERS.length);
        assertThat(cv.at("/selected/accuracy_per_fold")).hasSize(3);
        assertThat(cv.get("results")).hasSize(4);
        assertThat(cv.at("/oos/per_fold")).hasSize(3);
        // the chosen threshold keeps held-out in-scope accuracy within the budget
        assertThat(cv.at("/oos/at_threshold/in_scope_accuracy").asDouble())
                .isGreaterThanOrEqualTo(cv.at("/oos/in_scope_accuracy_without_rejection").asDouble() - 0.01 - 1e-4);
        // a lower threshold never catches fewer out-of-scope examples
        double previous = -1;
        for (var p : cv.at("/oos/curve")) {
            assertThat(p.get("oos_recall").asDouble()).isGreaterThanOrEqualTo(previous);
            previous = p.get("oos_recall").asDouble();
        }
        Model m = TestEngine.get().load(write(head, dir).toString());
        var p = m.classify(List.of("will there be thunderstorms in chicago", "play a song by the beatles", "what's my account balance"));
        assertThat(p).extracting(x -> x.label()).containsExactly("weather", "music", "balance");

        Path a = writeHead(head, dir.resolve("a.json"));
        Path b = writeHead(trainCv(dir, dir.resolve("cache-b")), dir.resolve("b.json"));
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    }

    @Test
    void cvDirGetsHeldOutLogitsThatGiveTheRecordedAccuracies(@TempDir Path dir) throws IOException {
        writeDataWithOos(dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"));
        Backbone bb = TestEngine.get().backbone(BackboneFiles.builtin(TestEngine.options().cacheDir()));
        var job = new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), "oos", 7, SMALL_GRID, 2, 3, 0.01,
                null, false, 0, dir.resolve("cv"));
        SoftmaxHead head = IntentTrainer.train(job, bb, new EmbeddingCache(dir.resolve("cache")), Progress.NONE);

        JsonNode o = new ObjectMapper().readTree(dir.resolve("cv").resolve("cv-logits.json").toFile());
        List<String> labels = new ArrayList<>();
        o.get("labels").forEach(l -> labels.add(l.asText()));
        assertThat(labels).isEqualTo(head.labels());
        List<LabeledText> rows = new ArrayList<>(DataFiles.readLabeled(dir.resolve("train.jsonl")));
        rows.addAll(DataFiles.readLabeled(dir.resolve("valid.jsonl")));
        int n = rows.size(), k = labels.size();
        assertThat(o.get("rows").asInt()).isEqualTo(n);
        assertThat(o.get("fold")).hasSize(n);
        assertThat(o.get("points")).hasSize(4); // the grid: 2 L2 x 2 epoch counts
        assertThat(o.has("lexical")).isFalse();
        JsonNode selected = head.training().at("/cv/selected");
        int matched = 0;
        for (JsonNode p : o.get("points")) {
            FloatBuffer z = ByteBuffer.wrap(Base64.getDecoder().decode(p.get("logits").asText())).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            assertThat(z.remaining()).isEqualTo(n * k);
            double[] correct = new double[3], count = new double[3];
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < k; c++) if (z.get(i * k + c) > z.get(i * k + best)) best = c;
                int f = o.get("fold").get(i).asInt();
                count[f]++;
                if (labels.get(best).equals(rows.get(i).label())) correct[f]++;
            }
            double mean = (correct[0] / count[0] + correct[1] / count[1] + correct[2] / count[2]) / 3;
            // what the cross-validation scored for this grid point, from the written logits alone
            assertThat(mean).isCloseTo(p.at("/accuracy_mean_by_lexical_scale/0").asDouble(), within(1e-4));
            if (p.get("l2").equals(selected.get("l2")) && p.get("epochs").equals(selected.get("epochs"))) {
                matched++;
                for (int f = 0; f < 3; f++)
                    assertThat(correct[f] / count[f]).isCloseTo(selected.get("accuracy_per_fold").get(f).asDouble(), within(1e-4));
            }
        }
        assertThat(matched).isEqualTo(1);
    }

    @Test
    void cvDirWithoutCvIsRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> new IntentTrainer.Job("topic", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), null, 7, SMALL_GRID,
                2, 0, 0.01, null, false, 0, dir.resolve("cv")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--cv-dir").hasMessageContaining("--cv K");
    }

    private static Path write(SoftmaxHead head, Path dir) {
        return writeHead(head, dir.resolve("head.json"));
    }

    private static Path writeHead(SoftmaxHead head, Path file) {
        HeadFiles.write(head, file);
        return file;
    }
}
