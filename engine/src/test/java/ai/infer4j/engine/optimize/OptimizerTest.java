package ai.infer4j.engine.optimize;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.Progress;
import ai.infer4j.engine.TestEngine;
import ai.infer4j.engine.TinyModels;
import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.optimize.OptimizeRequest.Precision;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.PairFeatures;
import ai.infer4j.engine.task.PairHead;
import ai.infer4j.engine.task.RecordFormat;
import ai.infer4j.engine.data.LabeledPair;
import ai.infer4j.engine.data.LabeledText;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
        OptimizeRequest strict = new OptimizeRequest(export.toString(), Precision.INT8, OptimizeRequest.Source.INFER4J,
                List.of(evalFile(dir)), null, out, GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults(), unreachable, null, false);

        Optimizer.OptimizeResult refused = Optimizer.run(engine, strict, Progress.NONE);

        assertThat(refused.accepted()).isFalse();
        assertThat(refused.written()).isNull();
        assertThat(out).doesNotExist();
        assertThat(refused.parity().failures()).singleElement().asString().contains("cosine p1");
        JsonNode q = refused.manifest().extra().get("optimization").path("quantization");
        assertThat(q.path("form").asText()).isEqualTo("widest-input MatMuls in float, attention qattention"); // the last fallback
        assertThat(q.path("refusedForms")).extracting(f -> f.path("form").asText()).containsExactly(
                "every MatMul int8, attention qattention, FastGelu", "every MatMul int8, attention qattention",
                "every MatMul int8, per-token ranges for the widest-input MatMuls, attention qattention");

        OptimizeRequest forced = new OptimizeRequest(export.toString(), Precision.INT8, OptimizeRequest.Source.INFER4J,
                List.of(evalFile(dir)), null, out, GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults(), unreachable, null, true);
        Optimizer.OptimizeResult written = Optimizer.run(engine, forced, Progress.NONE);
        assertThat(written.written()).isEqualTo(out);
        VariantInfo info = VariantInfo.of(engine.load(out.toString()).manifest());
        assertThat(info).isEqualTo(new VariantInfo("int8", true, true, false));
        assertThat(info.usable()).isFalse();
    }

    @Test
    void formsAreTriedFastestFirstAndAnExplicitFormHasNoFallback(@TempDir Path dir) {
        OptimizeRequest auto = OptimizeRequest.of("intent", Precision.INT8, null, dir.resolve("x.mar"));
        assertThat(Optimizer.candidates(auto)).extracting(Optimizer.Candidate::form).containsExactly(
                "every MatMul int8, attention qattention, FastGelu", "every MatMul int8, attention qattention",
                "one widest-input MatMul in float, each position in turn",
                "the two widest-input MatMuls in float whose positions did best alone",
                "every MatMul int8, per-token ranges for the widest-input MatMuls, attention qattention",
                "widest-input MatMuls in float, attention qattention");
        OptimizeRequest tokenScale = new OptimizeRequest("intent", Precision.INT8, OptimizeRequest.Source.INFER4J, List.of(), null,
                dir.resolve("x.mar"), GraphOptimizer.Level.EXTENDED,
                Int8Quantizer.Options.defaults().withFastGelu(false).withAttention("none").withTokenScale(true),
                ParityReport.Thresholds.defaults(), null, false);
        assertThat(Optimizer.candidates(tokenScale)).extracting(Optimizer.Candidate::form).containsExactly(
                "every MatMul int8, per-token ranges for the widest-input MatMuls", "widest-input MatMuls in float");
        OptimizeRequest pinned = new OptimizeRequest("intent", Precision.INT8, OptimizeRequest.Source.INFER4J, List.of(), null,
                dir.resolve("x.mar"), GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults().withKeepFloat("^$"),
                ParityReport.Thresholds.defaults(), null, false);
        assertThat(Optimizer.candidates(pinned)).hasSize(1);
        OptimizeRequest positions = new OptimizeRequest("intent", Precision.INT8, OptimizeRequest.Source.INFER4J, List.of(), null,
                dir.resolve("x.mar"), GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults().withFloatWidest(List.of(1)),
                ParityReport.Thresholds.defaults(), null, false);
        assertThat(Optimizer.candidates(positions)).extracting(Optimizer.Candidate::form).containsExactly(
                "widest-input MatMuls at positions [1] in float, the rest int8, attention qattention, FastGelu");
    }

    @Test
    void theTwoBestPositionsAreThoseWithTheHighestAgreementThenTheSmallestDrop() {
        ParityReport.Thresholds t = ParityReport.Thresholds.defaults();
        BiFunction<Double, Double, ParityReport> report = (agreement, f1) -> new ParityReport(100, "f1", 0.8, f1,
                Double.NaN, Double.NaN, agreement, 0.99, 0.98, 0.97, Double.NaN, Double.NaN, t, List.of());
        Map<Integer, ParityReport> single = new LinkedHashMap<>();
        single.put(0, report.apply(0.990, 0.79));
        single.put(1, report.apply(0.995, 0.79));
        single.put(2, report.apply(0.990, 0.80));
        single.put(3, report.apply(0.980, 0.80));
        assertThat(Optimizer.twoBest(single)).containsExactly(1, 2);
        assertThat(Optimizer.twoBest(Map.of(4, report.apply(0.99, 0.8)))).containsExactly(4);
    }

    /** A bi-encoder pair archive on the tiny embedder: a pair is a duplicate when both sides have the same sentiment. */
    private static Path pairArchive(Path dir, float mix) throws IOException {
        Path export = TinyModels.sentimentEmbedder(dir.resolve("embedder-" + mix), 4f, mix);
        float[] w = new float[PairFeatures.size(2)];
        w[4 * 2] = 8; // cosine
        PairHead head = new PairHead("duplicate", new RecordFormat(List.of("title"), 16), 2, w, -4f, 0.5, null);
        Path headFile = dir.resolve("duplicate-" + mix + ".json");
        HeadFiles.write(head, headFile);
        Manifest m = new Manifest("duplicate", "1", "pair", "pair", "model.onnx", List.of("heads/duplicate.json"), 128, Map.of(), Map.of());
        Path out = dir.resolve("duplicate-" + mix + ".mar");
        ModelArchive.write(m, export, Map.of("heads/duplicate.json", headFile), out);
        return out;
    }

    private static List<LabeledPair> productPairs() {
        String[] things = {"film", "meal", "hotel", "phone", "book", "song", "game", "trip"};
        List<LabeledPair> rows = new ArrayList<>();
        for (int i = 0; i < things.length; i++) {
            String a = things[i], b = things[(i + 1) % things.length];
            rows.add(new LabeledPair(new PairInput(Map.of("title", "a good " + a), Map.of("title", "a good " + b)), 1));
            rows.add(new LabeledPair(new PairInput(Map.of("title", "a bad " + a), Map.of("title", "the " + b + " was bad")), 1));
            rows.add(new LabeledPair(new PairInput(Map.of("title", "a good " + a), Map.of("title", "a bad " + b)), 0));
            rows.add(new LabeledPair(new PairInput(Map.of("title", "so bad , that " + a), Map.of("title", "good " + a)), 0));
        }
        return rows;
    }

    private static Path pairFile(Path file, List<LabeledPair> rows) throws IOException {
        StringBuilder b = new StringBuilder();
        for (LabeledPair r : rows)
            b.append("{\"left\": {\"title\": \"").append(r.pair().left().get("title")).append("\"}, \"right\": {\"title\": \"")
                    .append(r.pair().right().get("title")).append("\"}, \"label\": ").append(r.label()).append("}\n");
        return Files.writeString(file, b.toString());
    }

    @Test
    void pairModelGetsAGatedInt8VariantThatScoresPairs(@TempDir Path dir) throws IOException {
        Path archive = pairArchive(dir, 0f);
        List<LabeledPair> rows = productPairs();
        Path half1 = pairFile(dir.resolve("a.jsonl"), rows.subList(0, 16)), half2 = pairFile(dir.resolve("b.jsonl"), rows.subList(16, 32));
        Path out = dir.resolve("duplicate-int8.mar");
        OptimizeRequest req = new OptimizeRequest(archive.toString(), Precision.INT8, OptimizeRequest.Source.INFER4J, List.of(half1, half2),
                null, out, GraphOptimizer.Level.EXTENDED, Int8Quantizer.Options.defaults(), ParityReport.Thresholds.defaults(), null, false);

        Optimizer.OptimizeResult r = Optimizer.run(engine, req, Progress.NONE);

        assertThat(r.accepted()).isTrue();
        assertThat(r.parity().n()).isEqualTo(rows.size()); // both files, one set
        assertThat(r.parity().metric()).isEqualTo("f1");
        assertThat(r.parity().baselineMetric()).isEqualTo(1.0);
        assertThat(r.parity().top1Agreement()).isEqualTo(1.0);
        assertThat(r.parity().cosineP1()).isGreaterThan(0.99);
        Model variant = engine.load(out.toString());
        assertThat(variant.task().kind()).isEqualTo("pair");
        assertThat(VariantInfo.of(variant.manifest()).usable()).isTrue();
        assertThat(variant.manifest().extra().get("parity").path("metric").asText()).isEqualTo("f1");
        assertThat(variant.scorePairs(List.of(rows.get(0).pair(), rows.get(2).pair()))).extracting(s -> s.duplicate())
                .containsExactly(true, false);
    }

    @Test
    void pairGateRefusesAVariantThatChangesDecisions(@TempDir Path dir) throws IOException {
        Model fp32 = engine.load(pairArchive(dir, 0f).toString());
        Model scrambled = engine.load(pairArchive(dir, 3f).toString()); // every pair looks alike: all "duplicate"

        ParityReport r = ParityGate.forPairs(fp32, productPairs(), ParityReport.Thresholds.defaults()).check(scrambled, Progress.NONE);

        assertThat(r.passed()).isFalse();
        assertThat(r.top1Agreement()).isEqualTo(0.5);
        assertThat(r.baselineMetric()).isEqualTo(1.0);
        assertThat(r.variantMetric()).isCloseTo(2 / 3.0, within(1e-9));
        assertThat(r.failures()).anySatisfy(f -> assertThat(f).contains("duplicate-decision agreement"))
                .anySatisfy(f -> assertThat(f).contains("F1 drops"));
    }

    @Test
    void archivesNotWrittenByOptimizeCountAsUsableFp32() {
        Manifest plain = new Manifest("x", "1", "classify", "classify", "model.onnx", List.of(), 128, Map.of(), Map.of());
        assertThat(VariantInfo.of(plain)).isEqualTo(new VariantInfo("fp32", false, false, false));
        assertThat(VariantInfo.of(plain).usable()).isTrue();
    }
}
