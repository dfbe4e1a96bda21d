package ai.infer4j.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The PyTorch forward pass of an ONNX BERT gives the hidden states ONNX Runtime gives, on a padded batch. */
class TorchBertParityTest {
    static final Path CACHE = Path.of("target", "test-cache").toAbsolutePath();
    static final List<String> TEXTS = List.of("I still have not received my new card, how long does it take?",
            "what is the exchange rate", "Why was my card payment declined at the shop yesterday evening?");

    @Test
    void miniLmHiddenStatesMatchOnnxRuntime() throws OrtException {
        BackboneFiles files = BackboneFiles.builtin(CACHE);
        BertWeights w = BertWeights.read(files.model());
        assertThat(w.config()).isEqualTo(new BertConfig(6, 384, 12, 1536, 30522, 512, 1e-12f));
        assertThat(w.initializerOf("encoder.layer.0.attention.self.query.weight")).startsWith("onnx::MatMul_");
        assertSameHiddenStates(files, w);
    }

    @Test
    void bgeSmallHiddenStatesMatchOnnxRuntime() throws OrtException {
        BackboneFiles files = BackboneFiles.builtin("bge-small-en-v1.5", CACHE);
        BertWeights w = BertWeights.read(files.model());
        assertThat(w.config().layers()).isEqualTo(12);
        assertSameHiddenStates(files, w);
    }

    static void assertSameHiddenStates(BackboneFiles files, BertWeights w) throws OrtException {
        Batch b = Batch.of(files.tokenizer(), TEXTS);
        float[] ort = ortHidden(files.model(), b);
        float[] torch;
        try (NDManager m = NDManager.newBaseManager(); TorchBert bert = TorchBert.load(w, m, w.config().layers())) {
            NDArray x = bert.embed(m, b.ids, b.types, b.len);
            torch = bert.layers(x, bert.maskBias(m, b.lengths, b.len), 0, w.config().layers(), false, 0).toFloatArray();
        }
        int h = w.config().hidden();
        for (int i = 0; i < TEXTS.size(); i++)
            for (int t = 0; t < b.lengths[i]; t++) {
                int o = (i * b.len + t) * h;
                assertThat(cosine(ort, torch, o, h)).as("row %d token %d", i, t).isCloseTo(1.0, within(1e-5));
            }
    }

    static double cosine(float[] a, float[] b, int o, int n) {
        double ab = 0, aa = 0, bb = 0;
        for (int d = o; d < o + n; d++) {
            ab += (double) a[d] * b[d];
            aa += (double) a[d] * a[d];
            bb += (double) b[d] * b[d];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static float[] ortHidden(Path model, Batch b) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[][] mask = new long[b.ids.length][b.len], ids = new long[b.ids.length][b.len], types = new long[b.ids.length][b.len];
        for (int i = 0; i < b.ids.length; i++)
            for (int t = 0; t < b.lengths[i]; t++) {
                mask[i][t] = 1;
                ids[i][t] = b.ids[i][t];
                types[i][t] = b.types[i][t];
            }
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor a = OnnxTensor.createTensor(env, ids); OnnxTensor mk = OnnxTensor.createTensor(env, mask);
             OnnxTensor ty = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", mk, "token_type_ids", ty))) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            float[] v = new float[(int) (b.ids.length * b.len * out.getInfo().getShape()[2])];
            out.getFloatBuffer().get(v);
            return v;
        }
    }

    /** A padded batch of tokenized texts. */
    record Batch(long[][] ids, long[][] types, int[] lengths, int len) {
        static Batch of(Path tokenizer, List<String> texts) {
            try (TextTokenizer tok = TextTokenizer.load(tokenizer, 128, 10_000, true)) {
                long[][] ids = new long[texts.size()][], types = new long[texts.size()][];
                int[] lengths = new int[texts.size()];
                int len = 0;
                for (int i = 0; i < texts.size(); i++) {
                    Tokens t = tok.encode(TextInput.of(texts.get(i)));
                    ids[i] = t.ids();
                    types[i] = t.typeIds();
                    lengths[i] = t.length();
                    len = Math.max(len, lengths[i]);
                }
                return new Batch(ids, types, lengths, len);
            }
        }
    }
}
