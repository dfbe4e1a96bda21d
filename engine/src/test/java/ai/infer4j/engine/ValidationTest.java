package ai.infer4j.engine;

import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.data.DataFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.TextInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ValidationTest {
    @Test
    void dataFileErrorsNameFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": 3, \"label\": \"a\"}\n");
        assertThatThrownBy(() -> DataFiles.readLabeled(f)).isInstanceOf(BadInputException.class).hasMessageContaining("d.jsonl:2").hasMessageContaining("\"text\"");
        Files.writeString(f, "{\"text\": \"ok\", \"label\": \"a\"}\n\n{broken\n");
        assertThatThrownBy(() -> DataFiles.readLabeled(f)).hasMessageContaining("d.jsonl:3").hasMessageContaining("not valid JSON");
        Files.writeString(f, "{\"text\": \"ok\"}\n");
        assertThatThrownBy(() -> DataFiles.readLabeled(f)).hasMessageContaining("\"label\"");
        Files.writeString(f, "\n\n");
        assertThatThrownBy(() -> DataFiles.readLabeled(f)).hasMessageContaining("no data lines");
    }

    @Test
    void batchErrorNamesTheBadInput() {
        Model m = TestEngine.get().load("embed");
        assertThatThrownBy(() -> m.tokenize(List.of(TextInput.of("fine"), TextInput.of(" "))))
                .isInstanceOf(BadInputException.class).hasMessage("input 1: 'text' is empty");
    }

    @Test
    void embeddingModelRefusesToClassify() {
        Model m = TestEngine.get().load("embed");
        assertThatThrownBy(() -> m.classify(List.of("x"))).isInstanceOf(BadInputException.class).hasMessageContaining("embeddings");
    }

    @Test
    void probabilitiesSumToOne() {
        var p = ArchiveTest.tinyHead("h", 384).apply(new float[384]);
        double sum = 0;
        for (float x : p.probabilities()) sum += x;
        assertThat(sum).isCloseTo(1.0, within(1e-6));
        assertThat(p.score()).isCloseTo(0.5, within(1e-6));
    }

    @Test
    void optionsRefuseNonsense() {
        assertThatThrownBy(() -> EngineOptions.defaults().withIntraOpThreads(0)).hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> EngineOptions.defaults().withDevice("tpu")).hasMessageContaining("cpu or cuda");
    }
}
