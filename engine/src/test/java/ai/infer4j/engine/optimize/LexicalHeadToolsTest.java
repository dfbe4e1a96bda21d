package ai.infer4j.engine.optimize;

import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.data.LabeledText;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.LexicalLayer;
import ai.infer4j.engine.task.SoftmaxHead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A head with a lexical layer on the embedded backbone, whose answer only its words decide (zero embedding weights):
 * the parity gate and the variant bench pass each text to it (they used to refuse such a head).
 */
class LexicalHeadToolsTest {
    private static Model model(Path dir) {
        LexicalLayer words = LexicalLayer.quantize(List.of("w:bad", "w:good"), new float[] {1, 1},
                new float[][] {{4, -4}, {-4, 4}}, new float[] {0, 0}, 1);
        SoftmaxHead head = new SoftmaxHead("words", List.of("NEGATIVE", "POSITIVE"), new float[2][384], new float[2], null, 0, null, null,
                null, words);
        Path file = dir.resolve("words.json");
        HeadFiles.write(head, file);
        return TestEngine.get().load(file.toString());
    }

    private static List<LabeledText> rows() {
        List<LabeledText> rows = new ArrayList<>();
        for (String t : List.of("film", "meal", "hotel", "phone")) {
            rows.add(new LabeledText("a good " + t, "POSITIVE"));
            rows.add(new LabeledText("a bad " + t, "NEGATIVE"));
        }
        return rows;
    }

    @Test
    void parityGateReadsTheTexts(@TempDir Path dir) {
        Model m = model(dir);
        ParityReport r = ParityGate.check(m, m, rows(), null, ParityReport.Thresholds.defaults(), Progress.NONE);
        assertThat(r.passed()).isTrue();
        assertThat(r.top1Agreement()).isEqualTo(1.0);
        assertThat(r.baselineMetric()).isEqualTo(1.0); // the words decide every row
    }

    @Test
    void variantBenchRunsTheHeadOnEachText(@TempDir Path dir) {
        Model m = model(dir);
        List<String> texts = rows().stream().map(LabeledText::text).toList();
        List<VariantBench.Result> r = VariantBench.run(Map.of("fp32", m), texts, 1, texts, new int[] {4}, 1, Progress.NONE);
        assertThat(r).singleElement().satisfies(x -> assertThat(x.bestThroughput()).isPositive());
    }
}
