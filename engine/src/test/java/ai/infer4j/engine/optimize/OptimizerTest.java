package ai.infer4j.engine.optimize;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.TinyModels;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.optimize.OptimizeRequest.Precision;
import ai.infer4j.engine.data.LabeledText;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OptimizerTest {
    private final Engine engine = TestEngine.get();

    private static List<LabeledText> reviews() {
        List<LabeledText> rows = new ArrayList<>();
        String[] things = {"film", "meal", "hotel", "phone", "book", "song", "game", "trip"};
        for (String t : things) {
            rows.add(new LabeledText("a good " + t, "POSITIVE"));
            rows.add(new LabeledText("the " + t + " was good , really good", "POSITIVE"));
            rows.add(new LabeledText("a bad " + t, "NEGATIVE"));
            rows.add(new LabeledText("what a " + t, "NEGATIVE"));
        }
        return rows;
    }

    private static Path evalFile(Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        for (LabeledText r : reviews()) b.append("{\"text\": \"").append(r.text()).append("\", \"label\": \"").append(r.label()).append("\"}\n");
        return Files.writeString(dir.resolve("eval.jsonl"), b.toString());
    }

    @Test
    void int8VariantPassesTheGateAndItsManifestRecordsTheReport(@TempDir Path dir) throws IOException {
        Path export = TinyModels.sentimentClassifier(dir.resolve("sentiment"), 4f, 0f);
        Path out = dir.resolve("sentiment-int8.mar");

        Optimizer.OptimizeResult r = Optimizer.run(engine, OptimizeRequest.of(export.toString(), Precision.INT8, evalFile(dir), out),
                Progress.NONE);

        assertThat(r.accepted()).isTrue();
        assertThat(r.written()).isEqualTo(out);
        Manifest m = ModelArchive.readManifest(ModelArchive.open(out, TestEngine.options().cacheDir()));
        assertThat(m.modelVersion()).isEqualTo("1-int8");
        assertThat(m.extra().get("precision").asText()).isEqualTo("int8");
        JsonNode parity = m.extra().get("parity");
        assertThat(parity.get("passed").asBoolean()).isTrue();
        assertThat(parity.get("n").asInt()).isEqualTo(reviews().size());
        assertThat(parity.get("top1Agreement").asDouble()).isEqualTo(1.0);
        assertThat(parity.get("dropPoints").asDouble()).isEqualTo(0.0);
        assertThat(parity.get("cosineP1").asDouble()).isGreaterThan(0.99);
        JsonNode opt = m.extra().get("optimization");
        assertThat(opt.path("quantization").path("matmuls").asInt()).isEqualTo(1);
        assertThat(opt.path("ops").has("com.microsoft.DynamicQuantizeMatMul")).isTrue();
        assertThat(opt.path("graphOptimization").asText()).isEqualTo("extended");

        Model variant = engine.load(out.toString());
        assertThat(variant.version()).isEqualTo("1-int8");
        assertThat(variant.labels()).containsExactly("NEGATIVE", "POSITIVE");
        assertThat(variant.classify(List.of("a good day"))).extracting(p -> p.label()).containsExactly("POSITIVE");
        assertThat(VariantInfo.of(variant.manifest())).isEqualTo(new VariantInfo("int8", true, true, true));
        assertThat(VariantInfo.of(variant.manifest()).usable()).isTrue();
    }

    @Test
    void gateRefusesABrokenVariant(@TempDir Path dir) throws IOException {
        Model fp32 = engine.load(TinyModels.sentimentClassifier(dir.resolve("good"), 4f, 0f).toString());
        Model broken = engine.load(TinyModels.sentimentClassifier(dir.resolve("broken"), 4f, 3f).toString()); // swaps the labels

        ParityReport r = ParityGate.check(fp32, broken, reviews(), null, ParityReport.Thresholds.defaults(), Progress.NONE);

        assertThat(r.passed()).isFalse();
        assertThat(r.top1Agreement()).isLessThan(0.99);
        assertThat(r.metricDropPoints()).isGreaterThan(0.5);
        assertThat(r.failures()).anySatisfy(f -> assertThat(f).contains("top-1 agreement"))
                .anySatisfy(f -> assertThat(f).contains("accuracy drops"));
        assertThat(r.toJson().get("passed").asBoolean()).isFalse();
    }

    @Test
    void refusedVariantIsNotWrittenUnlessForcedAndThenMarkedUnusable(@TempDir Path dir) throws IOException {
        Path export = TinyModels.sentimentEmbedder(dir.resolve("embedder"), 4f, 0f);
        var unreachable = new ParityReport.Thresholds(0.99, 0.5, 1.5); // no cosine exceeds 1
        Path out = dir.resolve("embedder-int8.mar");
        OptimizeRequest strict = new OptimizeRequest(export.toString(), Precision.INT8, OptimizeRequest.Source.INFER4J, evalFile(dir),
                null, out, GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults(), unreachable, null, false);

        Optimizer.OptimizeResult refused = Optimizer.run(engine, strict, Progress.NONE);

        assertThat(refused.accepted()).isFalse();
        assertThat(refused.written()).isNull();
        assertThat(out).doesNotExist();
        assertThat(refused.parity().failures()).singleElement().asString().contains("cosine p1");

        OptimizeRequest forced = new OptimizeRequest(export.toString(), Precision.INT8, OptimizeRequest.Source.INFER4J, evalFile(dir),
                null, out, GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults(), unreachable, null, true);
        Optimizer.OptimizeResult written = Optimizer.run(engine, forced, Progress.NONE);
        assertThat(written.written()).isEqualTo(out);
        VariantInfo info = VariantInfo.of(engine.load(out.toString()).manifest());
        assertThat(info).isEqualTo(new VariantInfo("int8", true, true, false));
        assertThat(info.usable()).isFalse();
    }

    @Test
    void archivesNotWrittenByOptimizeCountAsUsableFp32() {
        Manifest plain = new Manifest("x", "1", "classify", "classify", "model.onnx", List.of(), 128, Map.of(), Map.of());
        assertThat(VariantInfo.of(plain)).isEqualTo(new VariantInfo("fp32", false, false, false));
        assertThat(VariantInfo.of(plain).usable()).isTrue();
    }
}
