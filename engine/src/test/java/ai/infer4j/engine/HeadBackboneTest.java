package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import ai.infer4j.engine.train.EmbeddingCache;
import ai.infer4j.engine.train.IntentTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A head trained on an export directory ({@code train --backbone DIR}) never runs on a built-in backbone. */
class HeadBackboneTest {
    private final Engine engine = TestEngine.get();

    /** A head trained like {@code train --backbone DIR} on a tiny sentiment export (good -> pos, bad -> neg). */
    private SoftmaxHead trainOnExport(Path export, Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[] fillers = {"movie", "meal", "day", "song", "book", "trip", "room", "show"};
        for (String f : fillers) {
            lines.add("{\"text\": \"a good " + f + "\", \"label\": \"pos\"}");
            lines.add("{\"text\": \"the " + f + " was bad\", \"label\": \"neg\"}");
        }
        Files.write(dir.resolve("train.jsonl"), lines.subList(0, 12));
        Files.write(dir.resolve("valid.jsonl"), lines.subList(12, 16));
        Backbone bb = engine.backbone(BackboneFiles.ofDirectory(export));
        var grid = new IntentTrainer.Grid(new double[] {1e-1}, new double[] {1e-3}, new int[] {20}, new double[] {0});
        var job = new IntentTrainer.Job("mood", dir.resolve("train.jsonl"), dir.resolve("valid.jsonl"), "oos", 7, grid, 1);
        return IntentTrainer.train(job, bb, new EmbeddingCache(dir.resolve("cache")), Progress.NONE);
    }

    @Test
    void aHeadTrainedOnAnExportDirectoryIsRefusedAsAFileAndServedFromTheArchiveTheMessageNames(@TempDir Path dir) throws IOException {
        Path export = TinyModels.sentimentEmbedder(dir.resolve("export"), 1f, 0f);
        SoftmaxHead head = trainOnExport(export, dir);
        assertThat(head.training().path("backbone").asText()).isEqualTo(export.resolve("model.onnx").toRealPath().toString());
        Path file = dir.resolve("mood.json");
        HeadFiles.write(head, file);

        assertThatThrownBy(() -> engine.load(file.toString())).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("was trained on the backbone " + export.resolve("model.onnx").toRealPath())
                .hasMessageContaining("infer4j archive --name mood --backbone " + export.toRealPath() + " --head " + file);

        Path mar = dir.resolve("mood.mar"); // what the message says to run
        ModelArchive.write(new Manifest("mood", "1", "classify", "classify", "model.onnx", List.of("heads/mood.json"), 128,
                Map.of(), Map.of()), export, Map.of("heads/mood.json", file), mar);
        Model model = engine.load(mar.toString());
        assertThat(model.classify(List.of("such a good film", "a bad bad night"))).extracting(p -> p.label())
                .containsExactly("pos", "neg");
    }

    @Test
    void anArchiveThatRunsAHeadOnAnotherBackboneThanItWasTrainedOnIsRefused(@TempDir Path dir) throws IOException {
        Path export = TinyModels.sentimentEmbedder(dir.resolve("export"), 1f, 0f);
        Path file = dir.resolve("mood.json");
        HeadFiles.write(trainOnExport(export, dir), file);
        Path mar = dir.resolve("mood.mar"); // `archive --head mood.json` without --backbone: the built-in backbone
        ModelArchive.write(new Manifest("mood", "1", "classify", "classify", BackboneFiles.BUILTIN, List.of("heads/mood.json"), 128,
                Map.of(), Map.of()), null, Map.of("heads/mood.json", file), mar);
        assertThatThrownBy(() -> engine.load(mar.toString())).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("archive 'mood': head 'mood' was trained on the backbone " + export.resolve("model.onnx").toRealPath())
                .hasMessageContaining("rebuild the archive with infer4j archive --backbone " + export.toRealPath());
    }
}
