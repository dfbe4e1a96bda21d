package ai.infer4j.engine;

import ai.infer4j.engine.archive.Manifest;
import ai.infer4j.engine.archive.ModelArchive;
import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.backbone.PoolingMode;
import ai.infer4j.engine.task.HeadFiles;
import ai.infer4j.engine.task.SoftmaxHead;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The built-in bge-small-en-v1.5 backbone: [CLS] pooling, and heads trained on it are served on it. */
class BgeBackboneTest {
    private final Engine engine = TestEngine.get();
    private final Backbone bge = engine.backbone(BackboneFiles.builtin("bge-small-en-v1.5", TestEngine.options().cacheDir()));

    private float[] embed(String text) {
        return bge.forward(List.of(bge.tokenizer().encode(ai.infer4j.engine.input.TextInput.of(text)))).vectors()[0];
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void poolsTheClsTokenIntoUnitVectorsThatKeepMeaning() {
        assertThat(bge.id()).isEqualTo("builtin:bge-small-en-v1.5");
        assertThat(bge.files().pooling()).isEqualTo(PoolingMode.CLS);
        assertThat(bge.signature().width()).isEqualTo(384);
        float[] pin = embed("I forgot my card PIN"), reset = embed("how do I reset my PIN number?"),
                rate = embed("what is the exchange rate for euros?");
        assertThat(dot(pin, pin)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(dot(pin, reset)).isGreaterThan(dot(pin, rate) + 0.1);
    }

    @Test
    void aHeadTrainedOnBgeIsServedOnBgeFromItsFileAndFromAnArchive(@TempDir Path dir) {
        // a prototype classifier: each label's weight row is one example's embedding
        float[][] w = {embed("I forgot my card PIN"), embed("what is the exchange rate for euros?")};
        var training = JsonNodeFactory.instance.objectNode().put("backbone", BackboneFiles.BUILTIN_BGE_SMALL);
        SoftmaxHead head = new SoftmaxHead("bank", List.of("pin", "rate"), w, new float[2], null, 0, training, null, null);
        Path file = dir.resolve("bank.json");
        HeadFiles.write(head, file);
        Model fromFile = engine.load(file.toString());
        assertThat(fromFile.backbone()).isSameAs(bge);
        Path mar = dir.resolve("bank.mar");
        ModelArchive.write(new Manifest("bank", "1", "classify", "classify", BackboneFiles.BUILTIN_BGE_SMALL, List.of("heads/bank.json"),
                128, Map.of(), Map.of()), null, Map.of("heads/bank.json", file), mar);
        Model fromArchive = engine.load(mar.toString());
        assertThat(fromArchive.backbone()).isSameAs(bge);
        List<String> texts = List.of("how can I change my PIN?", "how many dollars do I get for 100 euros", "my pin is blocked");
        assertThat(fromFile.classify(texts)).extracting(p -> p.label()).containsExactly("pin", "rate", "pin");
        assertThat(fromArchive.classify(texts)).extracting(p -> p.label()).containsExactly("pin", "rate", "pin");
    }
}
