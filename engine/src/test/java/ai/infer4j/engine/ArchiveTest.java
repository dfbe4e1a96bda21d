package ai.infer4j.engine;

import ai.infer4j.engine.error.InferenceException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.error.ModelNotFoundException;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Plan;
import ai.infer4j.engine.task.Request;
import ai.infer4j.engine.tokenize.Tokens;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchiveTest {
    private final Engine engine = TestEngine.get();

    /** A deterministic 2-label head on the 384-wide backbone: label "b" when dimension 0 is positive. */
    static SoftmaxHead tinyHead(String name, int dim) {
        float[][] w = new float[2][dim];
        w[1][0] = 50;
        return new SoftmaxHead(name, List.of("a", "b"), w, new float[2], null, 0, null);
    }

    private Path headFile(Path dir, String name, int dim) {
        Path p = dir.resolve(name + ".json");
        HeadFiles.write(tinyHead(name, dim), p);
        return p;
    }

    private static Manifest manifest(String name, List<String> heads) {
        return new Manifest(name, "2", "classify", "classify", BackboneFiles.BUILTIN, heads, 128,
                Map.of("batchSize", 8), Map.of());
    }

    @Test
    void roundTripKeepsEveryFieldAndPredictions(@TempDir Path dir) {
        Path head = headFile(dir, "topic", 384);
        Path mar = dir.resolve("topic.mar");
        ModelArchive.write(manifest("topic", List.of("heads/topic.json")), null, Map.of("heads/topic.json", head), mar);
        Model fromArchive = engine.load(mar.toString());
        Model fromHead = engine.load(head.toString());
        assertThat(fromArchive.name()).isEqualTo("topic");
        assertThat(fromArchive.version()).isEqualTo("2");
        assertThat(fromArchive.manifest().batching()).containsEntry("batchSize", 8);
        assertThat(fromArchive.manifest().maxLength()).isEqualTo(128);
        assertThat(fromArchive.heads().get(0).labels()).containsExactly("a", "b");
        List<String> texts = List.of("hello", "a longer sentence about trains");
        assertThat(fromArchive.classify(texts)).extracting(p -> p.label())
                .isEqualTo(fromHead.classify(texts).stream().map(p -> p.label()).toList());
        // same bytes twice
        Path again = dir.resolve("again.mar");
        ModelArchive.write(manifest("topic", List.of("heads/topic.json")), null, Map.of("heads/topic.json", head), again);
        assertThat(ModelArchive.sha256(again)).isEqualTo(ModelArchive.sha256(mar));
    }

    @Test
    void directoryArchiveLoadsLikeZip(@TempDir Path dir) {
        Path head = headFile(dir, "topic", 384);
        Path out = dir.resolve("topic-dir");
        ModelArchive.write(manifest("topic", List.of("heads/topic.json")), null, Map.of("heads/topic.json", head), out);
        assertThat(Files.isRegularFile(out.resolve("MAR-INF/MANIFEST.json"))).isTrue();
        assertThat(engine.load(out.toString()).name()).isEqualTo("topic");
    }

    @Test
    void multiHeadArchiveAnswersEveryHeadFromOneForwardPass(@TempDir Path dir) {
        Path a = headFile(dir, "first", 384), b = headFile(dir, "second", 384);
        Path mar = dir.resolve("multi.mar");
        ModelArchive.write(manifest("multi", List.of("heads/first.json", "heads/second.json")), null,
                Map.of("heads/first.json", a, "heads/second.json", b), mar);
        Model m = engine.load(mar.toString());
        long before = m.backbone().forwardPasses();
        var answer = (Answer.Classified) m.run(new Request.Texts(List.of(TextInput.of("one query")), true)).get(0);
        assertThat(answer.heads()).containsOnlyKeys("first", "second");
        assertThat(answer.prediction()).isEqualTo(answer.heads().get("first"));
        assertThat(m.backbone().forwardPasses() - before).isEqualTo(1);
    }

    @Test
    void requestsForDifferentModelsOnOneBackboneShareOneForwardPass(@TempDir Path dir) {
        Model intentLike = engine.load(headFile(dir, "x", 384).toString());
        Model other = engine.load(headFile(dir, "y", 384).toString());
        assertThat(intentLike.backbone()).isSameAs(other.backbone());
        long before = intentLike.backbone().forwardPasses();
        Plan a = intentLike.plan(Request.of("first", "third")), b = other.plan(Request.of("second text"));
        List<Tokens> batch = new ArrayList<>(a.sequences());
        batch.addAll(b.sequences());
        float[][] v = intentLike.backbone().forward(batch).vectors();
        var answers = new ArrayList<>(intentLike.answers(a, Arrays.copyOfRange(v, 0, 2)));
        answers.addAll(other.answers(b, Arrays.copyOfRange(v, 2, 3)));
        assertThat(answers).hasSize(3).allSatisfy(x -> assertThat(x).isInstanceOf(Answer.Classified.class));
        assertThat(intentLike.backbone().forwardPasses() - before).isEqualTo(1);
    }

    @Test
    void refusesEntryThatEscapesTheArchive(@TempDir Path dir) throws IOException {
        Path mar = zip(dir.resolve("evil.mar"), Map.of("MAR-INF/MANIFEST.json", "{}", "../../evil.txt", "x"));
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("outside the archive");
        assertThat(Files.exists(dir.getParent().resolve("evil.txt"))).isFalse();
    }

    @Test
    void refusesAbsoluteEntry(@TempDir Path dir) throws IOException {
        Path mar = zip(dir.resolve("abs.mar"), Map.of("/tmp/infer4j-abs.txt", "x"));
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("absolute");
    }

    @Test
    void refusesDirectoryArchiveWithSymlink(@TempDir Path dir) throws IOException {
        Path head = headFile(dir, "topic", 384);
        Path out = dir.resolve("linked");
        ModelArchive.write(manifest("topic", List.of("heads/topic.json")), null, Map.of("heads/topic.json", head), out);
        Files.createSymbolicLink(out.resolve("tokenizer.json"), Path.of("/etc/hostname"));
        assertThatThrownBy(() -> engine.load(out.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("symbolic link");
    }

    @Test
    void refusesZipBomb(@TempDir Path dir) throws IOException {
        Path mar = dir.resolve("bomb.mar");
        try (OutputStream os = Files.newOutputStream(mar); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("MAR-INF/MANIFEST.json"));
            zip.write("{}".getBytes());
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("model.onnx"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) zip.write(zeros); // 64 MiB of zeros compress ~1000x
            zip.closeEntry();
        }
        assertThat(Files.size(mar)).isLessThan(1 << 20);
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("zip bomb");
    }

    @Test
    void refusesArchiveWithoutManifest(@TempDir Path dir) throws IOException {
        Path mar = zip(dir.resolve("empty.mar"), Map.of("model.onnx", "x"));
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("MANIFEST.json");
    }

    @Test
    void refusesUnknownHandlerWithoutLoadingCode(@TempDir Path dir) throws IOException {
        Path mar = zip(dir.resolve("h.mar"), Map.of("MAR-INF/MANIFEST.json",
                "{\"modelName\":\"x\",\"modelVersion\":\"1\",\"task\":\"classify\",\"handler\":\"com/evil/Handler.class\",\"backbone\":\"builtin:all-MiniLM-L6-v2\",\"heads\":[\"heads/x.json\"]}"));
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("never loads handler code");
    }

    @Test
    void refusesManifestNamingMissingHead(@TempDir Path dir) throws IOException {
        Path mar = zip(dir.resolve("m.mar"), Map.of("MAR-INF/MANIFEST.json",
                "{\"modelName\":\"x\",\"modelVersion\":\"1\",\"task\":\"classify\",\"backbone\":\"builtin:all-MiniLM-L6-v2\",\"heads\":[\"heads/x.json\"]}"));
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class).hasMessageContaining("heads/x.json");
    }

    @Test
    void refusesHeadOfTheWrongWidth(@TempDir Path dir) {
        Path head = headFile(dir, "narrow", 100);
        assertThatThrownBy(() -> engine.load(head.toString())).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("reads 100 values but backbone").hasMessageContaining("gives 384");
    }

    @Test
    void refusesHeadWhoseLabelsAndWeightsDisagree() {
        assertThatThrownBy(() -> new SoftmaxHead("h", List.of("a", "b", "c"), new float[2][4], new float[3], null, 0, null))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("3 labels but 2 weight rows");
    }

    @Test
    void refusesUnknownModelName() {
        assertThatThrownBy(() -> engine.load("no-such-model")).isInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("no-such-model").satisfies(e -> assertThat(((InferenceException) e).status()).isEqualTo(404));
    }

    @Test
    void refusesBadModelName(@TempDir Path dir) {
        assertThatThrownBy(() -> manifest("../x", List.of("heads/a.json"))).isInstanceOf(ModelLoadException.class).hasMessageContaining("modelName");
    }

    private static Path zip(Path file, Map<String, String> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return file;
    }
}
