package ai.infer4j.engine;

import ai.infer4j.engine.backbone.ModelSignature.OutputKind;
import ai.infer4j.engine.task.Classifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A Hugging Face full sequence classifier export (logits + config.json id2label) loads and answers with its labels. */
class SequenceClassifierExportTest {
    private final Engine engine = TestEngine.get();

    @Test
    void exportDirectoryClassifiesWithConfigLabels(@TempDir Path dir) throws IOException {
        Path export = TinyModels.sentimentClassifier(dir.resolve("sentiment"), 4f, 0f);

        Model m = engine.load(export.toString());

        assertThat(m.task()).isInstanceOf(Classifier.class);
        assertThat(m.backbone().signature().kind()).isEqualTo(OutputKind.LOGITS);
        assertThat(m.labels()).containsExactly("NEGATIVE", "POSITIVE");
        var answers = m.classify(List.of("this film is good", "a bad , bad day", "nothing to see"));
        assertThat(answers).extracting(p -> p.label()).containsExactly("POSITIVE", "NEGATIVE", "NEGATIVE");
        assertThat(answers.get(0).score()).isCloseTo(1 / (1 + Math.exp(0.5 - 4)), within(1e-4));
        float sum = 0;
        for (float p : answers.get(1).probabilities()) sum += p;
        assertThat(sum).isCloseTo(1f, within(1e-5f));
    }
}
